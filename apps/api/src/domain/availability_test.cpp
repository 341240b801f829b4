// Availability: validation of the wire form, and the expansion of wall-clock windows to UTC on
// the DST days of several zones. Every expected instant was worked out by hand from the
// offsets `zdump -v` shows for the zone (tzdata 2025b), not by running the code.

#include "domain/availability.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ptool::domain {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

instant utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
    return instant{date::sys_days{date::year{y} / date::month{mo} / date::day{d}}} + hours{h} +
           minutes{mi};
}

date::year_month_day ymd(int y, unsigned mo, unsigned d) {
    return date::year{y} / date::month{mo} / date::day{d};
}

constexpr int hm(int h, int m = 0) { return h * 60 + m; }

weekly_window wk(date::weekday day, int start, int end) { return {day, {start, end}}; }

availability prefs(
    std::string tz,
    std::optional<std::vector<weekly_window>> weekly,
    std::vector<date_override> overrides = {}
) {
    availability a;
    a.timezone = std::move(tz);
    a.weekly = std::move(weekly);
    a.overrides = std::move(overrides);
    return a;
}

// "start/end" in UTC, so a failure shows readable instants.
std::vector<std::string> show(const std::vector<interval>& v) {
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& iv : v) {
        out.push_back(format_instant(iv.start) + "/" + format_instant(iv.end));
    }
    return out;
}

std::vector<std::string> expand(const availability& a, instant from, instant to) {
    return show(available_intervals(a, from, to));
}

using strings = std::vector<std::string>;

// Zones -----------------------------------------------------------------------------------------

TEST(AvailabilityZones, iana_names_from_the_system_database) {
    for (const char* ok :
         {"UTC",
          "Europe/Berlin",
          "America/New_York",
          "Australia/Lord_Howe",
          "Asia/Kolkata",
          "America/Argentina/Buenos_Aires"}) {
        EXPECT_TRUE(is_iana_timezone(ok)) << ok;
    }
    for (const char* bad :
         {"",
          "Mars/Olympus",
          "europe/berlin",
          "Europe/Berlin ",
          "+01:00",
          "../../etc/passwd",
          "Europe/",
          "/usr/share/zoneinfo/UTC"}) {
        EXPECT_FALSE(is_iana_timezone(bad)) << bad;
    }
}

// The SPEC's DST rule rests on date/tz's to_sys(choose::earliest): a nonexistent local time
// gives the transition instant, an ambiguous one the earlier instant. Pinned here, together
// with the tz data the other tests assume.
TEST(AvailabilityZones, date_tz_maps_gaps_to_the_jump_and_repeats_to_the_earlier_instant) {
    const auto* berlin = date::locate_zone("Europe/Berlin");
    auto local = [](int y, unsigned mo, unsigned d, int h, int mi) {
        return date::local_days{ymd(y, mo, d)} + hours{h} + minutes{mi};
    };
    auto gap = local(2027, 3, 28, 2, 30);
    EXPECT_EQ(berlin->get_info(gap).result, date::local_info::nonexistent);
    EXPECT_EQ(instant{berlin->to_sys(gap, date::choose::earliest)}, utc(2027, 3, 28, 1));
    auto repeat = local(2027, 10, 31, 2, 30);
    EXPECT_EQ(berlin->get_info(repeat).result, date::local_info::ambiguous);
    EXPECT_EQ(instant{berlin->to_sys(repeat, date::choose::earliest)}, utc(2027, 10, 31, 0, 30));

    // Lord Howe 2027: 02:00 (+11) -> 01:30 (+10:30) on Apr 4, 02:00 -> 02:30 (+11) on Oct 3.
    const auto* lord_howe = date::locate_zone("Australia/Lord_Howe");
    auto back = lord_howe->get_info(local(2027, 4, 4, 1, 45));
    EXPECT_EQ(back.result, date::local_info::ambiguous);
    EXPECT_EQ(back.first.offset.count(), (11 * 60) * 60);
    EXPECT_EQ(back.second.offset.count(), (10 * 60 + 30) * 60);
    EXPECT_EQ(instant{back.first.end}, utc(2027, 4, 3, 15));
    auto forward = lord_howe->get_info(local(2027, 10, 3, 2, 15));
    EXPECT_EQ(forward.result, date::local_info::nonexistent);
    EXPECT_EQ(instant{forward.first.end}, utc(2027, 10, 2, 15, 30));
}

// Expansion ---------------------------------------------------------------------------------------

TEST(AvailabilityExpand, no_preferences_is_the_whole_range) {
    EXPECT_EQ(
        show(available_intervals(std::nullopt, utc(2027, 3, 1), utc(2027, 3, 2))),
        strings{"2027-03-01T00:00:00Z/2027-03-02T00:00:00Z"}
    );
    EXPECT_TRUE(available_intervals(std::nullopt, utc(2027, 3, 2), utc(2027, 3, 2)).empty());
}

TEST(AvailabilityExpand, empty_weekly_is_never_available) {
    EXPECT_TRUE(
        expand(
            prefs("Europe/Berlin", std::vector<weekly_window>{}), utc(2027, 3, 1), utc(2027, 4, 1)
        )
            .empty()
    );
}

TEST(AvailabilityExpand, unknown_zone_throws) {
    EXPECT_THROW(
        available_intervals(prefs("Mars/Olympus", std::nullopt), utc(2027, 3, 1), utc(2027, 3, 2)),
        std::runtime_error
    );
}

TEST(AvailabilityExpand, weekly_windows_in_winter_and_summer) {
    auto a = prefs("Europe/Berlin", std::vector{wk(date::Monday, hm(9), hm(18))});
    // Mon 2027-03-01 is CET (+1), Mon 2027-04-05 CEST (+2).
    EXPECT_EQ(
        expand(a, utc(2027, 2, 28), utc(2027, 3, 7)),
        strings{"2027-03-01T08:00:00Z/2027-03-01T17:00:00Z"}
    );
    EXPECT_EQ(
        expand(a, utc(2027, 4, 4), utc(2027, 4, 11)),
        strings{"2027-04-05T07:00:00Z/2027-04-05T16:00:00Z"}
    );
    // Clipped to [from, to).
    EXPECT_EQ(
        expand(a, utc(2027, 3, 1, 10), utc(2027, 3, 1, 12)),
        strings{"2027-03-01T10:00:00Z/2027-03-01T12:00:00Z"}
    );
}

TEST(AvailabilityExpand, berlin_spring_forward) {
    // Sun 2027-03-28: 02:00 CET (+1) jumps to 03:00 CEST (+2) at 01:00Z.
    const auto from = utc(2027, 3, 27);
    const auto to = utc(2027, 3, 29);
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(1), hm(5))}), from, to),
        strings{"2027-03-28T00:00:00Z/2027-03-28T03:00:00Z"}
    );
    // A start in the gap maps to the jump.
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(2, 30), hm(6))}), from, to),
        strings{"2027-03-28T01:00:00Z/2027-03-28T04:00:00Z"}
    );
    // An end in the gap maps to the jump too.
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(0), hm(2, 30))}), from, to),
        strings{"2027-03-27T23:00:00Z/2027-03-28T01:00:00Z"}
    );
    // A window wholly inside the gap is empty and dropped.
    EXPECT_TRUE(
        expand(
            prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(2, 10), hm(2, 50))}), from, to
        )
            .empty()
    );
    // The whole day is 23 hours long.
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(0), hm(24))}), from, to),
        strings{"2027-03-27T23:00:00Z/2027-03-28T22:00:00Z"}
    );
}

TEST(AvailabilityExpand, berlin_fall_back) {
    // Sun 2027-10-31: 03:00 CEST (+2) falls back to 02:00 CET (+1) at 01:00Z; 02:00-03:00 repeats.
    const auto from = utc(2027, 10, 30);
    const auto to = utc(2027, 11, 1);
    // A start in the repeated hour takes the earlier instant (CEST).
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(2, 30), hm(4))}), from, to),
        strings{"2027-10-31T00:30:00Z/2027-10-31T03:00:00Z"}
    );
    // So does an end.
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(0), hm(2, 30))}), from, to),
        strings{"2027-10-30T22:00:00Z/2027-10-31T00:30:00Z"}
    );
    // The whole day is 25 hours long.
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", std::vector{wk(date::Sunday, hm(0), hm(24))}), from, to),
        strings{"2027-10-30T22:00:00Z/2027-10-31T23:00:00Z"}
    );
}

TEST(AvailabilityExpand, overnight_windows_across_dst_changes) {
    // Sat 22:00 -> Sun 06:00 in Berlin: 7 hours in March, 9 hours in October.
    auto a = prefs("Europe/Berlin", std::vector{wk(date::Saturday, hm(22), hm(6))});
    EXPECT_EQ(
        expand(a, utc(2027, 3, 27), utc(2027, 3, 29)),
        strings{"2027-03-27T21:00:00Z/2027-03-28T04:00:00Z"}
    );
    EXPECT_EQ(
        expand(a, utc(2027, 10, 30), utc(2027, 11, 1)),
        strings{"2027-10-30T20:00:00Z/2027-10-31T05:00:00Z"}
    );
    // New York, Sat 2027-11-06 23:00 EDT (-4) -> Sun 01:30, ambiguous, earlier (EDT).
    auto ny = prefs("America/New_York", std::vector{wk(date::Saturday, hm(23), hm(1, 30))});
    EXPECT_EQ(
        expand(ny, utc(2027, 11, 6), utc(2027, 11, 8)),
        strings{"2027-11-07T03:00:00Z/2027-11-07T05:30:00Z"}
    );
}

TEST(AvailabilityExpand, new_york_transitions) {
    // Sun 2027-03-14: 02:00 EST (-5) -> 03:00 EDT (-4) at 07:00Z.
    EXPECT_EQ(
        expand(
            prefs("America/New_York", std::vector{wk(date::Sunday, hm(2, 15), hm(4))}),
            utc(2027, 3, 13),
            utc(2027, 3, 16)
        ),
        strings{"2027-03-14T07:00:00Z/2027-03-14T08:00:00Z"}
    );
    // Sun 2027-11-07: 02:00 EDT -> 01:00 EST at 06:00Z; 01:30 is ambiguous -> EDT.
    EXPECT_EQ(
        expand(
            prefs("America/New_York", std::vector{wk(date::Sunday, hm(1, 30), hm(3))}),
            utc(2027, 11, 6),
            utc(2027, 11, 9)
        ),
        strings{"2027-11-07T05:30:00Z/2027-11-07T08:00:00Z"}
    );
}

TEST(AvailabilityExpand, lord_howe_half_hour_shifts) {
    // Sun 2027-04-04: 02:00 (+11) -> 01:30 (+10:30) at 2027-04-03T15:00Z; 01:30-02:00 repeats.
    EXPECT_EQ(
        expand(
            prefs("Australia/Lord_Howe", std::vector{wk(date::Sunday, hm(1, 45), hm(3))}),
            utc(2027, 4, 1),
            utc(2027, 4, 6)
        ),
        strings{"2027-04-03T14:45:00Z/2027-04-03T16:30:00Z"}
    );
    // That day is 24.5 hours long.
    EXPECT_EQ(
        expand(
            prefs("Australia/Lord_Howe", std::vector{wk(date::Sunday, hm(0), hm(24))}),
            utc(2027, 4, 1),
            utc(2027, 4, 6)
        ),
        strings{"2027-04-03T13:00:00Z/2027-04-04T13:30:00Z"}
    );
    // Sun 2027-10-03: 02:00 (+10:30) -> 02:30 (+11) at 2027-10-02T15:30Z; 02:10 does not exist.
    EXPECT_EQ(
        expand(
            prefs("Australia/Lord_Howe", std::vector{wk(date::Sunday, hm(2, 10), hm(4))}),
            utc(2027, 10, 1),
            utc(2027, 10, 5)
        ),
        strings{"2027-10-02T15:30:00Z/2027-10-02T17:00:00Z"}
    );
    EXPECT_TRUE(
        expand(
            prefs("Australia/Lord_Howe", std::vector{wk(date::Sunday, hm(2, 5), hm(2, 25))}),
            utc(2027, 10, 1),
            utc(2027, 10, 5)
        )
            .empty()
    );
}

TEST(AvailabilityExpand, moscow_changed_its_standard_offset) {
    // Sun 2014-10-26 02:00 (+4) -> 01:00 (+3) at 2014-10-25T22:00Z, not a DST change.
    std::vector<weekly_window> noon;
    for (auto d : {date::Saturday, date::Monday}) {
        noon.push_back(wk(d, hm(12), hm(13)));
    }
    noon.push_back(wk(date::Sunday, hm(1, 30), hm(3)));
    EXPECT_EQ(
        expand(prefs("Europe/Moscow", noon), utc(2014, 10, 25), utc(2014, 10, 28)),
        (strings{
            "2014-10-25T08:00:00Z/2014-10-25T09:00:00Z",
            "2014-10-25T21:30:00Z/2014-10-26T00:00:00Z",
            "2014-10-27T09:00:00Z/2014-10-27T10:00:00Z"})
    );
}

TEST(AvailabilityExpand, apia_skipped_a_whole_date) {
    // Pacific/Apia went from Thu 2011-12-29 23:59:59 (-10) to Sat 2011-12-31 00:00 (+14) at
    // 2011-12-30T10:00Z: Fri 2011-12-30 never happened, so its window is empty.
    std::vector<weekly_window> every_day;
    for (unsigned d = 1; d <= 7; ++d) {
        every_day.push_back(wk(date::weekday{d}, hm(9), hm(17)));
    }
    EXPECT_EQ(
        expand(prefs("Pacific/Apia", every_day), utc(2011, 12, 28, 4), utc(2011, 12, 31, 12)),
        (strings{
            "2011-12-28T19:00:00Z/2011-12-29T03:00:00Z",   // Wed 28
            "2011-12-29T19:00:00Z/2011-12-30T03:00:00Z",   // Thu 29
            "2011-12-30T19:00:00Z/2011-12-31T03:00:00Z"})  // Sat 31 (+14)
    );
    // No weekly restriction, Dec 31 off: Thu 29 ends at the jump, Sat 31 is off, Sun 1 starts
    // at 2011-12-31T10:00Z.
    auto off = prefs("Pacific/Apia", std::nullopt, {date_override{ymd(2011, 12, 31), {}}});
    EXPECT_EQ(
        expand(off, utc(2011, 12, 29), utc(2012, 1, 2)),
        (strings{
            "2011-12-29T00:00:00Z/2011-12-30T10:00:00Z",
            "2011-12-31T10:00:00Z/2012-01-02T00:00:00Z"})
    );
}

TEST(AvailabilityExpand, overnight_window_across_the_year_boundary) {
    // Fri 2027-12-31 22:00 -> Sat 2028-01-01 04:00 CET.
    auto a = prefs("Europe/Berlin", std::vector{wk(date::Friday, hm(22), hm(4))});
    EXPECT_EQ(
        expand(a, utc(2027, 12, 30), utc(2028, 1, 3)),
        strings{"2027-12-31T21:00:00Z/2028-01-01T03:00:00Z"}
    );
    // A window that started the day before `from` still counts.
    EXPECT_EQ(
        expand(a, utc(2028, 1, 1), utc(2028, 1, 3)),
        strings{"2028-01-01T00:00:00Z/2028-01-01T03:00:00Z"}
    );
}

TEST(AvailabilityExpand, overrides_replace_the_windows_of_their_date) {
    // Mondays 09:00-18:00 CET; Mon 2027-03-08 overridden.
    const std::vector<weekly_window> mondays{wk(date::Monday, hm(9), hm(18))};
    const auto from = utc(2027, 3, 1);
    const auto to = utc(2027, 3, 16);
    EXPECT_EQ(
        expand(prefs("Europe/Berlin", mondays, {date_override{ymd(2027, 3, 8), {}}}), from, to),
        (strings{
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-15T08:00:00Z/2027-03-15T17:00:00Z"})
    );
    EXPECT_EQ(
        expand(
            prefs(
                "Europe/Berlin",
                mondays,
                {date_override{ymd(2027, 3, 8), {{hm(12), hm(14)}, {hm(20), hm(2)}}}}
            ),
            from,
            to
        ),
        (strings{
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-08T11:00:00Z/2027-03-08T13:00:00Z",
            "2027-03-08T19:00:00Z/2027-03-09T01:00:00Z",
            "2027-03-15T08:00:00Z/2027-03-15T17:00:00Z"})
    );
    // An override on a date without weekly windows adds some.
    EXPECT_EQ(
        expand(
            prefs("Europe/Berlin", mondays, {date_override{ymd(2027, 3, 6), {{hm(10), hm(11)}}}}),
            utc(2027, 3, 5),
            utc(2027, 3, 7)
        ),
        strings{"2027-03-06T09:00:00Z/2027-03-06T10:00:00Z"}
    );
}

TEST(AvailabilityExpand, overnight_window_runs_into_an_overridden_date) {
    // Sun 2027-03-07 22:00 -> Mon 03:00 CET; Mon 2027-03-08 is overridden.
    const std::vector<weekly_window> sundays{wk(date::Sunday, hm(22), hm(3))};
    EXPECT_EQ(
        expand(
            prefs("Europe/Berlin", sundays, {date_override{ymd(2027, 3, 8), {}}}),
            utc(2027, 3, 7),
            utc(2027, 3, 9)
        ),
        strings{"2027-03-07T21:00:00Z/2027-03-08T02:00:00Z"}
    );
    // The override's own window touching it joins.
    EXPECT_EQ(
        expand(
            prefs("Europe/Berlin", sundays, {date_override{ymd(2027, 3, 8), {{hm(3), hm(5)}}}}),
            utc(2027, 3, 7),
            utc(2027, 3, 9)
        ),
        strings{"2027-03-07T21:00:00Z/2027-03-08T04:00:00Z"}
    );
    // An overnight override window runs into the next (weekly) date.
    EXPECT_EQ(
        expand(
            prefs(
                "Europe/Berlin",
                std::vector{wk(date::Monday, hm(0), hm(1))},
                {date_override{ymd(2027, 3, 7), {{hm(23), hm(0, 30)}}}}
            ),
            utc(2027, 3, 7),
            utc(2027, 3, 9)
        ),
        strings{"2027-03-07T22:00:00Z/2027-03-08T00:00:00Z"}
    );
}

TEST(AvailabilityExpand, no_weekly_restriction_with_overrides) {
    // Everything but Wed 2027-03-03 (off) and Thu 2027-03-04 (10:00-12:00 only), CET.
    auto a = prefs(
        "Europe/Berlin",
        std::nullopt,
        {date_override{ymd(2027, 3, 3), {}}, date_override{ymd(2027, 3, 4), {{hm(10), hm(12)}}}}
    );
    EXPECT_EQ(
        expand(a, utc(2027, 3, 1), utc(2027, 3, 8)),
        (strings{
            "2027-03-01T00:00:00Z/2027-03-02T23:00:00Z",
            "2027-03-04T09:00:00Z/2027-03-04T11:00:00Z",
            "2027-03-04T23:00:00Z/2027-03-08T00:00:00Z"})
    );
}

TEST(AvailabilityExpand, adjacent_windows_join) {
    auto a = prefs(
        "Europe/Berlin",
        std::vector{
            wk(date::Monday, hm(2), hm(6)),
            wk(date::Monday, hm(9), hm(12)),
            wk(date::Monday, hm(12), hm(18)),
            wk(date::Sunday, hm(22), hm(2))}
    );
    EXPECT_EQ(
        expand(a, utc(2027, 2, 28), utc(2027, 3, 2)),
        (strings{
            "2027-02-28T21:00:00Z/2027-03-01T05:00:00Z",
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z"})
    );
}

TEST(AvailabilityExpand, a_month_with_a_dst_change_in_the_middle) {
    // Weekdays 09:00-17:00 Berlin through March 2027: 23 windows, the last 8 in CEST.
    std::vector<weekly_window> weekdays;
    for (unsigned d = 1; d <= 5; ++d) {
        weekdays.push_back(wk(date::weekday{d}, hm(9), hm(17)));
    }
    auto v =
        available_intervals(prefs("Europe/Berlin", weekdays), utc(2027, 3, 1), utc(2027, 4, 1));
    ASSERT_EQ(v.size(), 23U);
    EXPECT_EQ(v[0], (interval{utc(2027, 3, 1, 8), utc(2027, 3, 1, 16)}));
    EXPECT_EQ(v[19], (interval{utc(2027, 3, 26, 8), utc(2027, 3, 26, 16)}));  // Fri, CET
    EXPECT_EQ(v[20], (interval{utc(2027, 3, 29, 7), utc(2027, 3, 29, 15)}));  // Mon, CEST
    EXPECT_EQ(v[22], (interval{utc(2027, 3, 31, 7), utc(2027, 3, 31, 15)}));
}

// Enforcement ------------------------------------------------------------------------------------

TEST(AvailabilityCheck, no_preferences_or_inside_one_interval_is_fine) {
    EXPECT_FALSE(check_availability(std::nullopt, utc(2027, 3, 1, 3), utc(2027, 3, 1, 4)));
    auto a = prefs(
        "Europe/Berlin",
        std::vector{
            wk(date::Monday, hm(9), hm(12)),
            wk(date::Monday, hm(12), hm(18)),
            wk(date::Sunday, hm(22), hm(2)),
            wk(date::Monday, hm(2), hm(6))}
    );
    EXPECT_FALSE(check_availability(a, utc(2027, 3, 1, 8), utc(2027, 3, 1, 17)));   // whole
    EXPECT_FALSE(check_availability(a, utc(2027, 3, 1, 10), utc(2027, 3, 1, 12)));  // joined
    EXPECT_FALSE(check_availability(a, utc(2027, 2, 28, 22), utc(2027, 3, 1, 4)));  // overnight
}

TEST(AvailabilityCheck, offers_the_overlapping_and_the_nearest_windows) {
    // Mondays and Wednesdays 09:00-18:00 CET = 08:00Z-17:00Z.
    auto a = prefs(
        "Europe/Berlin",
        std::vector{wk(date::Monday, hm(9), hm(18)), wk(date::Wednesday, hm(9), hm(18))}
    );
    // Running over the end of Monday's window.
    auto r = check_availability(a, utc(2027, 3, 1, 16), utc(2027, 3, 1, 18));
    ASSERT_TRUE(r);
    EXPECT_EQ(
        show(*r),
        (strings{
            "2027-02-24T08:00:00Z/2027-02-24T17:00:00Z",
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-03T08:00:00Z/2027-03-03T17:00:00Z"})
    );
    // Wholly between two windows.
    r = check_availability(a, utc(2027, 3, 2, 10), utc(2027, 3, 2, 11));
    ASSERT_TRUE(r);
    EXPECT_EQ(
        show(*r),
        (strings{
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-03T08:00:00Z/2027-03-03T17:00:00Z"})
    );
    // Spanning two windows: both, plus the nearest before and after.
    r = check_availability(a, utc(2027, 3, 1, 10), utc(2027, 3, 3, 10));
    ASSERT_TRUE(r);
    EXPECT_EQ(
        show(*r),
        (strings{
            "2027-02-24T08:00:00Z/2027-02-24T17:00:00Z",
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-03T08:00:00Z/2027-03-03T17:00:00Z",
            "2027-03-08T08:00:00Z/2027-03-08T17:00:00Z"})
    );
    // A window ending exactly at the start is the one before, not an overlapping one.
    r = check_availability(a, utc(2027, 3, 1, 17), utc(2027, 3, 1, 18));
    ASSERT_TRUE(r);
    EXPECT_EQ(
        show(*r),
        (strings{
            "2027-03-01T08:00:00Z/2027-03-01T17:00:00Z",
            "2027-03-03T08:00:00Z/2027-03-03T17:00:00Z"})
    );
}

TEST(AvailabilityCheck, searches_31_days_each_way) {
    auto a = prefs(
        "Europe/Berlin",
        std::vector<weekly_window>{},
        {date_override{ymd(2027, 3, 1), {{hm(9), hm(18)}}}}
    );
    auto near = check_availability(a, utc(2027, 3, 20, 10), utc(2027, 3, 20, 11));
    ASSERT_TRUE(near);
    EXPECT_EQ(show(*near), strings{"2027-03-01T08:00:00Z/2027-03-01T17:00:00Z"});
    near = check_availability(a, utc(2027, 2, 1, 10), utc(2027, 2, 1, 11));
    ASSERT_TRUE(near);
    EXPECT_EQ(show(*near), strings{"2027-03-01T08:00:00Z/2027-03-01T17:00:00Z"});
    auto far = check_availability(a, utc(2027, 4, 15, 10), utc(2027, 4, 15, 11));
    ASSERT_TRUE(far);
    EXPECT_TRUE(far->empty());
    auto never = check_availability(
        prefs("UTC", std::vector<weekly_window>{}), utc(2027, 4, 15, 10), utc(2027, 4, 15, 11)
    );
    ASSERT_TRUE(never);
    EXPECT_TRUE(never->empty());
}

TEST(AvailabilityCheck, long_intervals_are_cut_at_the_search_range) {
    // Always available but Wed 2027-03-10 (CET): the intervals around it reach 31 days out.
    auto a = prefs("Europe/Berlin", std::nullopt, {date_override{ymd(2027, 3, 10), {}}});
    auto r = check_availability(a, utc(2027, 3, 10, 12), utc(2027, 3, 10, 13));
    ASSERT_TRUE(r);
    EXPECT_EQ(
        show(*r),
        (strings{
            "2027-02-07T12:00:00Z/2027-03-09T23:00:00Z",
            "2027-03-10T23:00:00Z/2027-04-10T13:00:00Z"})
    );
}

// Validation --------------------------------------------------------------------------------------

std::vector<std::string> paths(const field_errors& errs) {
    std::vector<std::string> out;
    for (const auto& e : errs) {
        out.push_back(e.path);
    }
    return out;
}

std::string message_at(const field_errors& errs, const std::string& path) {
    for (const auto& e : errs) {
        if (e.path == path) {
            return e.message;
        }
    }
    return "<none>";
}

TEST(AvailabilityValidate, normalises_the_order) {
    availability_input in;
    in.timezone = "Europe/Berlin";
    in.weekly = std::vector<weekly_window_input>{
        {"sun", "22:00", "02:00"},
        {"wed", "09:00", "18:00"},
        {"mon", "12:00", "24:00"},
        {"mon", "09:00", "12:00"}};
    in.overrides = {
        {"2027-03-06", {{"16:00", "18:00"}, {"12:00", "16:00"}}},
        {"2027-03-05", {}},
    };
    auto v = validate_availability(in);
    ASSERT_TRUE(v.ok()
    ) << (v.ok() ? "" : v.errors().front().path + " " + v.errors().front().message);
    EXPECT_EQ(
        v.value(),
        prefs(
            "Europe/Berlin",
            std::vector{
                wk(date::Monday, hm(9), hm(12)),
                wk(date::Monday, hm(12), hm(24)),
                wk(date::Wednesday, hm(9), hm(18)),
                wk(date::Sunday, hm(22), hm(2))},
            {date_override{ymd(2027, 3, 5), {}},
             date_override{ymd(2027, 3, 6), {{hm(12), hm(16)}, {hm(16), hm(18)}}}}
        )
    );
}

TEST(AvailabilityValidate, null_and_empty_weekly_differ) {
    availability_input in;
    in.timezone = "UTC";
    auto v = validate_availability(in);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v.value().weekly);
    in.weekly.emplace();
    v = validate_availability(in);
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v.value().weekly);
    EXPECT_TRUE(v.value().weekly->empty());
}

TEST(AvailabilityValidate, lists_every_error_at_its_path) {
    availability_input in;
    in.timezone = "Mars/Olympus";
    in.weekly = std::vector<weekly_window_input>{
        {"Mon", "09:00", "10:00"},    // 0: day
        {"mon", "9:00", "10:00"},     // 1: start
        {"tue", "09:00", "24:01"},    // 2: end
        {"tue", "24:00", "10:00"},    // 3: start (24:00 only as an end)
        {"wed", "10:00", "10:00"},    // 4: end equal to start
        {"thu", "09:00", "18:00"},    // 5: fine
        {"thu", "17:00", "19:00"},    // 6: overlaps 5
        {"thu", "18:00", "20:00"},    // 7: touches 5, overlaps 6
        {"fri", "12:60", "13:00"},    // 8: start minutes
        {"friday", "ab:cd", "1300"},  // 9: day, start, end
    };
    in.overrides = {
        {"2027-02-29", {}},  // 0: no such date
        {"2027-03-05", {{"22:00", "02:00"}, {"01:00", "03:00"}, {"23:00", "23:30"}}},  // 1
        {"2027-03-05", {{"10:00", "25:00"}}},  // 2: duplicate
        {"2027-3-05", {}},                     // 3: format
    };
    auto v = validate_availability(in);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(
        paths(v.errors()),
        (strings{
            "/timezone",
            "/weekly/0/day",
            "/weekly/1/start",
            "/weekly/2/end",
            "/weekly/3/start",
            "/weekly/4/end",
            "/weekly/6",
            "/weekly/7",
            "/weekly/8/start",
            "/weekly/9/day",
            "/weekly/9/start",
            "/weekly/9/end",
            "/overrides/0/date",
            "/overrides/1/windows/2",
            "/overrides/2/date",
            "/overrides/2/windows/0/end",
            "/overrides/3/date"})
    );
    const auto& errs = v.errors();
    EXPECT_EQ(message_at(errs, "/weekly/6"), "overlaps /weekly/5 (thu 09:00-18:00)");
    EXPECT_EQ(message_at(errs, "/weekly/7"), "overlaps /weekly/6 (thu 17:00-19:00)");
    EXPECT_EQ(message_at(errs, "/weekly/4/end"), "must differ from start");
    EXPECT_EQ(message_at(errs, "/weekly/3/start"), "24:00 is allowed only as an end");
    EXPECT_EQ(
        message_at(errs, "/overrides/1/windows/2"), "overlaps /overrides/1/windows/0 (22:00-02:00)"
    );
    EXPECT_EQ(message_at(errs, "/overrides/2/date"), "duplicates the date of /overrides/1");
}

TEST(AvailabilityValidate, overlap_uses_the_overnight_extension) {
    auto check = [](std::vector<weekly_window_input> weekly) {
        availability_input in;
        in.timezone = "UTC";
        in.weekly = std::move(weekly);
        auto v = validate_availability(in);
        return v.ok() ? strings{} : paths(v.errors());
    };
    // 22:00-02:00 covers [22:00, 26:00): 23:00-24:00 overlaps, 00:00-01:00 (morning) does not.
    EXPECT_EQ(check({{"mon", "22:00", "02:00"}, {"mon", "23:00", "24:00"}}), strings{"/weekly/1"});
    EXPECT_EQ(check({{"mon", "22:00", "02:00"}, {"mon", "00:00", "01:00"}}), strings{});
    // 18:00-00:00 is 18:00-24:00.
    EXPECT_EQ(check({{"mon", "18:00", "00:00"}, {"mon", "23:59", "24:00"}}), strings{"/weekly/1"});
    // Touching is fine, on the same day or across days.
    EXPECT_EQ(check({{"mon", "20:00", "22:00"}, {"mon", "22:00", "02:00"}}), strings{});
    EXPECT_EQ(check({{"sun", "22:00", "02:00"}, {"mon", "01:00", "03:00"}}), strings{});
    // Two overnight windows of one day: [23:00, 25:00) and [22:00, 24:30) intersect.
    EXPECT_EQ(check({{"fri", "23:00", "01:00"}, {"fri", "22:00", "00:30"}}), strings{"/weekly/1"});
    // The error sits at the later window in input order.
    EXPECT_EQ(check({{"mon", "12:00", "14:00"}, {"mon", "09:00", "13:00"}}), strings{"/weekly/1"});
}

TEST(AvailabilityValidate, wall_times_and_dates_are_exact) {
    auto check = [](std::string start, std::string end, std::string date) {
        availability_input in;
        in.timezone = "UTC";
        in.overrides = {{std::move(date), {{std::move(start), std::move(end)}}}};
        auto v = validate_availability(in);
        return v.ok() ? strings{} : paths(v.errors());
    };
    EXPECT_EQ(check("00:00", "24:00", "2028-02-29"), strings{});
    EXPECT_EQ(check("23:59", "00:00", "2027-12-31"), strings{});
    EXPECT_EQ(
        check("00:00:00", "24:00", "2027-02-29"),
        (strings{"/overrides/0/date", "/overrides/0/windows/0/start"})
    );
    EXPECT_EQ(
        check("-1:00", "+1:00", "2027-13-01"),
        (strings{"/overrides/0/date", "/overrides/0/windows/0/start", "/overrides/0/windows/0/end"})
    );
    for (const char* bad :
         {"", "0900", "09:0", "9:00", "09-00", "24:30", "25:00", " 09:00", "09:00 "}) {
        EXPECT_EQ(check("08:00", bad, "2027-03-05"), strings{"/overrides/0/windows/0/end"}) << bad;
    }
    for (const char* bad :
         {"2027-03-5", "2027/03/05", "27-03-05", "2027-03-05T00:00", "2027-04-31", "2027-00-10"}) {
        EXPECT_EQ(check("08:00", "09:00", bad), strings{"/overrides/0/date"}) << bad;
    }
}

TEST(AvailabilityValidate, formats) {
    EXPECT_EQ(format_wall_time(0), "00:00");
    EXPECT_EQ(format_wall_time(hm(9, 5)), "09:05");
    EXPECT_EQ(format_wall_time(1440), "24:00");
    EXPECT_EQ(format_weekday(date::Monday), "mon");
    EXPECT_EQ(format_weekday(date::Sunday), "sun");
    EXPECT_EQ(format_date(ymd(2027, 3, 5)), "2027-03-05");
}

}  // namespace
}  // namespace ptool::domain
