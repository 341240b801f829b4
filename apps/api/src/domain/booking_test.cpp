#include "domain/booking.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace ptool::domain {
namespace {

using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::microseconds;

// "now" in every test; the bookings sit on the next day, D + h(x) hours.
const instant now = instant{std::chrono::sys_days{std::chrono::year{2030} / 1 / 10}} + 9h;
const instant day = now + 24h;
instant h(double x) { return day + std::chrono::duration_cast<microseconds>(x * 1h); }

tenant_settings settings() {
    tenant_settings s;
    s.id = "t1";
    s.name = "Acme";
    return s;  // 30 min TTL, 480 min cap, 48 h pencils, 24 h challenge window
}

// A stored booking: version 3, created 10 minutes ago; holds expire in 20 min, pencils in 30 h.
booking make(std::string id, booking_status st, instant start, instant end, int priority = 0) {
    booking b;
    b.id = std::move(id);
    b.artist_id = "artist-1";
    b.start_time = start;
    b.end_time = end;
    b.status = st;
    b.priority = priority;
    if (st == booking_status::hold) b.expires_at = now + 20min;
    if (st == booking_status::pencil) b.expires_at = now + 30h;
    b.version = 3;
    b.created_by = "user-1";
    b.created_at = now - 10min;
    b.updated_at = now - 10min;
    return b;
}

booking challenged(booking pencil, const std::string& by, instant deadline) {
    pencil.challenge = challenge_info{by, deadline};
    return pencil;
}

// "id:event:status:v<version>" per change, to assert order and content at once.
std::vector<std::string> summary(const std::vector<booking_change>& changes) {
    std::vector<std::string> out;
    for (const auto& c : changes) {
        out.push_back(
            c.after.id + ":" + std::string(to_string(c.type)) + ":" +
            std::string(to_string(c.after.status)) + ":v" + std::to_string(c.after.version)
        );
    }
    return out;
}

transition_request act(booking_action a, std::optional<int> if_match = std::nullopt) {
    transition_request r;
    r.action = a;
    r.if_match = if_match;
    return r;
}

new_booking create_req(
    std::string id, booking_status st, instant start, instant end, int prio = 0
) {
    new_booking nb;
    nb.id = std::move(id);
    nb.artist_id = "artist-1";
    nb.start_time = start;
    nb.end_time = end;
    nb.status = st;
    nb.priority = prio;
    nb.created_by = "user-2";
    return nb;
}

// The booking as the last change on `id` leaves it (a test failure when none touches it).
booking changed(const std::vector<booking_change>& cs, const std::string& id) {
    for (auto it = cs.rbegin(); it != cs.rend(); ++it) {
        if (it->after.id == id) return it->after;
    }
    ADD_FAILURE() << "no change on " << id;
    return booking{};
}

// Names ---------------------------------------------------------------------------------------

TEST(booking_names, round_trip) {
    for (auto st :
         {booking_status::hold,
          booking_status::pencil,
          booking_status::confirmed,
          booking_status::released,
          booking_status::expired,
          booking_status::cancelled}) {
        EXPECT_EQ(parse_booking_status(to_string(st)), st);
    }
    EXPECT_EQ(to_string(booking_status::confirmed), "confirmed");
    EXPECT_FALSE(parse_booking_status("Hold"));
    EXPECT_EQ(to_string(event_type::challenge_withdrawn), "booking.challenge_withdrawn");
    EXPECT_EQ(parse_event_type("booking.held"), event_type::held);
    EXPECT_FALSE(parse_event_type("held"));
    EXPECT_EQ(to_string(booking_errc::booking_conflict), "booking_conflict");
    EXPECT_EQ(to_string(booking_action::challenge), "challenge");
    EXPECT_TRUE(is_terminal(booking_status::expired));
    EXPECT_FALSE(is_terminal(booking_status::pencil));
    EXPECT_TRUE(is_active(booking_status::confirmed));
    EXPECT_FALSE(is_active(booking_status::cancelled));
}

TEST(booking_result_value, throws_on_error) {
    auto r = decide_transition(
        make("x", booking_status::released, h(10), h(11)),
        act(booking_action::confirm),
        {},
        settings(),
        now
    );
    ASSERT_TRUE(r.has_error());
    EXPECT_THROW((void)r.value(), std::exception);
}

// Basics --------------------------------------------------------------------------------------

TEST(booking_overlap, half_open_ranges) {
    EXPECT_FALSE(overlaps(h(10), h(12), h(12), h(14)));
    EXPECT_FALSE(overlaps(h(12), h(14), h(10), h(12)));
    EXPECT_TRUE(overlaps(h(10), h(12), h(11.99), h(14)));
    EXPECT_TRUE(overlaps(h(10), h(14), h(11), h(12)));
}

TEST(booking_effective_status, lazy_expiry) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    hold.expires_at = now;
    EXPECT_EQ(effective_status(hold, now), booking_status::expired);
    EXPECT_EQ(effective_status(hold, now - 1us), booking_status::hold);
    EXPECT_EQ(effective_status(hold, now, true), booking_status::hold);  // a challenger

    auto pencil = make("p", booking_status::pencil, h(10), h(11));
    pencil.expires_at = now - 1s;
    EXPECT_EQ(effective_status(pencil, now), booking_status::expired);
    pencil.challenge = challenge_info{"h", now - 1s};
    EXPECT_EQ(effective_status(pencil, now), booking_status::pencil);

    auto conf = make("c", booking_status::confirmed, h(10), h(11));
    EXPECT_EQ(effective_status(conf, now + days{1000}), booking_status::confirmed);
    auto rel = make("r", booking_status::released, h(10), h(11));
    rel.expires_at = now - 1h;
    EXPECT_EQ(effective_status(rel, now), booking_status::released);
}

TEST(booking_rank, priority_then_created_at_then_id) {
    auto a = make("b", booking_status::hold, h(10), h(11), 5);
    auto b = make("a", booking_status::hold, h(10), h(11), 4);
    b.created_at = a.created_at - 1h;
    EXPECT_TRUE(ranks_above(a, b));  // priority first
    EXPECT_FALSE(ranks_above(b, a));

    b.priority = 5;
    EXPECT_TRUE(ranks_above(b, a));  // then earlier createdAt
    EXPECT_FALSE(ranks_above(a, b));

    b.created_at = a.created_at;
    EXPECT_TRUE(ranks_above(b, a));  // then id "a" < "b"
    EXPECT_FALSE(ranks_above(a, b));
    EXPECT_FALSE(ranks_above(a, a));
}

// Time rules ----------------------------------------------------------------------------------

TEST(booking_time_range, edges) {
    EXPECT_TRUE(check_time_range(h(10), h(10) + 1min).empty());
    EXPECT_TRUE(check_time_range(h(10), h(10) + days{31}).empty());

    auto short_one = check_time_range(h(10), h(10) + 59s);
    ASSERT_EQ(short_one.size(), 1U);
    EXPECT_EQ(short_one[0].path, "/endTime");

    auto long_one = check_time_range(h(10), h(10) + days{31} + 1us);
    ASSERT_EQ(long_one.size(), 1U);
    EXPECT_EQ(long_one[0].path, "/endTime");

    auto empty = check_time_range(h(10), h(10));
    ASSERT_EQ(empty.size(), 1U);
    EXPECT_EQ(empty[0], (field_error{"/endTime", "must be after startTime"}));

    EXPECT_EQ(check_time_range(h(10), h(9)).size(), 1U);
}

TEST(booking_ttl, new_hold_is_capped_by_max) {
    auto s = settings();
    EXPECT_EQ(new_hold_expiry(s, now), now + 30min);
    s.hold_ttl_minutes = 60;
    s.hold_max_minutes = 45;
    EXPECT_EQ(new_hold_expiry(s, now), now + 45min);
}

TEST(booking_ttl, extension_is_capped_and_never_lowers) {
    auto s = settings();
    auto hold = make("h", booking_status::hold, h(10), h(11));
    hold.created_at = now - 10min;
    hold.expires_at = now + 5min;
    EXPECT_EQ(extended_hold_expiry(hold, s, now), now + 30min);

    hold.created_at = now - 470min;  // cap at created + 480 = now + 10
    EXPECT_EQ(extended_hold_expiry(hold, s, now), now + 10min);

    hold.expires_at = now + 3h;  // a challenger keeps its deadline
    EXPECT_EQ(extended_hold_expiry(hold, s, now), now + 3h);
}

TEST(booking_ttl, extend_writes_event_and_bumps_version) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    auto r = decide_transition(hold, act(booking_action::extend, 3), {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->changed);
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"h:booking.extended:hold:v4"}));
    EXPECT_EQ(r->result.expires_at, now + 30min);
    EXPECT_EQ(r->result.updated_at, now);
    ASSERT_TRUE(r->changes[0].before);
    EXPECT_EQ(r->changes[0].before->expires_at, now + 20min);
}

TEST(booking_ttl, extend_at_cap_is_a_no_op) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    hold.created_at = now - 470min;
    hold.expires_at = now + 10min;  // = createdAt + holdMaxMinutes
    auto r = decide_transition(hold, act(booking_action::extend), {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->changed);
    EXPECT_TRUE(r->changes.empty());
    EXPECT_EQ(r->result, hold);
    EXPECT_EQ(r->result.version, 3);
}

TEST(booking_ttl, confirm_by_window_edges) {
    auto s = settings();
    auto ok = [&](instant t) { return pencil_expiry(s, now, t).ok(); };
    EXPECT_TRUE(ok(now + 24h - 60s));
    EXPECT_FALSE(ok(now + 24h - 61s));
    EXPECT_TRUE(ok(now + 48h + 60s));
    EXPECT_FALSE(ok(now + 48h + 61s));
    EXPECT_TRUE(ok(now + 36h));
    EXPECT_EQ(pencil_expiry(s, now, now + 30h).value(), now + 30h);

    auto bad = pencil_expiry(s, now, now + 1h);
    ASSERT_FALSE(bad.ok());
    ASSERT_EQ(bad.errors().size(), 1U);
    EXPECT_EQ(bad.errors()[0].path, "/confirmBy");

    EXPECT_EQ(pencil_expiry(s, now, std::nullopt).value(), now + 48h);
    s.pencil_ttl_hours = 24;
    EXPECT_EQ(pencil_expiry(s, now, std::nullopt).value(), now + 24h);
}

// The state machine: every (state, action) pair ---------------------------------------------

enum class action { pencil, confirm, release, cancel, extend, challenge, patch };

struct state_row {
    const char* name;
    booking_status stored;
    bool lapsed;
    // per action (order of `action`): the status after success, or the currentStatus of the 409
    struct cell {
        bool ok;
        booking_status status;
    };
    cell cells[7];
};

constexpr booking_status H = booking_status::hold;
constexpr booking_status P = booking_status::pencil;
constexpr booking_status C = booking_status::confirmed;
constexpr booking_status R = booking_status::released;
constexpr booking_status E = booking_status::expired;
constexpr booking_status X = booking_status::cancelled;

const state_row state_table[] = {
    // name            stored lapsed  pencil       confirm      release      cancel
    //                                extend       challenge    patch
    {"hold",
     H,
     false,
     {{true, P}, {true, C}, {true, R}, {false, H}, {true, H}, {true, H}, {true, H}}},
    {"pencil",
     P,
     false,
     {{false, P}, {true, C}, {true, R}, {false, P}, {false, P}, {false, P}, {true, P}}},
    {"confirmed",
     C,
     false,
     {{false, C}, {false, C}, {false, C}, {true, X}, {false, C}, {false, C}, {true, C}}},
    {"released",
     R,
     false,
     {{false, R}, {false, R}, {false, R}, {false, R}, {false, R}, {false, R}, {false, R}}},
    {"expired",
     E,
     false,
     {{false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}}},
    {"cancelled",
     X,
     false,
     {{false, X}, {false, X}, {false, X}, {false, X}, {false, X}, {false, X}, {false, X}}},
    {"lapsed hold",
     H,
     true,
     {{false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}}},
    {"lapsed pencil",
     P,
     true,
     {{false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}, {false, E}}},
};

booking_result<decision> run_action(action a, const booking& target, const calendar& cal) {
    if (a == action::patch) {
        booking_patch p;
        p.title = std::optional<std::string>("New title");
        p.if_match = target.version;
        return decide_patch(target, p, cal, settings(), now);
    }
    const booking_action ba = a == action::pencil    ? booking_action::pencil
                              : a == action::confirm ? booking_action::confirm
                              : a == action::release ? booking_action::release
                              : a == action::cancel  ? booking_action::cancel
                              : a == action::extend  ? booking_action::extend
                                                     : booking_action::challenge;
    return decide_transition(target, act(ba, target.version), cal, settings(), now);
}

TEST(booking_state_machine, every_state_and_action) {
    const char* action_names[] = {
        "pencil", "confirm", "release", "cancel", "extend", "challenge", "patch"};
    int checked = 0;
    for (const auto& row : state_table) {
        for (int ai = 0; ai < 7; ++ai) {
            for (bool in_calendar : {true, false}) {
                const auto a = static_cast<action>(ai);
                auto target = make("t", row.stored, h(10), h(12));
                if (row.stored == booking_status::hold || row.stored == booking_status::pencil) {
                    target.expires_at = row.lapsed ? now - 1min : target.expires_at;
                } else if (row.stored == booking_status::released) {
                    target.status_reason = "done";
                }
                calendar cal;
                if (in_calendar) cal.bookings.push_back(target);
                if (a == action::challenge) {
                    cal.bookings.push_back(make("p", booking_status::pencil, h(11), h(13)));
                }
                auto r = run_action(a, target, cal);
                const auto& want = row.cells[ai];
                SCOPED_TRACE(
                    std::string(row.name) + " x " + action_names[ai] +
                    (in_calendar ? " (in calendar)" : " (not in calendar)")
                );
                if (want.ok) {
                    ASSERT_TRUE(r.has_value()) << r.error().detail;
                    EXPECT_EQ(r->result.status, want.status);
                    EXPECT_EQ(r->result.version, 4);
                    EXPECT_EQ(r->result.updated_at, now);
                    EXPECT_TRUE(r->changed);
                } else {
                    ASSERT_TRUE(r.has_error());
                    EXPECT_EQ(r.error().code, booking_errc::invalid_transition);
                    EXPECT_EQ(r.error().current_status, want.status);
                }
                ++checked;
            }
        }
    }
    EXPECT_EQ(checked, 8 * 7 * 2);
}

TEST(booking_state_machine, lapsed_booking_keeps_its_version_for_if_match) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    hold.expires_at = now - 1s;
    auto r = decide_transition(hold, act(booking_action::confirm, 3), {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::invalid_transition);
    EXPECT_EQ(r.error().current_status, booking_status::expired);

    auto m = decide_transition(hold, act(booking_action::confirm, 4), {{hold}}, settings(), now);
    ASSERT_TRUE(m.has_error());
    EXPECT_EQ(m.error().code, booking_errc::version_mismatch);
    EXPECT_EQ(m.error().current_version, 3);
}

TEST(booking_state_machine, version_mismatch_before_state) {
    auto rel = make("r", booking_status::released, h(10), h(11));
    auto r = decide_transition(rel, act(booking_action::release, 2), {{rel}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::version_mismatch);
    EXPECT_EQ(r.error().current_version, 3);
}

TEST(booking_state_machine, validation_before_version_and_state) {
    auto pencil = make("p", booking_status::pencil, h(10), h(11));
    auto req = act(booking_action::pencil, 99);
    req.confirm_by = now + 2h;
    auto r = decide_transition(pencil, req, {{pencil}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::validation_failed);
    EXPECT_EQ(
        r.error().errors, (field_errors{{"/confirmBy", "must be between 24 and 48 hours from now"}})
    );

    auto conf = act(booking_action::confirm);
    conf.confirm_by = now + 30h;  // only when entering pencil
    auto c = decide_transition(pencil, conf, {{pencil}}, settings(), now);
    ASSERT_TRUE(c.has_error());
    EXPECT_EQ(c.error().code, booking_errc::validation_failed);
    ASSERT_EQ(c.error().errors.size(), 1U);
    EXPECT_EQ(c.error().errors[0].path, "/confirmBy");
}

TEST(booking_pencil, uses_confirm_by_or_ttl) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    auto req = act(booking_action::pencil);
    req.confirm_by = now + 30h;
    auto r = decide_transition(hold, req, {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->result.expires_at, now + 30h);
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"h:booking.pencilled:pencil:v4"}));
    EXPECT_FALSE(r->changes[0].reason);

    auto d = decide_transition(hold, act(booking_action::pencil), {{hold}}, settings(), now);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->result.expires_at, now + 48h);
}

TEST(booking_pencil, conflict_then_rank) {
    auto hold = make("h", booking_status::hold, h(10), h(12));
    auto other_pencil = make("p", booking_status::pencil, h(11), h(13));
    auto better = make("b", booking_status::hold, h(9), h(10.5), 10);
    auto r = decide_transition(
        hold, act(booking_action::pencil), {{hold, other_pencil, better}}, settings(), now
    );
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
    ASSERT_EQ(r.error().conflicts.size(), 1U);
    EXPECT_EQ(r.error().conflicts[0].id, "p");

    auto o =
        decide_transition(hold, act(booking_action::pencil), {{hold, better}}, settings(), now);
    ASSERT_TRUE(o.has_error());
    EXPECT_EQ(o.error().code, booking_errc::outranked);
    ASSERT_EQ(o.error().outranked_by.size(), 1U);
    EXPECT_EQ(o.error().outranked_by[0].id, "b");

    auto lower = make("l", booking_status::hold, h(9), h(10.5), 0);
    lower.created_at = hold.created_at + 1s;  // same priority, created later
    EXPECT_TRUE(
        decide_transition(hold, act(booking_action::pencil), {{hold, lower}}, settings(), now)
            .has_value()
    );
}

// Create --------------------------------------------------------------------------------------

TEST(booking_create, hold_defaults) {
    auto nb = create_req("n", booking_status::hold, h(10), h(11));
    nb.title = "Shoot";
    auto r = decide_create(nb, {}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->changes.size(), 1U);
    const auto& c = r->changes[0];
    EXPECT_FALSE(c.before);
    EXPECT_EQ(c.type, event_type::held);
    EXPECT_FALSE(c.reason);
    EXPECT_EQ(c.after.version, 1);
    EXPECT_EQ(c.after.created_at, now);
    EXPECT_EQ(c.after.updated_at, now);
    EXPECT_EQ(c.after.expires_at, now + 30min);
    EXPECT_EQ(c.after.created_by, "user-2");
    EXPECT_EQ(c.after.title, "Shoot");
    EXPECT_EQ(r->result, c.after);
}

TEST(booking_create, pencil_and_confirmed_expiry_and_override_reason) {
    auto p = create_req("n", booking_status::pencil, h(10), h(11));
    p.confirm_by = now + 26h;
    auto r = decide_create(p, {}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->result.expires_at, now + 26h);
    EXPECT_EQ(r->changes[0].type, event_type::pencilled);

    auto c = create_req("n", booking_status::confirmed, h(10), h(11));
    c.override_availability = true;
    auto rc = decide_create(c, {}, settings(), now);
    ASSERT_TRUE(rc.has_value());
    EXPECT_FALSE(rc->result.expires_at);
    EXPECT_EQ(rc->changes[0].type, event_type::confirmed);
    EXPECT_EQ(rc->changes[0].reason, "overrideAvailability");
}

TEST(booking_create, lists_every_field_error) {
    auto nb = create_req("n", booking_status::hold, now - 2h, now - 2h);
    nb.confirm_by = now + 30h;
    nb.priority = 101;
    nb.title = std::string(201, 'x');
    auto r = decide_create(nb, {}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::validation_failed);
    EXPECT_EQ(
        r.error().errors,
        (field_errors{
            {"/endTime", "must be after startTime"},
            {"/endTime", "must be in the future"},
            {"/priority", "must be between 0 and 100"},
            {"/title", "must be at most 200 characters"},
            {"/confirmBy", "is only allowed when status is pencil"},
        })
    );

    auto pencil = create_req("n", booking_status::pencil, h(10), h(11));
    pencil.confirm_by = now + 49h;
    auto rp = decide_create(pencil, {}, settings(), now);
    ASSERT_TRUE(rp.has_error());
    EXPECT_EQ(rp.error().errors[0].path, "/confirmBy");
}

TEST(booking_create, past_end_only_for_tentative) {
    auto past = create_req("n", booking_status::confirmed, now - 3h, now - 1h);
    EXPECT_TRUE(decide_create(past, {}, settings(), now).has_value());  // backfill
    past.status = booking_status::pencil;
    EXPECT_TRUE(decide_create(past, {}, settings(), now).has_error());
    auto ends_now = create_req("n", booking_status::hold, now - 1h, now);
    EXPECT_TRUE(decide_create(ends_now, {}, settings(), now).has_error());
}

TEST(booking_create, title_counts_code_points) {
    std::string title;
    for (int i = 0; i < 200; ++i) title += "\xC3\xA9";  // é, 2 bytes each
    auto nb = create_req("n", booking_status::hold, h(10), h(11));
    nb.title = title;
    EXPECT_TRUE(decide_create(nb, {}, settings(), now).has_value());
    nb.title = title + "a";
    EXPECT_TRUE(decide_create(nb, {}, settings(), now).has_error());
}

TEST(booking_create, conflict_wins_over_outranked) {
    auto conf = make("c", booking_status::confirmed, h(10), h(11));
    auto hold = make("h", booking_status::hold, h(10.5), h(12), 50);
    auto nb = create_req("n", booking_status::pencil, h(10.5), h(11.5));
    auto r = decide_create(nb, {{conf, hold}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
    ASSERT_EQ(r.error().conflicts.size(), 1U);
    EXPECT_EQ(r.error().conflicts[0].id, "c");
    EXPECT_TRUE(r.error().outranked_by.empty());

    auto o = decide_create(nb, {{hold}}, settings(), now);
    ASSERT_TRUE(o.has_error());
    EXPECT_EQ(o.error().code, booking_errc::outranked);
    ASSERT_EQ(o.error().outranked_by.size(), 1U);
    EXPECT_EQ(o.error().outranked_by[0].id, "h");
}

TEST(booking_create, competes_as_if_created_now) {
    auto hold = make("h", booking_status::hold, h(10), h(12), 5);
    auto nb = create_req("a", booking_status::pencil, h(11), h(13), 5);  // same priority, newer
    auto r = decide_create(nb, {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::outranked);
    nb.priority = 6;
    EXPECT_TRUE(decide_create(nb, {{hold}}, settings(), now).has_value());
}

TEST(booking_create, holds_queue_behind_pencils_but_not_confirmed) {
    auto pencil = make("p", booking_status::pencil, h(10), h(12));
    auto other_hold = make("o", booking_status::hold, h(10), h(12), 100);
    auto nb = create_req("n", booking_status::hold, h(11), h(13));
    EXPECT_TRUE(decide_create(nb, {{pencil, other_hold}}, settings(), now).has_value());

    auto conf = make("c", booking_status::confirmed, h(12.5), h(14));
    auto r = decide_create(nb, {{pencil, conf}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
    ASSERT_EQ(r.error().conflicts.size(), 1U);
    EXPECT_EQ(r.error().conflicts[0].id, "c");
}

TEST(booking_create, touching_ranges_do_not_conflict) {
    auto before = make("b", booking_status::confirmed, h(10), h(12));
    auto after = make("a", booking_status::pencil, h(14), h(16));
    auto hold = make("h", booking_status::hold, h(8), h(12), 100);
    auto nb = create_req("n", booking_status::confirmed, h(12), h(14));
    auto r = decide_create(nb, {{before, after, hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"n:booking.confirmed:confirmed:v1"}));
}

TEST(booking_create, confirmed_supersedes_overlapping_holds) {
    auto h1 = make("h1", booking_status::hold, h(10), h(12), 10);
    auto h2 = make("h2", booking_status::hold, h(11), h(13), 20);
    auto far = make("far", booking_status::hold, h(15), h(16), 0);
    auto nb = create_req("n", booking_status::confirmed, h(11), h(12), 30);
    auto r = decide_create(nb, {{h1, h2, far}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "n:booking.confirmed:confirmed:v1",
            "h2:booking.released:released:v4",
            "h1:booking.released:released:v4",
        })
    );
    EXPECT_EQ(r->changes[1].reason, "superseded");
    EXPECT_EQ(r->changes[1].after.status_reason, "superseded");
    EXPECT_EQ(r->changes[2].after.updated_at, now);
    EXPECT_EQ(r->result.id, "n");

    // A pencil create never supersedes.
    auto np = create_req("n", booking_status::pencil, h(11), h(12), 30);
    auto rp = decide_create(np, {{h1, h2}}, settings(), now);
    ASSERT_TRUE(rp.has_value());
    EXPECT_EQ(rp->changes.size(), 1U);
}

TEST(booking_create, lapsed_pencil_is_expired_first_and_does_not_block) {
    auto lapsed = make("p", booking_status::pencil, h(10), h(12));
    lapsed.expires_at = now - 1min;
    auto due = decide_due({{lapsed}}, settings(), now);
    ASSERT_EQ(summary(due), (std::vector<std::string>{"p:booking.expired:expired:v4"}));
    EXPECT_FALSE(due[0].after.status_reason);
    EXPECT_FALSE(due[0].reason);
    ASSERT_TRUE(due[0].before);
    EXPECT_EQ(due[0].before->status, booking_status::pencil);

    auto nb = create_req("n", booking_status::confirmed, h(11), h(12));
    auto r = decide_create(nb, {{lapsed}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "p:booking.expired:expired:v4", "n:booking.confirmed:confirmed:v1"})
    );
}

// Confirm, release, cancel --------------------------------------------------------------------

TEST(booking_confirm, hold_outranked_but_pencil_never) {
    auto hold = make("h", booking_status::hold, h(10), h(12), 0);
    auto better = make("b", booking_status::hold, h(11), h(13), 10);
    auto r =
        decide_transition(hold, act(booking_action::confirm), {{hold, better}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::outranked);
    ASSERT_EQ(r.error().outranked_by.size(), 1U);
    EXPECT_EQ(r.error().outranked_by[0].id, "b");

    auto pencil = make("p", booking_status::pencil, h(10), h(12), 0);
    auto rp = decide_transition(
        pencil, act(booking_action::confirm), {{pencil, better}}, settings(), now
    );
    ASSERT_TRUE(rp.has_value());
    ASSERT_EQ(
        summary(rp->changes),
        (std::vector<std::string>{
            "p:booking.confirmed:confirmed:v4", "b:booking.released:released:v4"})
    );
    EXPECT_FALSE(rp->result.expires_at);
    EXPECT_EQ(rp->changes[1].after.status_reason, "superseded");
}

TEST(booking_confirm, hold_supersedes_lower_ranked_holds) {
    auto hold = make("h", booking_status::hold, h(10), h(12), 50);
    auto low = make("l", booking_status::hold, h(11), h(13), 10);
    auto touching = make("t", booking_status::hold, h(12), h(13), 10);
    auto conf = make("c", booking_status::confirmed, h(12), h(14));
    auto r = decide_transition(
        hold, act(booking_action::confirm), {{hold, low, touching, conf}}, settings(), now
    );
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "h:booking.confirmed:confirmed:v4", "l:booking.released:released:v4"})
    );
    EXPECT_EQ(r->changes[1].reason, "superseded");
}

TEST(booking_confirm, conflict_wins_over_outranked) {
    auto hold = make("h", booking_status::hold, h(10), h(12), 0);
    auto better = make("b", booking_status::hold, h(11), h(13), 10);
    auto pencil = make("p", booking_status::pencil, h(11.5), h(13));
    auto r = decide_transition(
        hold, act(booking_action::confirm), {{hold, better, pencil}}, settings(), now
    );
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
}

TEST(booking_release, hold_and_pencil_with_reason) {
    auto hold = make("h", booking_status::hold, h(10), h(12));
    auto req = act(booking_action::release);
    req.reason = "client said no";
    auto r = decide_transition(hold, req, {{hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"h:booking.released:released:v4"}));
    EXPECT_EQ(r->result.status_reason, "client said no");
    EXPECT_EQ(r->changes[0].reason, "client said no");

    auto pencil = make("p", booking_status::pencil, h(10), h(12));
    auto rp = decide_transition(pencil, act(booking_action::release), {{pencil}}, settings(), now);
    ASSERT_TRUE(rp.has_value());
    EXPECT_FALSE(rp->result.status_reason);
    EXPECT_FALSE(rp->changes[0].reason);
    EXPECT_EQ(rp->result.status, booking_status::released);
}

TEST(booking_cancel, confirmed_with_reason) {
    auto conf = make("c", booking_status::confirmed, h(10), h(12));
    auto req = act(booking_action::cancel, 3);
    req.reason = "weather";
    auto r = decide_transition(conf, req, {{conf}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"c:booking.cancelled:cancelled:v4"}));
    EXPECT_EQ(r->result.status_reason, "weather");
    EXPECT_EQ(r->changes[0].reason, "weather");
}

// Challenge -----------------------------------------------------------------------------------

TEST(booking_challenge, opens_on_every_overlapping_pencil) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    auto p1 = make("p1", booking_status::pencil, h(9), h(11));  // expires now + 30 h
    auto p2 = make("p2", booking_status::pencil, h(13), h(15));
    p2.expires_at = now + 10h;
    auto req = act(booking_action::challenge, 3);
    req.reason = "need the slot";
    auto r = decide_transition(c, req, {{c, p1, p2}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "p1:booking.challenged:pencil:v4",
            "p2:booking.challenged:pencil:v4",
            "c:booking.challenged:hold:v4",
        })
    );
    EXPECT_EQ(r->changes[0].after.challenge, (challenge_info{"c", now + 24h}));  // the window
    EXPECT_EQ(
        r->changes[1].after.challenge, (challenge_info{"c", now + 10h})
    );  // the pencil's expiry
    for (const auto& ch : r->changes) EXPECT_EQ(ch.reason, "need the slot");
    EXPECT_EQ(r->result.id, "c");
    EXPECT_EQ(r->result.expires_at, now + 24h);  // the latest deadline
    EXPECT_FALSE(r->result.challenge);
    EXPECT_EQ(r->result.version, 4);
}

TEST(booking_challenge, challenger_expiry_never_lowered) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.expires_at = now + 30h;
    auto p = make("p", booking_status::pencil, h(11), h(13));
    p.expires_at = now + 5h;
    auto r = decide_transition(c, act(booking_action::challenge), {{c, p}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->result.expires_at, now + 30h);
    EXPECT_EQ(changed(r->changes, "p").challenge, (challenge_info{"c", now + 5h}));
}

TEST(booking_challenge, outranked_per_pencil) {
    auto c = make("c", booking_status::hold, h(10), h(12), 0);
    auto p = make("p", booking_status::pencil, h(11), h(13));
    // overlaps the pencil but not the caller, ranks above: refuses
    auto rival = make("r", booking_status::hold, h(12), h(14), 5);
    // overlaps the caller but not the pencil: does not count
    auto aside = make("a", booking_status::hold, h(9), h(10.5), 50);
    // overlaps the pencil, ranks below: does not count
    auto below = make("b", booking_status::hold, h(11), h(12), 0);
    below.created_at = c.created_at + 1s;
    auto r = decide_transition(
        c, act(booking_action::challenge), {{c, p, rival, aside, below}}, settings(), now
    );
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::outranked);
    ASSERT_EQ(r.error().outranked_by.size(), 1U);
    EXPECT_EQ(r.error().outranked_by[0].id, "r");

    auto ok = decide_transition(
        c, act(booking_action::challenge), {{c, p, aside, below}}, settings(), now
    );
    ASSERT_TRUE(ok.has_value());
}

TEST(booking_challenge, outranked_lists_each_hold_once) {
    auto c = make("c", booking_status::hold, h(10), h(14), 0);
    auto p1 = make("p1", booking_status::pencil, h(9), h(11));
    auto p2 = make("p2", booking_status::pencil, h(13), h(15));
    auto big = make("big", booking_status::hold, h(8), h(16), 9);  // overlaps both pencils
    auto mid = make("mid", booking_status::hold, h(14), h(16), 3);
    auto r = decide_transition(
        c, act(booking_action::challenge), {{c, p1, p2, big, mid}}, settings(), now
    );
    ASSERT_TRUE(r.has_error());
    ASSERT_EQ(r.error().outranked_by.size(), 2U);
    EXPECT_EQ(r.error().outranked_by[0].id, "big");
    EXPECT_EQ(r.error().outranked_by[1].id, "mid");
}

TEST(booking_challenge, refusal_order) {
    auto c = make("c", booking_status::hold, h(10), h(12), 0);
    auto rival = make("r", booking_status::hold, h(10), h(12), 50);

    // no pencil at all
    auto none = decide_transition(c, act(booking_action::challenge), {{c, rival}}, settings(), now);
    ASSERT_TRUE(none.has_error());
    EXPECT_EQ(none.error().code, booking_errc::invalid_transition);
    EXPECT_EQ(none.error().current_status, booking_status::hold);

    // a pencil already challenged (by someone else), even with a rival ranking above
    auto p = challenged(make("p", booking_status::pencil, h(11), h(13)), "other", now + 5h);
    auto other = make("other", booking_status::hold, h(12), h(13));
    auto busy = decide_transition(
        c, act(booking_action::challenge), {{c, p, other, rival}}, settings(), now
    );
    ASSERT_TRUE(busy.has_error());
    EXPECT_EQ(busy.error().code, booking_errc::invalid_transition);
    EXPECT_EQ(busy.error().current_status, booking_status::hold);

    // a confirmed booking overlapping the caller comes first of all
    auto conf = make("x", booking_status::confirmed, h(9), h(10.5));
    auto blocked = decide_transition(
        c, act(booking_action::challenge), {{c, p, other, rival, conf}}, settings(), now
    );
    ASSERT_TRUE(blocked.has_error());
    EXPECT_EQ(blocked.error().code, booking_errc::booking_conflict);
    ASSERT_EQ(blocked.error().conflicts.size(), 1U);
    EXPECT_EQ(blocked.error().conflicts[0].id, "x");

    // a lapsed pencil is no pencil to challenge
    auto lapsed = make("lp", booking_status::pencil, h(11), h(13));
    lapsed.expires_at = now - 1s;
    auto gone =
        decide_transition(c, act(booking_action::challenge), {{c, lapsed}}, settings(), now);
    ASSERT_TRUE(gone.has_error());
    EXPECT_EQ(gone.error().code, booking_errc::invalid_transition);
}

TEST(booking_challenge, pencil_can_be_challenged_again_after_withdrawal) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    auto p = make("p", booking_status::pencil, h(11), h(13));
    auto rel = decide_transition(
        c, act(booking_action::release), {{c, challenged(p, "c", now + 24h)}}, settings(), now
    );
    ASSERT_TRUE(rel.has_value());
    auto freed = changed(rel->changes, "p");
    EXPECT_FALSE(freed.challenge);
    auto c2 = make("c2", booking_status::hold, h(11), h(12));
    auto again =
        decide_transition(c2, act(booking_action::challenge), {{c2, freed}}, settings(), now);
    EXPECT_TRUE(again.has_value());
}

TEST(booking_challenge, confirm_fails_it_and_withdraws_the_others) {
    auto c = make("c", booking_status::hold, h(10), h(14), 5);
    c.expires_at = now + 24h;
    auto p1 = challenged(make("p1", booking_status::pencil, h(9), h(11)), "c", now + 24h);
    auto p2 = challenged(make("p2", booking_status::pencil, h(13), h(15)), "c", now + 10h);
    auto low = make("low", booking_status::hold, h(9), h(10), 0);
    auto r =
        decide_transition(p1, act(booking_action::confirm, 3), {{c, p1, p2, low}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "p1:booking.confirmed:confirmed:v4",
            "c:booking.challenge_failed:hold:v4",
            "p2:booking.challenge_withdrawn:pencil:v4",
            "low:booking.released:released:v4",
        })
    );
    EXPECT_FALSE(r->result.challenge);
    EXPECT_FALSE(r->result.expires_at);
    EXPECT_EQ(changed(r->changes, "c").expires_at, now + 30min);  // fresh TTL, lowered
    EXPECT_FALSE(changed(r->changes, "p2").challenge);
    EXPECT_EQ(changed(r->changes, "low").status_reason, "superseded");
}

TEST(booking_challenge, failed_challenger_ttl_is_not_capped) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.created_at = now - 479min;  // the cap would allow one more minute
    c.expires_at = now + 3h;
    auto p = challenged(make("p", booking_status::pencil, h(11), h(13)), "c", now + 3h);
    auto r = decide_transition(p, act(booking_action::confirm), {{c, p}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(changed(r->changes, "c").expires_at, now + 30min);
}

TEST(booking_challenge, release_of_challenger_withdraws) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    auto p1 = challenged(make("p1", booking_status::pencil, h(9), h(11)), "c", now + 24h);
    auto p2 = challenged(make("p2", booking_status::pencil, h(13), h(15)), "c", now + 10h);
    auto req = act(booking_action::release);
    req.reason = "moved on";
    auto r = decide_transition(c, req, {{c, p1, p2}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "c:booking.released:released:v4",
            "p1:booking.challenge_withdrawn:pencil:v4",
            "p2:booking.challenge_withdrawn:pencil:v4",
        })
    );
    EXPECT_EQ(r->result.status_reason, "moved on");
    EXPECT_FALSE(changed(r->changes, "p1").challenge);
    EXPECT_FALSE(r->changes[1].reason);
}

TEST(booking_challenge, release_of_pencil_promotes_challenger) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.expires_at = now + 24h;
    auto p = challenged(make("p", booking_status::pencil, h(11), h(13)), "c", now + 24h);
    auto req = act(booking_action::release);
    req.reason = "gave in";
    auto r = decide_transition(p, req, {{c, p}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "p:booking.released:released:v4", "c:booking.challenge_won:pencil:v4"})
    );
    EXPECT_EQ(r->result.status_reason, "gave in");
    EXPECT_FALSE(r->result.challenge);
    EXPECT_EQ(changed(r->changes, "c").expires_at, now + 48h);
    EXPECT_EQ(r->result.id, "p");
}

TEST(booking_challenge, release_of_one_pencil_of_several_does_not_promote) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    auto p1 = challenged(make("p1", booking_status::pencil, h(9), h(11)), "c", now + 24h);
    auto p2 = challenged(make("p2", booking_status::pencil, h(13), h(15)), "c", now + 10h);
    auto r = decide_transition(p1, act(booking_action::release), {{c, p1, p2}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"p1:booking.released:released:v4"}));
}

TEST(booking_challenge, promotion_blocked_by_another_pencil) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    auto p = challenged(make("p", booking_status::pencil, h(9), h(11)), "c", now + 24h);
    auto q = make("q", booking_status::pencil, h(13), h(15));  // pencilled after the challenge
    auto r = decide_transition(p, act(booking_action::release), {{c, p, q}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"p:booking.released:released:v4"}));
}

TEST(booking_due, deadline_equal_to_expiry_is_a_lost_challenge) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.expires_at = now;
    auto p = challenged(make("p", booking_status::pencil, h(11), h(13)), "c", now);
    p.expires_at = now;
    auto due = decide_due({{c, p}}, settings(), now);
    ASSERT_EQ(
        summary(due),
        (std::vector<std::string>{
            "p:booking.released:released:v4", "c:booking.challenge_won:pencil:v4"})
    );
    EXPECT_EQ(due[0].after.status_reason, "challenge_lost");
    EXPECT_EQ(due[0].reason, "challenge_lost");
    EXPECT_FALSE(due[0].after.challenge);
    EXPECT_EQ(due[0].after.updated_at, now);
    EXPECT_EQ(due[1].after.expires_at, now + 48h);
    ASSERT_TRUE(due[1].before);
    EXPECT_EQ(due[1].before->status, booking_status::hold);

    // one microsecond earlier nothing is due
    EXPECT_TRUE(decide_due({{c, p}}, settings(), now - 1us).empty());
}

TEST(booking_due, multi_pencil_challenge_wins_only_when_all_are_gone) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    c.expires_at = now + 5h;
    auto p1 = challenged(make("p1", booking_status::pencil, h(9), h(11)), "c", now + 2h);
    auto p2 = challenged(make("p2", booking_status::pencil, h(13), h(15)), "c", now + 5h);

    auto first = decide_due({{c, p1, p2}}, settings(), now + 3h);
    ASSERT_EQ(summary(first), (std::vector<std::string>{"p1:booking.released:released:v4"}));

    auto both = decide_due({{c, p1, p2}}, settings(), now + 6h);
    ASSERT_EQ(
        summary(both),
        (std::vector<std::string>{
            "p1:booking.released:released:v4",
            "p2:booking.released:released:v4",
            "c:booking.challenge_won:pencil:v4",
        })
    );
    EXPECT_EQ(both[2].after.expires_at, now + 6h + 48h);
}

TEST(booking_due, expiry_of_unrelated_bookings) {
    auto hold = make("h", booking_status::hold, h(10), h(11));
    hold.expires_at = now - 5min;
    auto pencil = make("p", booking_status::pencil, h(12), h(13));
    pencil.expires_at = now - 10min;
    auto live = make("l", booking_status::hold, h(10), h(11));
    auto conf = make("c", booking_status::confirmed, h(14), h(15));
    auto done = make("d", booking_status::released, h(10), h(11));
    done.expires_at = now - 1h;
    auto due = decide_due({{hold, pencil, live, conf, done}}, settings(), now);
    ASSERT_EQ(
        summary(due),
        (std::vector<std::string>{"p:booking.expired:expired:v4", "h:booking.expired:expired:v4"})
    );
}

TEST(booking_due, open_challenge_keeps_its_parties) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.expires_at = now - 1min;  // would have lapsed, but the deadline decides
    auto p = challenged(make("p", booking_status::pencil, h(11), h(13)), "c", now + 1h);
    EXPECT_TRUE(decide_due({{c, p}}, settings(), now).empty());
}

TEST(booking_due, lapsed_blocker_is_expired_before_the_winner) {
    auto c = make("c", booking_status::hold, h(10), h(14));
    c.expires_at = now - 1h;
    auto p = challenged(make("p", booking_status::pencil, h(9), h(11)), "c", now - 1h);
    p.expires_at = now - 1h;
    auto q = make("q", booking_status::pencil, h(13), h(15));
    q.expires_at = now - 1h;  // lapses at the same instant: the deadline goes first
    auto due = decide_due({{c, p, q}}, settings(), now);
    ASSERT_EQ(
        summary(due),
        (std::vector<std::string>{
            "p:booking.released:released:v4",
            "q:booking.expired:expired:v4",
            "c:booking.challenge_won:pencil:v4",
        })
    );
}

TEST(booking_due, is_applied_before_a_transition) {
    auto stale = make("s", booking_status::hold, h(20), h(21));
    stale.expires_at = now - 1min;
    auto hold = make("h", booking_status::hold, h(10), h(11));
    auto r = decide_transition(hold, act(booking_action::extend), {{stale, hold}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{"s:booking.expired:expired:v4", "h:booking.extended:hold:v4"})
    );
}

// Patch ---------------------------------------------------------------------------------------

booking_patch patch_with(std::optional<int> if_match = 3) {
    booking_patch p;
    p.if_match = if_match;
    return p;
}

TEST(booking_patch, title_only_is_updated) {
    auto b = make("b", booking_status::pencil, h(10), h(12));
    auto p = patch_with();
    p.title = std::optional<std::string>("Shoot");
    p.override_availability = true;
    auto r = decide_patch(b, p, {{b}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"b:booking.updated:pencil:v4"}));
    EXPECT_EQ(r->result.title, "Shoot");
    EXPECT_EQ(r->result.expires_at, b.expires_at);
    EXPECT_EQ(r->changes[0].reason, "overrideAvailability");
}

TEST(booking_patch, times_and_title_is_one_rescheduled_event) {
    auto b = make("b", booking_status::hold, h(10), h(12));
    b.notes = "old";
    auto p = patch_with();
    p.start_time = h(11);
    p.title = std::optional<std::string>("Shoot");
    p.notes.emplace();  // cleared (null)
    auto r = decide_patch(b, p, {{b}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(summary(r->changes), (std::vector<std::string>{"b:booking.rescheduled:hold:v4"}));
    EXPECT_EQ(r->result.start_time, h(11));
    EXPECT_EQ(r->result.end_time, h(12));
    EXPECT_FALSE(r->result.notes);
    EXPECT_EQ(r->result.updated_at, now);
    EXPECT_FALSE(r->changes[0].reason);
}

TEST(booking_patch, nothing_to_change) {
    auto b = make("b", booking_status::hold, h(10), h(12));
    b.title = "Same";
    auto p = patch_with();
    p.start_time = h(10);
    p.title = std::optional<std::string>("Same");
    p.priority = 0;
    auto r = decide_patch(b, p, {{b}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->changed);
    EXPECT_TRUE(r->changes.empty());
    EXPECT_EQ(r->result, b);
}

TEST(booking_patch, check_order_422_412_409) {
    auto rel = make("r", booking_status::released, h(10), h(12));
    auto bad = patch_with(1);
    bad.end_time = h(9);
    bad.priority = -1;
    bad.notes = std::optional<std::string>(std::string(10001, 'n'));
    auto r = decide_patch(rel, bad, {{rel}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::validation_failed);
    ASSERT_EQ(r.error().errors.size(), 3U);
    EXPECT_EQ(r.error().errors[0].path, "/endTime");
    EXPECT_EQ(r.error().errors[1].path, "/priority");
    EXPECT_EQ(r.error().errors[2].path, "/notes");

    auto stale = patch_with(1);
    stale.title = std::optional<std::string>("x");
    auto m = decide_patch(rel, stale, {{rel}}, settings(), now);
    ASSERT_TRUE(m.has_error());
    EXPECT_EQ(m.error().code, booking_errc::version_mismatch);
    EXPECT_EQ(m.error().current_version, 3);

    auto fine = patch_with(3);
    fine.title = std::optional<std::string>("x");
    auto t = decide_patch(rel, fine, {{rel}}, settings(), now);
    ASSERT_TRUE(t.has_error());
    EXPECT_EQ(t.error().code, booking_errc::invalid_transition);
    EXPECT_EQ(t.error().current_status, booking_status::released);
}

TEST(booking_patch, tentative_may_not_move_into_the_past) {
    auto b = make("b", booking_status::hold, h(10), h(12));
    auto p = patch_with();
    p.start_time = now - 3h;
    p.end_time = now - 1h;
    auto r = decide_patch(b, p, {{b}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().errors, (field_errors{{"/endTime", "must be in the future"}}));

    auto c = make("c", booking_status::confirmed, h(10), h(12));
    EXPECT_TRUE(decide_patch(c, p, {{c}}, settings(), now).has_value());
}

TEST(booking_patch, conflicts_and_rank_when_moving) {
    auto pencil = make("p", booking_status::pencil, h(10), h(12), 5);
    auto conf = make("c", booking_status::confirmed, h(14), h(16));
    auto better = make("b", booking_status::hold, h(13), h(14), 6);
    auto p = patch_with();
    p.start_time = h(13);
    p.end_time = h(15);
    auto r = decide_patch(pencil, p, {{pencil, conf, better}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
    EXPECT_EQ(r.error().conflicts[0].id, "c");

    p.end_time = h(14);  // touches the confirmed one
    auto o = decide_patch(pencil, p, {{pencil, conf, better}}, settings(), now);
    ASSERT_TRUE(o.has_error());
    EXPECT_EQ(o.error().code, booking_errc::outranked);
    EXPECT_EQ(o.error().outranked_by[0].id, "b");

    p.priority = 7;  // the patched priority competes
    auto ok = decide_patch(pencil, p, {{pencil, conf, better}}, settings(), now);
    ASSERT_TRUE(ok.has_value());
    ASSERT_EQ(summary(ok->changes), (std::vector<std::string>{"p:booking.rescheduled:pencil:v4"}));
}

TEST(booking_patch, hold_conflicts_only_with_confirmed) {
    auto hold = make("h", booking_status::hold, h(10), h(12), 0);
    auto pencil = make("p", booking_status::pencil, h(13), h(15));
    auto better = make("b", booking_status::hold, h(13), h(15), 50);
    auto conf = make("c", booking_status::confirmed, h(16), h(17));
    auto p = patch_with();
    p.start_time = h(13);
    p.end_time = h(15);
    EXPECT_TRUE(decide_patch(hold, p, {{hold, pencil, better, conf}}, settings(), now).has_value());
    p.end_time = h(16.5);
    auto r = decide_patch(hold, p, {{hold, pencil, better, conf}}, settings(), now);
    ASSERT_TRUE(r.has_error());
    EXPECT_EQ(r.error().code, booking_errc::booking_conflict);
}

TEST(booking_patch, confirmed_moved_over_holds_supersedes_them) {
    auto conf = make("c", booking_status::confirmed, h(10), h(12), 10);
    auto low = make("l", booking_status::hold, h(13), h(14), 0);
    auto p = patch_with();
    p.start_time = h(12);
    p.end_time = h(14);
    auto r = decide_patch(conf, p, {{conf, low}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "c:booking.rescheduled:confirmed:v4", "l:booking.released:released:v4"})
    );
    EXPECT_EQ(r->changes[1].reason, "superseded");

    auto high = make("hi", booking_status::hold, h(13), h(14), 20);
    auto o = decide_patch(conf, p, {{conf, high}}, settings(), now);
    ASSERT_TRUE(o.has_error());
    EXPECT_EQ(o.error().code, booking_errc::outranked);
}

TEST(booking_patch, moving_challenger_withdraws_its_challenges) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    c.expires_at = now + 24h;
    auto pencil = challenged(make("p", booking_status::pencil, h(11), h(13)), "c", now + 24h);
    auto p = patch_with();
    p.start_time = h(10.5);
    auto r = decide_patch(c, p, {{c, pencil}}, settings(), now);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(
        summary(r->changes),
        (std::vector<std::string>{
            "c:booking.rescheduled:hold:v4", "p:booking.challenge_withdrawn:pencil:v4"})
    );
    EXPECT_FALSE(changed(r->changes, "p").challenge);

    auto t = patch_with();
    t.title = std::optional<std::string>("renamed");  // not a move: the challenge stays
    auto u = decide_patch(c, t, {{c, pencil}}, settings(), now);
    ASSERT_TRUE(u.has_value());
    ASSERT_EQ(summary(u->changes), (std::vector<std::string>{"c:booking.updated:hold:v4"}));
}

TEST(booking_patch, challenged_pencil_moved_clear_of_its_challenger_leaves_the_contest) {
    auto c = make("c", booking_status::hold, h(10), h(12));
    auto pencil = challenged(make("p", booking_status::pencil, h(11), h(13), 5), "c", now + 24h);
    auto p = patch_with();
    p.start_time = h(11.5);
    p.end_time = h(13.5);
    auto still = decide_patch(pencil, p, {{c, pencil}}, settings(), now);
    ASSERT_TRUE(still.has_value());
    EXPECT_EQ(still->result.challenge, (challenge_info{"c", now + 24h}));

    p.start_time = h(14);
    p.end_time = h(16);
    auto away = decide_patch(pencil, p, {{c, pencil}}, settings(), now);
    ASSERT_TRUE(away.has_value());
    ASSERT_EQ(
        summary(away->changes), (std::vector<std::string>{"p:booking.rescheduled:pencil:v4"})
    );
    EXPECT_FALSE(away->result.challenge);
}

}  // namespace
}  // namespace ptool::domain

// Availability enforcement (SPEC §5) -------------------------------------------------------------

namespace ptool::domain {
namespace {

// `day` is Friday 2030-01-11; the artist works Fridays 10:00-14:00 and 14:00-16:00 UTC (joined:
// h(1)..h(7)).
calendar fridays(std::vector<booking> bookings = {}) {
    availability a;
    a.timezone = "UTC";
    a.weekly = std::vector<weekly_window>{
        {date::Friday, wall_window{10 * 60, 14 * 60}},
        {date::Friday, wall_window{14 * 60, 16 * 60}},
    };
    calendar cal{std::move(bookings)};
    cal.preferences = a;
    return cal;
}

TEST(booking_availability, create_inside_joined_windows_is_fine) {
    auto res = decide_create(create_req("n", booking_status::hold, h(3), h(6)), fridays(), settings(), now);
    ASSERT_TRUE(res.has_value());
    EXPECT_FALSE(res.value().result.availability_overridden);
    EXPECT_EQ(res.value().changes.at(0).reason, std::nullopt);
}

TEST(booking_availability, create_outside_offers_the_nearest_windows) {
    auto res = decide_create(create_req("n", booking_status::hold, h(6), h(8)), fridays(), settings(), now);
    ASSERT_TRUE(res.has_error());
    const auto& e = res.error();
    EXPECT_EQ(e.code, booking_errc::outside_availability);
    const std::vector<interval> expected{
        {h(1) - days{7}, h(7) - days{7}},  // the Friday before
        {h(1), h(7)},                      // overlapping the request
        {h(1) + days{7}, h(7) + days{7}},  // the Friday after
    };
    EXPECT_EQ(e.windows, expected);
}

TEST(booking_availability, body_errors_come_before_availability) {
    auto nb = create_req("n", booking_status::hold, h(6), h(8));
    nb.title = std::string(201, 'x');
    auto res = decide_create(nb, fridays(), settings(), now);
    ASSERT_TRUE(res.has_error());
    EXPECT_EQ(res.error().code, booking_errc::validation_failed);
}

TEST(booking_availability, availability_comes_before_conflicts) {
    auto cal = fridays({make("c", booking_status::confirmed, h(7), h(9))});
    auto res = decide_create(create_req("n", booking_status::pencil, h(6), h(8)), cal, settings(), now);
    ASSERT_TRUE(res.has_error());
    EXPECT_EQ(res.error().code, booking_errc::outside_availability);
}

TEST(booking_availability, manager_override_is_recorded_and_remembered) {
    auto nb = create_req("n", booking_status::hold, h(6), h(8));
    nb.override_availability = true;
    auto res = decide_create(nb, fridays(), settings(), now);
    ASSERT_TRUE(res.has_value());
    EXPECT_TRUE(res.value().result.availability_overridden);
    EXPECT_EQ(res.value().changes.at(0).reason, std::optional<std::string>("overrideAvailability"));

    // Pencil and confirm of the same times need no second override.
    auto held = res.value().result;
    auto pencilled = decide_transition(held, act(booking_action::pencil), fridays({held}), settings(), now);
    ASSERT_TRUE(pencilled.has_value());
    EXPECT_EQ(pencilled.value().changes.at(0).reason, std::nullopt);
    auto confirmed = decide_transition(
        pencilled.value().result, act(booking_action::confirm), fridays({pencilled.value().result}),
        settings(), now
    );
    ASSERT_TRUE(confirmed.has_value());
    EXPECT_TRUE(confirmed.value().result.availability_overridden);
}

TEST(booking_availability, pencil_and_confirm_recheck_availability) {
    // Held inside, then the preferences changed: the hold now lies outside.
    auto hold = make("x", booking_status::hold, h(6), h(8));
    for (auto a : {booking_action::pencil, booking_action::confirm}) {
        auto res = decide_transition(hold, act(a), fridays({hold}), settings(), now);
        ASSERT_TRUE(res.has_error()) << to_string(a);
        EXPECT_EQ(res.error().code, booking_errc::outside_availability) << to_string(a);
        auto req = act(a);
        req.override_availability = true;
        auto ok = decide_transition(hold, req, fridays({hold}), settings(), now);
        ASSERT_TRUE(ok.has_value()) << to_string(a);
        EXPECT_EQ(ok.value().changes.at(0).reason, std::optional<std::string>("overrideAvailability"));
        EXPECT_TRUE(ok.value().result.availability_overridden);
    }
    // Other transitions do not look at availability.
    auto released = decide_transition(hold, act(booking_action::release), fridays({hold}), settings(), now);
    EXPECT_TRUE(released.has_value());
    auto extended = decide_transition(hold, act(booking_action::extend), fridays({hold}), settings(), now);
    EXPECT_TRUE(extended.has_value());
}

TEST(booking_availability, state_is_checked_before_availability_on_transitions) {
    auto lapsed = make("x", booking_status::hold, h(6), h(8));
    lapsed.expires_at = now - 1min;
    auto res = decide_transition(lapsed, act(booking_action::confirm), fridays({lapsed}), settings(), now);
    ASSERT_TRUE(res.has_error());
    EXPECT_EQ(res.error().code, booking_errc::invalid_transition);
}

TEST(booking_availability, patch_rechecks_moves_only_and_before_if_match) {
    auto b = make("x", booking_status::pencil, h(2), h(4));
    booking_patch move;
    move.end_time = h(8);
    move.if_match = 99;  // stale, but 422 comes before 412
    auto res = decide_patch(b, move, fridays({b}), settings(), now);
    ASSERT_TRUE(res.has_error());
    EXPECT_EQ(res.error().code, booking_errc::outside_availability);

    booking_patch title;
    title.title = std::optional<std::string>("renamed");
    auto outside = make("y", booking_status::pencil, h(6), h(8));  // e.g. placed by an override
    EXPECT_TRUE(decide_patch(outside, title, fridays({outside}), settings(), now).has_value());

    move.if_match = 3;
    move.override_availability = true;
    auto ok = decide_patch(b, move, fridays({b}), settings(), now);
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE(ok.value().result.availability_overridden);
    EXPECT_EQ(ok.value().changes.at(0).reason, std::optional<std::string>("overrideAvailability"));

    // A later move without the flag clears it.
    booking_patch back;
    back.start_time = h(2);
    back.end_time = h(4);
    auto cleared = decide_patch(ok.value().result, back, fridays({ok.value().result}), settings(), now);
    ASSERT_TRUE(cleared.has_value());
    EXPECT_FALSE(cleared.value().result.availability_overridden);
}

TEST(booking_availability, no_preferences_is_always_available) {
    calendar cal;
    auto res = decide_create(create_req("n", booking_status::hold, h(20), h(22)), cal, settings(), now);
    EXPECT_TRUE(res.has_value());
}

}  // namespace
}  // namespace ptool::domain
