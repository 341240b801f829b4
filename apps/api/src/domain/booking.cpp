// The booking state machine (SPEC §3, §10): TTLs, ranking, conflicts, challenges and the due
// work (expiry, lost challenges). Every decision runs on a working copy of the locked calendar.

#include "domain/booking.hpp"

#include <algorithm>
#include <boost/throw_exception.hpp>
#include <chrono>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace ptool::domain {

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr auto confirm_by_tolerance = seconds{60};
constexpr std::size_t max_title_chars = 200;
constexpr std::size_t max_notes_chars = 10000;
constexpr std::size_t max_reason_chars = 1000;

// Characters as the SPEC counts them: UTF-8 code points (continuation bytes are not counted).
std::size_t code_points(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

void check_text(
    field_errors& errs, const char* path, const std::optional<std::string>& v, std::size_t max
) {
    if (v && code_points(*v) > max) {
        errs.push_back({path, "must be at most " + std::to_string(max) + " characters"});
    }
}

void check_priority(field_errors& errs, int priority) {
    if (priority < 0 || priority > 100) {
        errs.push_back({"/priority", "must be between 0 and 100"});
    }
}

bool by_start_then_id(const booking& a, const booking& b) {
    return std::tie(a.start_time, a.id) < std::tie(b.start_time, b.id);
}

domain_error error_of(booking_errc code, std::string detail) {
    domain_error e;
    e.code = code;
    e.detail = std::move(detail);
    return e;
}

domain_error validation_error(field_errors errs) {
    domain_error e = error_of(booking_errc::validation_failed, "The request has invalid fields.");
    e.errors = std::move(errs);
    return e;
}

domain_error version_error(int current) {
    domain_error e = error_of(
        booking_errc::version_mismatch, "The booking has changed since the given If-Match version."
    );
    e.current_version = current;
    return e;
}

domain_error transition_error(booking_status current, std::string_view what) {
    domain_error e = error_of(
        booking_errc::invalid_transition,
        "Cannot " + std::string(what) + " a booking that is " + std::string(to_string(current)) +
            "."
    );
    e.current_status = current;
    return e;
}

domain_error conflict_error(std::vector<booking> conflicts) {
    std::sort(conflicts.begin(), conflicts.end(), by_start_then_id);
    domain_error e = error_of(
        booking_errc::booking_conflict, "The time overlaps a pencilled or confirmed booking."
    );
    e.conflicts = std::move(conflicts);
    return e;
}

domain_error outranked_error(std::vector<booking> holds) {
    std::sort(holds.begin(), holds.end(), [](const booking& a, const booking& b) {
        return ranks_above(a, b);
    });
    holds.erase(
        std::unique(
            holds.begin(),
            holds.end(),
            [](const booking& a, const booking& b) { return a.id == b.id; }
        ),
        holds.end()
    );
    domain_error e =
        error_of(booking_errc::outranked, "An overlapping hold ranks above this booking.");
    e.outranked_by = std::move(holds);
    return e;
}

// SPEC §5: [start, end) must lie inside the artist's available windows, unless overridden.
std::optional<domain_error> availability_error(
    const calendar& cal, instant start, instant end, bool overridden
) {
    if (overridden || !cal.preferences) return std::nullopt;
    auto offer = check_availability(cal.preferences, start, end);
    if (!offer) return std::nullopt;
    domain_error e = error_of(
        booking_errc::outside_availability,
        "The time is outside the artist's availability (" + cal.preferences->timezone + ")."
    );
    e.windows = std::move(*offer);
    return e;
}

// The calendar being decided on: the bookings as they will be once `changes` are written.
class working_calendar {
public:
    working_calendar(const calendar& cal, instant now) : bookings_(cal.bookings), now_(now) {}

    instant now() const { return now_; }
    std::vector<booking>& bookings() { return bookings_; }
    const std::vector<booking>& bookings() const { return bookings_; }
    std::vector<booking_change>& changes() { return changes_; }

    const booking* find(std::string_view id) const {
        auto it = std::find_if(bookings_.begin(), bookings_.end(), [&](const booking& b) {
            return b.id == id;
        });
        return it == bookings_.end() ? nullptr : &*it;
    }

    // A hold that some (stored) pencil here names as its challenger.
    bool is_challenger(std::string_view id) const {
        return std::any_of(bookings_.begin(), bookings_.end(), [&](const booking& b) {
            return b.status == booking_status::pencil && b.challenge &&
                   b.challenge->by_booking_id == id;
        });
    }

    // Party to an open challenge: the due work leaves its expiry to the deadline.
    bool is_party(const booking& b) const {
        return (b.status == booking_status::pencil && b.challenge) ||
               (b.status == booking_status::hold && is_challenger(b.id));
    }

    booking_status status_at(const booking& b, instant t) const {
        return effective_status(b, t, b.status == booking_status::hold && is_challenger(b.id));
    }
    booking_status status(const booking& b) const { return status_at(b, now_); }

    // Other bookings overlapping `b` whose status (at now) is one of `wanted`.
    std::vector<booking> overlapping(const booking& b, std::initializer_list<booking_status> wanted)
        const {
        std::vector<booking> out;
        for (const auto& o : bookings_) {
            if (o.id == b.id || !overlaps(o, b)) continue;
            auto st = status(o);
            if (std::find(wanted.begin(), wanted.end(), st) != wanted.end()) out.push_back(o);
        }
        return out;
    }

    // Other active holds overlapping `b` that rank above it.
    std::vector<booking> holds_above(const booking& b) const {
        std::vector<booking> out;
        for (const auto& h : overlapping(b, {booking_status::hold})) {
            if (ranks_above(h, b)) out.push_back(h);
        }
        return out;
    }

    // Records one change: version + 1, updated_at = now; the working copy follows.
    void write(
        const booking& before, booking after, event_type type, std::optional<std::string> reason
    ) {
        after.version = before.version + 1;
        after.updated_at = now_;
        upsert(after);
        changes_.push_back({before, std::move(after), type, std::move(reason)});
    }

    void insert(booking created, event_type type, std::optional<std::string> reason) {
        upsert(created);
        changes_.push_back({std::nullopt, std::move(created), type, std::move(reason)});
    }

    void upsert(const booking& b) {
        for (auto& x : bookings_) {
            if (x.id == b.id) {
                x = b;
                return;
            }
        }
        bookings_.push_back(b);
    }

private:
    std::vector<booking> bookings_;
    std::vector<booking_change> changes_;
    instant now_;
};

void expire(working_calendar& w, const booking& b) {
    booking after = b;
    after.status = booking_status::expired;
    w.write(b, std::move(after), event_type::expired, std::nullopt);
}

// Every pencil the hold `challenger_id` challenges drops the challenge
// (booking.challenge_withdrawn).
void withdraw_challenges(working_calendar& w, std::string_view challenger_id) {
    std::vector<booking> pencils;
    for (const auto& b : w.bookings()) {
        if (b.status == booking_status::pencil && b.challenge &&
            b.challenge->by_booking_id == challenger_id) {
            pencils.push_back(b);
        }
    }
    std::sort(pencils.begin(), pencils.end(), by_start_then_id);
    for (const auto& p : pencils) {
        booking after = p;
        after.challenge.reset();
        w.write(p, std::move(after), event_type::challenge_withdrawn, std::nullopt);
    }
}

// A hold leaves the contest: released with `reason` (and that event reason), its own change
// first, then the withdrawals of any challenges it had opened.
void release_hold(
    working_calendar& w,
    const booking& h,
    const std::optional<std::string>& reason,
    const std::optional<std::string>& event_reason
) {
    booking after = h;
    after.status = booking_status::released;
    after.status_reason = reason;
    w.write(h, std::move(after), event_type::released, event_reason);
    withdraw_challenges(w, h.id);
}

// One of the challenger's pencils is gone (released or lost at its deadline, time `at`): the
// challenger wins when none of its pencils is left, it is still a hold, and no active
// pencil/confirmed overlaps it. Lapsed pencils in its way are expired first, so that the
// exclusion constraint (checked per UPDATE) never sees two overlapping pencils.
void resolve_challenger(
    working_calendar& w, const std::string& challenger_id, const tenant_settings& s, instant at
) {
    const booking* c = w.find(challenger_id);
    if (c == nullptr || c->status != booking_status::hold || w.is_challenger(challenger_id)) return;
    const booking challenger = *c;
    std::vector<booking> lapsed;
    for (const auto& o : w.bookings()) {
        if (o.id == challenger.id || !overlaps(o, challenger)) continue;
        if (o.status != booking_status::pencil && o.status != booking_status::confirmed) continue;
        if (w.status_at(o, at) != booking_status::expired) return;  // still in the way
        lapsed.push_back(o);
    }
    std::sort(lapsed.begin(), lapsed.end(), [](const booking& a, const booking& b) {
        return std::tie(a.expires_at, a.id) < std::tie(b.expires_at, b.id);
    });
    for (const auto& o : lapsed) expire(w, o);
    booking after = challenger;
    after.status = booking_status::pencil;
    after.expires_at = w.now() + hours{s.pencil_ttl_hours};
    after.challenge.reset();
    w.write(challenger, std::move(after), event_type::challenge_won, std::nullopt);
}

// The due work, in the order it fell due (a deadline before an expiry at the same instant, then
// by id), so the outcome is the one a perfectly punctual sweeper would have written.
void run_due(working_calendar& w, const tenant_settings& s) {
    const instant now = w.now();
    for (;;) {
        std::optional<std::tuple<instant, int, std::string>> next;
        for (const auto& b : w.bookings()) {
            std::optional<std::tuple<instant, int, std::string>> key;
            if (b.status == booking_status::pencil && b.challenge && b.challenge->deadline <= now) {
                key.emplace(b.challenge->deadline, 0, b.id);
            } else if ((b.status == booking_status::hold || b.status == booking_status::pencil) && b.expires_at && *b.expires_at <= now && !w.is_party(b)) {
                key.emplace(*b.expires_at, 1, b.id);
            }
            if (key && (!next || *key < *next)) next = std::move(key);
        }
        if (!next) return;
        const booking b = *w.find(std::get<2>(*next));
        if (std::get<1>(*next) == 1) {
            expire(w, b);
            continue;
        }
        const std::string challenger_id = b.challenge->by_booking_id;
        booking after = b;
        after.status = booking_status::released;
        after.status_reason = "challenge_lost";
        after.challenge.reset();
        w.write(b, std::move(after), event_type::released, "challenge_lost");
        resolve_challenger(w, challenger_id, s, std::get<0>(*next));
    }
}

// A confirmed booking ends the contest over its range (SPEC §3.3, §10): every other overlapping
// active hold is released `superseded`, in rank order. When the booking was a challenged pencil,
// its challenger instead fails (stays a hold with a fresh, uncapped TTL) and withdraws its
// other challenges; that comes first.
void supersede_holds(
    working_calendar& w,
    const booking& confirmed,
    const std::optional<std::string>& failed_challenger_id,
    const tenant_settings& s
) {
    if (failed_challenger_id) {
        const booking* c = w.find(*failed_challenger_id);
        if (c != nullptr && c->status == booking_status::hold) {
            const booking before = *c;
            booking after = before;
            after.expires_at = w.now() + minutes{s.hold_ttl_minutes};
            w.write(before, std::move(after), event_type::challenge_failed, std::nullopt);
            withdraw_challenges(w, before.id);
        }
    }
    auto holds = w.overlapping(confirmed, {booking_status::hold});
    std::sort(holds.begin(), holds.end(), [](const booking& a, const booking& b) {
        return ranks_above(a, b);
    });
    for (const auto& h : holds) {
        if (failed_challenger_id && h.id == *failed_challenger_id) continue;
        release_hold(w, h, "superseded", "superseded");
    }
}

// The target as it stands in the working calendar (after the due work), else as given.
booking current_target(const working_calendar& w, const booking& target) {
    const booking* b = w.find(target.id);
    return b != nullptr ? *b : target;
}

decision finish(working_calendar& w, const std::string& target_id, const booking& fallback) {
    decision d{std::move(w.changes()), fallback, true};
    if (const booking* b = w.find(target_id)) d.result = *b;
    return d;
}

std::optional<std::string> override_reason(bool override_availability) {
    if (override_availability) return std::string("overrideAvailability");
    return std::nullopt;
}

booking_result<decision> do_pencil(
    working_calendar& w,
    const booking& t,
    instant expires_at,
    const calendar& cal,
    const transition_request& req
) {
    auto st = w.status(t);
    if (st != booking_status::hold) return transition_error(st, "pencil");
    const bool overridden = req.override_availability || t.availability_overridden;
    if (auto e = availability_error(cal, t.start_time, t.end_time, overridden)) return *e;
    auto conflicts = w.overlapping(t, {booking_status::pencil, booking_status::confirmed});
    if (!conflicts.empty()) return conflict_error(std::move(conflicts));
    auto above = w.holds_above(t);
    if (!above.empty()) return outranked_error(std::move(above));
    booking after = t;
    after.status = booking_status::pencil;
    after.expires_at = expires_at;
    after.availability_overridden = overridden;
    w.write(
        t, std::move(after), event_type::pencilled, override_reason(req.override_availability)
    );
    return finish(w, t.id, t);
}

booking_result<decision> do_confirm(
    working_calendar& w,
    const booking& t,
    const tenant_settings& s,
    const calendar& cal,
    const transition_request& req
) {
    auto st = w.status(t);
    if (st != booking_status::hold && st != booking_status::pencil) {
        return transition_error(st, "confirm");
    }
    const bool overridden = req.override_availability || t.availability_overridden;
    if (auto e = availability_error(cal, t.start_time, t.end_time, overridden)) return *e;
    auto conflicts = w.overlapping(t, {booking_status::pencil, booking_status::confirmed});
    if (!conflicts.empty()) return conflict_error(std::move(conflicts));
    if (st == booking_status::hold) {
        auto above = w.holds_above(t);
        if (!above.empty()) return outranked_error(std::move(above));
    }
    std::optional<std::string> challenger;
    if (t.challenge) challenger = t.challenge->by_booking_id;
    booking after = t;
    after.status = booking_status::confirmed;
    after.expires_at.reset();
    after.challenge.reset();
    after.availability_overridden = overridden;
    w.write(t, after, event_type::confirmed, override_reason(req.override_availability));
    supersede_holds(w, after, challenger, s);
    return finish(w, t.id, t);
}

booking_result<decision> do_release(
    working_calendar& w, const booking& t, const transition_request& req, const tenant_settings& s
) {
    auto st = w.status(t);
    if (st == booking_status::hold) {
        release_hold(w, t, req.reason, req.reason);
        return finish(w, t.id, t);
    }
    if (st != booking_status::pencil) return transition_error(st, "release");
    std::optional<std::string> challenger;
    if (t.challenge) challenger = t.challenge->by_booking_id;
    booking after = t;
    after.status = booking_status::released;
    after.status_reason = req.reason;
    after.challenge.reset();
    w.write(t, std::move(after), event_type::released, req.reason);
    if (challenger) resolve_challenger(w, *challenger, s, w.now());
    return finish(w, t.id, t);
}

booking_result<decision> do_cancel(
    working_calendar& w, const booking& t, const transition_request& req
) {
    auto st = w.status(t);
    if (st != booking_status::confirmed) return transition_error(st, "cancel");
    booking after = t;
    after.status = booking_status::cancelled;
    after.status_reason = req.reason;
    w.write(t, std::move(after), event_type::cancelled, req.reason);
    return finish(w, t.id, t);
}

booking_result<decision> do_extend(
    working_calendar& w, const booking& t, const tenant_settings& s
) {
    auto st = w.status(t);
    if (st != booking_status::hold) return transition_error(st, "extend");
    instant next = extended_hold_expiry(t, s, w.now());
    if (t.expires_at && next == *t.expires_at) {
        decision d = finish(w, t.id, t);
        d.changed = false;
        return d;
    }
    booking after = t;
    after.expires_at = next;
    w.write(t, std::move(after), event_type::extended, std::nullopt);
    return finish(w, t.id, t);
}

booking_result<decision> do_challenge(
    working_calendar& w, const booking& t, const transition_request& req, const tenant_settings& s
) {
    auto st = w.status(t);
    if (st != booking_status::hold) return transition_error(st, "challenge with");
    auto confirmed = w.overlapping(t, {booking_status::confirmed});
    if (!confirmed.empty()) return conflict_error(std::move(confirmed));
    auto pencils = w.overlapping(t, {booking_status::pencil});
    if (pencils.empty()) {
        domain_error e = transition_error(st, "challenge with");
        e.detail = "No pencil overlaps this hold.";
        return e;
    }
    for (const auto& p : pencils) {
        if (p.challenge) {
            domain_error e = transition_error(st, "challenge with");
            e.detail = "An overlapping pencil is already challenged.";
            return e;
        }
    }
    std::vector<booking> above;
    for (const auto& p : pencils) {
        for (const auto& h : w.overlapping(p, {booking_status::hold})) {
            if (h.id != t.id && ranks_above(h, t)) above.push_back(h);
        }
    }
    if (!above.empty()) return outranked_error(std::move(above));

    std::sort(pencils.begin(), pencils.end(), by_start_then_id);
    const instant window_end = w.now() + hours{s.challenge_window_hours};
    instant latest = w.now();
    for (const auto& p : pencils) {
        instant deadline = p.expires_at ? std::min(window_end, *p.expires_at) : window_end;
        latest = std::max(latest, deadline);
        booking after = p;
        after.challenge = challenge_info{t.id, deadline};
        w.write(p, std::move(after), event_type::challenged, req.reason);
    }
    booking after = t;
    after.expires_at = t.expires_at ? std::max(*t.expires_at, latest) : latest;
    w.write(t, std::move(after), event_type::challenged, req.reason);
    return finish(w, t.id, t);
}

}  // namespace

// Names -----------------------------------------------------------------------------------------

std::string_view to_string(booking_status s) {
    switch (s) {
        case booking_status::hold:
            return "hold";
        case booking_status::pencil:
            return "pencil";
        case booking_status::confirmed:
            return "confirmed";
        case booking_status::released:
            return "released";
        case booking_status::expired:
            return "expired";
        case booking_status::cancelled:
            return "cancelled";
    }
    return "hold";
}

std::optional<booking_status> parse_booking_status(std::string_view s) {
    for (auto st :
         {booking_status::hold,
          booking_status::pencil,
          booking_status::confirmed,
          booking_status::released,
          booking_status::expired,
          booking_status::cancelled}) {
        if (to_string(st) == s) return st;
    }
    return std::nullopt;
}

bool is_terminal(booking_status s) {
    return s == booking_status::released || s == booking_status::expired ||
           s == booking_status::cancelled;
}

bool is_active(booking_status s) { return !is_terminal(s); }

std::string_view to_string(event_type t) {
    switch (t) {
        case event_type::held:
            return "booking.held";
        case event_type::pencilled:
            return "booking.pencilled";
        case event_type::confirmed:
            return "booking.confirmed";
        case event_type::extended:
            return "booking.extended";
        case event_type::rescheduled:
            return "booking.rescheduled";
        case event_type::updated:
            return "booking.updated";
        case event_type::released:
            return "booking.released";
        case event_type::expired:
            return "booking.expired";
        case event_type::cancelled:
            return "booking.cancelled";
        case event_type::challenged:
            return "booking.challenged";
        case event_type::challenge_won:
            return "booking.challenge_won";
        case event_type::challenge_failed:
            return "booking.challenge_failed";
        case event_type::challenge_withdrawn:
            return "booking.challenge_withdrawn";
    }
    return "booking.updated";
}

std::optional<event_type> parse_event_type(std::string_view s) {
    for (auto t :
         {event_type::held,
          event_type::pencilled,
          event_type::confirmed,
          event_type::extended,
          event_type::rescheduled,
          event_type::updated,
          event_type::released,
          event_type::expired,
          event_type::cancelled,
          event_type::challenged,
          event_type::challenge_won,
          event_type::challenge_failed,
          event_type::challenge_withdrawn}) {
        if (to_string(t) == s) return t;
    }
    return std::nullopt;
}

std::string_view to_string(booking_errc c) {
    switch (c) {
        case booking_errc::validation_failed:
            return "validation_failed";
        case booking_errc::version_mismatch:
            return "version_mismatch";
        case booking_errc::invalid_transition:
            return "invalid_transition";
        case booking_errc::booking_conflict:
            return "booking_conflict";
        case booking_errc::outranked:
            return "outranked";
        case booking_errc::outside_availability:
            return "outside_availability";
    }
    return "validation_failed";
}

std::string_view to_string(booking_action a) {
    switch (a) {
        case booking_action::pencil:
            return "pencil";
        case booking_action::confirm:
            return "confirm";
        case booking_action::release:
            return "release";
        case booking_action::cancel:
            return "cancel";
        case booking_action::extend:
            return "extend";
        case booking_action::challenge:
            return "challenge";
    }
    return "confirm";
}

void throw_exception_from_error(const domain_error& e, const boost::source_location& loc) {
    boost::throw_exception(
        std::runtime_error(std::string(to_string(e.code)) + ": " + e.detail), loc
    );
}

// Basics ----------------------------------------------------------------------------------------

bool overlaps(instant a_start, instant a_end, instant b_start, instant b_end) {
    return a_start < b_end && b_start < a_end;
}

bool overlaps(const booking& a, const booking& b) {
    return overlaps(a.start_time, a.end_time, b.start_time, b.end_time);
}

booking_status effective_status(const booking& b, instant now, bool is_challenger) {
    if (b.status != booking_status::hold && b.status != booking_status::pencil) return b.status;
    if (!b.expires_at || *b.expires_at > now) return b.status;
    if (b.status == booking_status::pencil && b.challenge) return b.status;
    if (b.status == booking_status::hold && is_challenger) return b.status;
    return booking_status::expired;
}

bool ranks_above(const booking& a, const booking& b) {
    // priority desc, then createdAt asc, then id asc
    return std::make_tuple(-a.priority, a.created_at, std::string_view(a.id)) <
           std::make_tuple(-b.priority, b.created_at, std::string_view(b.id));
}

// Time rules ------------------------------------------------------------------------------------

field_errors check_time_range(instant start, instant end) {
    field_errors errs;
    if (end <= start) {
        errs.push_back({"/endTime", "must be after startTime"});
    } else if (end - start < minutes{1} || end - start > days{31}) {
        errs.push_back({"/endTime", "must be between 1 minute and 31 days after startTime"});
    }
    return errs;
}

instant new_hold_expiry(const tenant_settings& s, instant now) {
    return now + minutes{std::min(s.hold_ttl_minutes, s.hold_max_minutes)};
}

instant extended_hold_expiry(const booking& hold, const tenant_settings& s, instant now) {
    instant next =
        std::min(now + minutes{s.hold_ttl_minutes}, hold.created_at + minutes{s.hold_max_minutes});
    return hold.expires_at ? std::max(*hold.expires_at, next) : next;
}

validated<instant> pencil_expiry(
    const tenant_settings& s, instant now, std::optional<instant> confirm_by
) {
    if (!confirm_by) return now + hours{s.pencil_ttl_hours};
    if (*confirm_by < now + hours{24} - confirm_by_tolerance ||
        *confirm_by > now + hours{48} + confirm_by_tolerance) {
        return field_errors{{"/confirmBy", "must be between 24 and 48 hours from now"}};
    }
    return *confirm_by;
}

// Decisions -------------------------------------------------------------------------------------

std::vector<booking_change> decide_due(const calendar& cal, const tenant_settings& s, instant now) {
    working_calendar w(cal, now);
    run_due(w, s);
    return std::move(w.changes());
}

booking_result<decision> decide_create(
    const new_booking& nb, const calendar& cal, const tenant_settings& s, instant now
) {
    const bool tentative = nb.status == booking_status::hold || nb.status == booking_status::pencil;
    field_errors errs;
    if (!tentative && nb.status != booking_status::confirmed) {
        errs.push_back({"/status", "must be hold, pencil or confirmed"});
    }
    for (auto& e : check_time_range(nb.start_time, nb.end_time)) errs.push_back(std::move(e));
    if (tentative && nb.end_time <= now) errs.push_back({"/endTime", "must be in the future"});
    check_priority(errs, nb.priority);
    check_text(errs, "/title", nb.title, max_title_chars);
    check_text(errs, "/notes", nb.notes, max_notes_chars);
    std::optional<instant> expires_at;
    if (nb.status == booking_status::hold) {
        expires_at = new_hold_expiry(s, now);
    }
    if (nb.confirm_by && nb.status != booking_status::pencil) {
        errs.push_back({"/confirmBy", "is only allowed when status is pencil"});
    }
    if (nb.status == booking_status::pencil) {
        auto exp = pencil_expiry(s, now, nb.confirm_by);
        if (exp.ok()) {
            expires_at = exp.value();
        } else {
            for (const auto& e : exp.errors()) errs.push_back(e);
        }
    }
    if (!errs.empty()) return validation_error(std::move(errs));
    if (auto e = availability_error(cal, nb.start_time, nb.end_time, nb.override_availability)) {
        return *e;
    }

    booking b;
    b.id = nb.id;
    b.artist_id = nb.artist_id;
    b.project_id = nb.project_id;
    b.start_time = nb.start_time;
    b.end_time = nb.end_time;
    b.status = nb.status;
    b.priority = nb.priority;
    b.expires_at = expires_at;
    b.version = 1;
    b.title = nb.title;
    b.notes = nb.notes;
    b.availability_overridden = nb.override_availability;
    b.created_by = nb.created_by;
    b.created_at = now;
    b.updated_at = now;

    working_calendar w(cal, now);
    run_due(w, s);
    std::vector<booking> conflicts =
        nb.status == booking_status::hold
            ? w.overlapping(b, {booking_status::confirmed})
            : w.overlapping(b, {booking_status::pencil, booking_status::confirmed});
    if (!conflicts.empty()) return conflict_error(std::move(conflicts));
    if (nb.status != booking_status::hold) {
        auto above = w.holds_above(b);
        if (!above.empty()) return outranked_error(std::move(above));
    }
    const event_type type = nb.status == booking_status::hold     ? event_type::held
                            : nb.status == booking_status::pencil ? event_type::pencilled
                                                                  : event_type::confirmed;
    w.insert(b, type, override_reason(nb.override_availability));
    if (nb.status == booking_status::confirmed) supersede_holds(w, b, std::nullopt, s);
    return finish(w, b.id, b);
}

booking_result<decision> decide_transition(
    const booking& target,
    const transition_request& req,
    const calendar& cal,
    const tenant_settings& s,
    instant now
) {
    field_errors errs;
    std::optional<instant> pencil_expires;
    if (req.action == booking_action::pencil) {
        auto exp = pencil_expiry(s, now, req.confirm_by);
        if (exp.ok()) {
            pencil_expires = exp.value();
        } else {
            errs = exp.errors();
        }
    } else if (req.confirm_by) {
        errs.push_back({"/confirmBy", "is only allowed when entering pencil"});
    }
    check_text(errs, "/reason", req.reason, max_reason_chars);
    if (!errs.empty()) return validation_error(std::move(errs));
    // If-Match compares with the stored version: a lazily shown expiry does not change it.
    if (req.if_match && *req.if_match != target.version) return version_error(target.version);

    working_calendar w(cal, now);
    run_due(w, s);
    const booking t = current_target(w, target);
    switch (req.action) {
        case booking_action::pencil:
            return do_pencil(w, t, *pencil_expires, cal, req);
        case booking_action::confirm:
            return do_confirm(w, t, s, cal, req);
        case booking_action::release:
            return do_release(w, t, req, s);
        case booking_action::cancel:
            return do_cancel(w, t, req);
        case booking_action::extend:
            return do_extend(w, t, s);
        case booking_action::challenge:
            return do_challenge(w, t, req, s);
    }
    return transition_error(w.status(t), to_string(req.action));
}

booking_result<decision> decide_patch(
    const booking& target,
    const booking_patch& patch,
    const calendar& cal,
    const tenant_settings& s,
    instant now
) {
    working_calendar w(cal, now);
    run_due(w, s);
    const booking t = current_target(w, target);

    booking next = t;
    if (patch.start_time) next.start_time = *patch.start_time;
    if (patch.end_time) next.end_time = *patch.end_time;
    if (patch.title) next.title = *patch.title;
    if (patch.notes) next.notes = *patch.notes;
    if (patch.priority) next.priority = *patch.priority;
    const bool moved = next.start_time != t.start_time || next.end_time != t.end_time;

    field_errors errs;
    if (patch.start_time || patch.end_time) {
        errs = check_time_range(next.start_time, next.end_time);
    }
    const bool tentative = t.status == booking_status::hold || t.status == booking_status::pencil;
    if (moved && tentative && next.end_time <= now) {
        errs.push_back({"/endTime", "must be in the future"});
    }
    if (patch.priority) check_priority(errs, *patch.priority);
    if (patch.title) check_text(errs, "/title", *patch.title, max_title_chars);
    if (patch.notes) check_text(errs, "/notes", *patch.notes, max_notes_chars);
    if (!errs.empty()) return validation_error(std::move(errs));
    const booking_status st = w.status(t);
    if (moved && !is_terminal(st)) {
        if (auto e = availability_error(
                cal, next.start_time, next.end_time, patch.override_availability
            )) {
            return *e;
        }
    }
    if (patch.if_match && *patch.if_match != target.version) return version_error(target.version);

    if (is_terminal(st)) return transition_error(st, "change");
    if (moved) next.availability_overridden = patch.override_availability;

    if (next.start_time == t.start_time && next.end_time == t.end_time && next.title == t.title &&
        next.notes == t.notes && next.priority == t.priority) {
        decision d = finish(w, t.id, t);
        d.changed = false;
        return d;
    }

    if (moved) {
        std::vector<booking> conflicts =
            st == booking_status::hold
                ? w.overlapping(next, {booking_status::confirmed})
                : w.overlapping(next, {booking_status::pencil, booking_status::confirmed});
        if (!conflicts.empty()) return conflict_error(std::move(conflicts));
        if (st != booking_status::hold) {
            auto above = w.holds_above(next);
            if (!above.empty()) return outranked_error(std::move(above));
        }
        // A challenged pencil moved clear of its challenger leaves the contest.
        if (next.challenge) {
            const booking* c = w.find(next.challenge->by_booking_id);
            if (c == nullptr || !overlaps(*c, next)) next.challenge.reset();
        }
    }

    const bool was_challenger = st == booking_status::hold && w.is_challenger(t.id);
    w.write(
        t,
        next,
        moved ? event_type::rescheduled : event_type::updated,
        override_reason(patch.override_availability)
    );
    if (moved && was_challenger) withdraw_challenges(w, t.id);
    if (moved && st == booking_status::confirmed) {
        // Only lower-ranked holds are left here: a higher-ranked one made this 409 `outranked`.
        supersede_holds(w, next, std::nullopt, s);
    }
    return finish(w, t.id, t);
}

}  // namespace ptool::domain
