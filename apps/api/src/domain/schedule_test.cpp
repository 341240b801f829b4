// The schedule (states, booking ids, merging) and the slots read off it. Times are on Monday
// 2027-03-01 in UTC unless a test says otherwise.

#include "domain/schedule.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ptool::domain {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;
using strings = std::vector<std::string>;

// Monday 2027-03-01 at h:m UTC.
instant at(int h, int m = 0) {
    return instant{date::sys_days{date::year{2027} / 3 / 1}} + std::chrono::hours{h} +
           std::chrono::minutes{m};
}

constexpr int hm(int h, int m = 0) { return h * 60 + m; }

availability utc_prefs(
    std::vector<weekly_window> weekly, std::vector<date_override> overrides = {}
) {
    availability a;
    a.timezone = "UTC";
    a.weekly = std::move(weekly);
    a.overrides = std::move(overrides);
    return a;
}

schedule_booking bk(std::string id, booking_status st, instant start, instant end) {
    return {std::move(id), start, end, st};
}

std::string clock(instant t) {
    return date::format("%H:%M", std::chrono::floor<std::chrono::minutes>(t));
}

// "HH:MM-HH:MM state id,id"
strings show(const std::vector<schedule_segment>& segs) {
    strings out;
    for (const auto& s : segs) {
        std::string line =
            clock(s.start) + "-" + clock(s.end) + " " + std::string(to_string(s.state));
        for (std::size_t i = 0; i < s.booking_ids.size(); ++i) {
            line += (i == 0 ? " " : ",") + s.booking_ids[i];
        }
        out.push_back(line);
    }
    return out;
}

strings show(const std::vector<instant>& v) {
    strings out;
    for (auto t : v) {
        out.push_back(clock(t));
    }
    return out;
}

// Schedule ---------------------------------------------------------------------------------------

TEST(ScheduleBuild, state_names) {
    EXPECT_EQ(to_string(schedule_state::unavailable), "unavailable");
    EXPECT_EQ(to_string(schedule_state::available), "available");
    EXPECT_EQ(to_string(schedule_state::held), "held");
    EXPECT_EQ(to_string(schedule_state::pencilled), "pencilled");
    EXPECT_EQ(to_string(schedule_state::booked), "booked");
}

TEST(ScheduleBuild, states_rank_booked_over_pencilled_over_held) {
    auto a = utc_prefs({{date::Monday, {hm(9), hm(17)}}});
    std::vector<schedule_booking> bookings{
        bk("h1", booking_status::hold, at(10), at(12)),
        bk("p1", booking_status::pencil, at(11), at(13)),
        bk("c1", booking_status::confirmed, at(14), at(15)),
        bk("h2", booking_status::hold, at(14, 30), at(16)),
        bk("r", booking_status::released, at(9), at(10)),     // ignored
        bk("x", booking_status::expired, at(13), at(14)),     // ignored
        bk("k", booking_status::cancelled, at(16), at(18)),   // ignored
        bk("c2", booking_status::confirmed, at(18), at(19)),  // outside availability
    };
    EXPECT_EQ(
        show(build_schedule(a, bookings, at(0), at(24))),
        (strings{
            "00:00-09:00 unavailable",
            "09:00-10:00 available",
            "10:00-11:00 held h1",
            "11:00-12:00 pencilled h1,p1",
            "12:00-13:00 pencilled p1",
            "13:00-14:00 available",
            "14:00-14:30 booked c1",
            "14:30-15:00 booked c1,h2",
            "15:00-16:00 held h2",
            "16:00-17:00 available",
            "17:00-18:00 unavailable",
            "18:00-19:00 booked c2",
            "19:00-00:00 unavailable"})
    );
}

TEST(ScheduleBuild, merges_only_equal_neighbours) {
    // Windows 09-12 and 12-17 join; a hold across the 09:00 edge stays one segment; two
    // touching holds stay apart (different bookings).
    auto a = utc_prefs({{date::Monday, {hm(9), hm(12)}}, {date::Monday, {hm(12), hm(17)}}});
    std::vector<schedule_booking> bookings{
        bk("x", booking_status::hold, at(8), at(10)),
        bk("a", booking_status::hold, at(13), at(14)),
        bk("b", booking_status::hold, at(14), at(15)),
    };
    auto segs = build_schedule(a, bookings, at(0), at(24));
    EXPECT_EQ(
        show(segs),
        (strings{
            "00:00-08:00 unavailable",
            "08:00-10:00 held x",
            "10:00-13:00 available",
            "13:00-14:00 held a",
            "14:00-15:00 held b",
            "15:00-17:00 available",
            "17:00-00:00 unavailable"})
    );
    EXPECT_TRUE(segs.front().booking_ids.empty());
}

TEST(ScheduleBuild, booking_ids_by_start_then_id) {
    // "z" started before `from`: it still sorts by its own start, not the clipped one.
    std::vector<schedule_booking> bookings{
        bk("b", booking_status::hold, at(10), at(11)),
        bk("a", booking_status::hold, at(10), at(11)),
        bk("z", booking_status::pencil, at(-1), at(10, 30)),
    };
    EXPECT_EQ(
        show(build_schedule(std::nullopt, bookings, at(0), at(12))),
        (strings{
            "00:00-10:00 pencilled z",
            "10:00-10:30 pencilled z,a,b",
            "10:30-11:00 held a,b",
            "11:00-12:00 available"})
    );
}

TEST(ScheduleBuild, booking_shows_on_a_day_off) {
    auto a =
        utc_prefs({{date::Monday, {hm(9), hm(17)}}}, {date_override{date::year{2027} / 3 / 1, {}}});
    std::vector<schedule_booking> bookings{bk("c", booking_status::confirmed, at(10), at(12))};
    EXPECT_EQ(
        show(build_schedule(a, bookings, at(0), at(24))),
        (strings{"00:00-10:00 unavailable", "10:00-12:00 booked c", "12:00-00:00 unavailable"})
    );
}

TEST(ScheduleBuild, covers_exactly_from_to) {
    // Bookings reaching past both ends are clipped; no preferences = available.
    std::vector<schedule_booking> bookings{bk("h", booking_status::hold, at(-30), at(50))};
    auto segs = build_schedule(std::nullopt, bookings, at(1), at(3));
    ASSERT_EQ(segs.size(), 1U);
    EXPECT_EQ(segs[0], (schedule_segment{at(1), at(3), schedule_state::held, {"h"}}));
    segs = build_schedule(std::nullopt, {}, at(1), at(3));
    ASSERT_EQ(segs.size(), 1U);
    EXPECT_EQ(segs[0], (schedule_segment{at(1), at(3), schedule_state::available, {}}));
    EXPECT_TRUE(build_schedule(std::nullopt, {}, at(3), at(3)).empty());
}

TEST(ScheduleBuild, follows_the_artists_zone_over_a_dst_change) {
    // Berlin, Sundays 01:00-05:00 on 2027-03-28 (spring forward): 00:00Z-03:00Z.
    availability a;
    a.timezone = "Europe/Berlin";
    a.weekly = std::vector<weekly_window>{{date::Sunday, {hm(1), hm(5)}}};
    auto day = instant{date::sys_days{date::year{2027} / 3 / 28}};
    auto segs = build_schedule(a, {}, day - 1h, day + 5h);
    EXPECT_EQ(
        segs,
        (std::vector<schedule_segment>{
            {day - 1h, day, schedule_state::unavailable, {}},
            {day, day + 3h, schedule_state::available, {}},
            {day + 3h, day + 5h, schedule_state::unavailable, {}}})
    );
}

// Slots ------------------------------------------------------------------------------------------

// 09-12 free, 12-13 held, 13-17 and 17-18 free (adjacent), the rest unavailable.
std::vector<schedule_segment> sample_day() {
    return {
        {at(0), at(9), schedule_state::unavailable, {}},
        {at(9), at(12), schedule_state::available, {}},
        {at(12), at(13), schedule_state::held, {"h"}},
        {at(13), at(17), schedule_state::available, {}},
        {at(17), at(18), schedule_state::available, {}},
        {at(18), at(24), schedule_state::unavailable, {}},
    };
}

TEST(ScheduleSlots, whole_duration_in_one_free_run) {
    EXPECT_EQ(
        show(free_slots(sample_day(), at(0), at(24), 2h, 1h, at(-100))),
        (strings{"09:00", "10:00", "13:00", "14:00", "15:00", "16:00"})
    );
}

TEST(ScheduleSlots, not_before_now) {
    // 14:20 -> the next start on the grid is 15:00.
    EXPECT_EQ(
        show(free_slots(sample_day(), at(0), at(24), 2h, 1h, at(14, 20))),
        (strings{"15:00", "16:00"})
    );
    // A start equal to now is fine.
    EXPECT_EQ(
        show(free_slots(sample_day(), at(0), at(24), 2h, 1h, at(13))),
        (strings{"13:00", "14:00", "15:00", "16:00"})
    );
    EXPECT_TRUE(free_slots(sample_day(), at(0), at(24), 2h, 1h, at(30)).empty());
}

TEST(ScheduleSlots, step_smaller_than_duration) {
    EXPECT_EQ(
        show(free_slots(sample_day(), at(0), at(24), 2h, 30min, at(-100))),
        (strings{
            "09:00",
            "09:30",
            "10:00",
            "13:00",
            "13:30",
            "14:00",
            "14:30",
            "15:00",
            "15:30",
            "16:00"})
    );
}

TEST(ScheduleSlots, starts_stay_on_the_grid_of_from) {
    // from 00:00, step 45 min, now 01:00 -> first start 01:30; 03:45 would end after 04:00.
    auto segs = build_schedule(std::nullopt, {}, at(0), at(4));
    EXPECT_EQ(
        show(free_slots(segs, at(0), at(4), 45min, 45min, at(1))),
        (strings{"01:30", "02:15", "03:00"})
    );
}

TEST(ScheduleSlots, slot_may_touch_the_end) {
    auto segs = build_schedule(std::nullopt, {}, at(0), at(3));
    EXPECT_EQ(
        show(free_slots(segs, at(0), at(3), 1h, 1h, at(-1))), (strings{"00:00", "01:00", "02:00"})
    );
    EXPECT_EQ(show(free_slots(segs, at(0), at(3), 2h, 90min, at(-1))), (strings{"00:00"}));
    EXPECT_EQ(show(free_slots(segs, at(0), at(3), 3h, 1h, at(-1))), (strings{"00:00"}));
    EXPECT_TRUE(free_slots(segs, at(0), at(3), 4h, 1h, at(-1)).empty());
}

TEST(ScheduleSlots, active_bookings_exclude_terminal_ones_do_not) {
    // Available 09-17; a hold 11-12, a released booking 13-14; from 08:30 in steps of 1 h.
    auto a = utc_prefs({{date::Monday, {hm(9), hm(17)}}});
    std::vector<schedule_booking> bookings{
        bk("h", booking_status::hold, at(11), at(12)),
        bk("r", booking_status::released, at(13), at(14)),
    };
    auto segs = build_schedule(a, bookings, at(8, 30), at(18));
    EXPECT_EQ(
        show(free_slots(segs, at(8, 30), at(18), 1h, 1h, at(-1))),
        (strings{"09:30", "12:30", "13:30", "14:30", "15:30"})
    );
    // Pencils and confirmed bookings exclude as well.
    bookings = {
        bk("p", booking_status::pencil, at(9), at(10)),
        bk("c", booking_status::confirmed, at(15), at(16)),
    };
    segs = build_schedule(a, bookings, at(9), at(17));
    EXPECT_EQ(
        show(free_slots(segs, at(9), at(17), 1h, 1h, at(-1))),
        (strings{"10:00", "11:00", "12:00", "13:00", "14:00", "16:00"})
    );
}

TEST(ScheduleSlots, a_month_of_minutes) {
    const auto from = at(0);
    const auto to = from + std::chrono::days{31};
    auto segs = build_schedule(std::nullopt, {}, from, to);
    auto slots = free_slots(segs, from, to, 1min, 1min, from + 1h);
    ASSERT_EQ(slots.size(), 31U * 1440U - 60U);
    EXPECT_EQ(slots.front(), from + 1h);
    EXPECT_EQ(slots.back(), to - 1min);
}

}  // namespace
}  // namespace ptool::domain
