#pragma once

// Bookings: the lifecycle state machine of SPEC §3, TTL arithmetic, ranking and challenges.
// Pure: no I/O, no clock reads; `now` arrives as an argument.
//
// How it is used: a use case locks the artist's calendar, loads the booking it acts on and the
// artist's active bookings around it (a `calendar`), and asks one decide_* function. The answer
// is either a domain_error (the SPEC's 409/412/422 outcomes) or a `decision`: the list of
// booking changes to write in order, each with its event. Every decision starts with the due
// work found in the calendar (lapsed holds/pencils expire, passed challenge deadlines resolve),
// so a lapsed pencil never blocks anyone (SPEC §3.1), then applies the requested action.
//
// Checks run in the order of SPEC §10: 422 (the body) -> 412 (If-Match) -> 409 (state, then
// conflict, then rank; booking_conflict wins over outranked).

#include <boost/system/result.hpp>
#include <boost/assert/source_location.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/availability.hpp"
#include "domain/tenant.hpp"
#include "domain/time.hpp"
#include "domain/validation.hpp"

namespace ptool::domain {

// States ------------------------------------------------------------------------------------

enum class booking_status { hold, pencil, confirmed, released, expired, cancelled };

std::string_view to_string(booking_status s);  // "hold", "pencil", ...
std::optional<booking_status> parse_booking_status(std::string_view s);
bool is_terminal(booking_status s);  // released, expired, cancelled
bool is_active(booking_status s);    // hold, pencil, confirmed

// Events (SPEC §6) --------------------------------------------------------------------------

enum class event_type {
    held,
    pencilled,
    confirmed,
    extended,
    rescheduled,
    updated,
    released,
    expired,
    cancelled,
    challenged,
    challenge_won,
    challenge_failed,
    challenge_withdrawn,
};

std::string_view to_string(event_type t);  // "booking.held", ...
std::optional<event_type> parse_event_type(std::string_view s);

// The booking ---------------------------------------------------------------------------------

// On a challenged pencil: the hold that challenges it and when the pencil loses (SPEC §3.3).
struct challenge_info {
    std::string by_booking_id;
    instant deadline;
    friend bool operator==(const challenge_info&, const challenge_info&) = default;
};

struct booking {
    std::string id;
    std::string artist_id;
    std::optional<std::string> project_id;
    instant start_time;
    instant end_time;
    booking_status status = booking_status::hold;  // as stored (see effective_status)
    int priority = 0;
    std::optional<instant> expires_at;
    int version = 1;
    std::optional<std::string> title;
    std::optional<std::string> notes;
    std::optional<std::string> status_reason;
    std::optional<challenge_info> challenge;
    // Its current times were placed with overrideAvailability (SPEC §5): pencil and confirm do
    // not re-check availability then. Set by a create/reschedule with the flag, cleared by a
    // reschedule without it. Not on the wire.
    bool availability_overridden = false;
    std::string created_by;
    instant created_at;
    instant updated_at;
    friend bool operator==(const booking&, const booking&) = default;
};

// Half-open ranges [start, end): touching ranges do not overlap.
bool overlaps(instant a_start, instant a_end, instant b_start, instant b_end);
bool overlaps(const booking& a, const booking& b);

// SPEC §3.2 lazy expiry: the status a reader sees at `now`. A hold or pencil whose expiresAt
// has passed reads as `expired`, except a party to an open challenge (a challenged pencil, or a
// hold challenging one, `is_challenger`): the challenge deadline decides those, so they keep
// their status until the sweeper (or the next write on the artist) resolves it.
booking_status effective_status(const booking& b, instant now, bool is_challenger = false);

// Rank among overlapping tentative bookings (SPEC §3.3, §10): priority desc, createdAt asc,
// id asc. True when `a` ranks above `b`.
bool ranks_above(const booking& a, const booking& b);

// Errors -------------------------------------------------------------------------------------

// Spelled like the SPEC's `code`s.
enum class booking_errc {
    validation_failed,      // 422, `errors`
    version_mismatch,       // 412, `current_version`
    invalid_transition,     // 409, `current_status`
    booking_conflict,       // 409, `conflicts`
    outranked,              // 409, `outranked_by`
    outside_availability,   // 422, `windows`
};

std::string_view to_string(booking_errc c);

struct domain_error {
    booking_errc code = booking_errc::validation_failed;
    std::string detail;                            // one sentence for people
    field_errors errors;                           // validation_failed
    std::optional<int> current_version;            // version_mismatch
    std::optional<booking_status> current_status;  // invalid_transition (effective status)
    std::vector<booking> conflicts;                // booking_conflict: the blocking bookings
    std::vector<booking> outranked_by;             // outranked: the holds ranking above
    std::vector<interval> windows;                 // outside_availability: windows to offer
};

// Lets result<T, domain_error>::value() throw (Boost 1.81 looks this up by ADL).
[[noreturn]] void throw_exception_from_error(
    const domain_error& e, const boost::source_location& loc
);

template <class T>
using booking_result = boost::system::result<T, domain_error>;

// Time rules (SPEC §3.2, §3.5, §10) ---------------------------------------------------------

// endTime > startTime and a duration of 1 minute .. 31 days; errors point at /endTime.
field_errors check_time_range(instant start, instant end);

// A new hold: now + min(holdTtlMinutes, holdMaxMinutes).
instant new_hold_expiry(const tenant_settings& s, instant now);

// An extended hold: min(now + holdTtlMinutes, createdAt + holdMaxMinutes), never below its
// current expiresAt (a challenger keeps the deadline it was given).
instant extended_hold_expiry(const booking& hold, const tenant_settings& s, instant now);

// Entering pencil: `confirm_by` if given (it must lie in [now+24h, now+48h], 60 s tolerance at
// both edges; else an error at /confirmBy), otherwise now + pencilTtlHours.
validated<instant> pencil_expiry(
    const tenant_settings& s, instant now, std::optional<instant> confirm_by
);

// Inputs ---------------------------------------------------------------------------------------

// The artist's bookings a decision needs, as loaded under the artist's lock: every booking of
// the artist with a stored status hold/pencil/confirmed overlapping the ranges involved (the
// target's old and new range), closed over challenges (the challenger of any challenged pencil
// in the set, every pencil a hold in the set challenges, and what overlaps those). It may
// contain the target itself and lapsed bookings; the decide_* functions handle both.
// `preferences` are the artist's preferences (nullopt: none, always available), read under the
// same lock so a concurrent PUT of preferences cannot slip between check and write.
struct calendar {
    std::vector<booking> bookings;
    std::optional<availability> preferences{};
};

struct new_booking {
    std::string id;  // chosen by the caller (a fresh UUID)
    std::string artist_id;
    std::optional<std::string> project_id;
    instant start_time;
    instant end_time;
    booking_status status = booking_status::hold;  // hold, pencil or confirmed
    int priority = 0;
    std::optional<std::string> title;
    std::optional<std::string> notes;
    std::optional<instant> confirm_by;  // only with status pencil (422 at /confirmBy otherwise)
    bool override_availability = false;  // recorded as the event reason "overrideAvailability"
    std::string created_by;
};

enum class booking_action { pencil, confirm, release, cancel, extend, challenge };

std::string_view to_string(booking_action a);

struct transition_request {
    booking_action action = booking_action::confirm;
    std::optional<instant> confirm_by;  // pencil only
    std::optional<std::string> reason;  // release, cancel, challenge
    std::optional<int> if_match;        // the If-Match version, when sent
    bool override_availability = false;  // pencil, confirm: skip the availability check
};

// PATCH /bookings/{id}. Absent members stay; title/notes may be set to null.
struct booking_patch {
    std::optional<instant> start_time;
    std::optional<instant> end_time;
    std::optional<std::optional<std::string>> title;
    std::optional<std::optional<std::string>> notes;
    std::optional<int> priority;
    bool override_availability = false;
    std::optional<int> if_match;  // the caller answers 428 before asking when it is missing
};

// Outputs --------------------------------------------------------------------------------------

// One row change and its event. `after` has version + 1 (or 1 for a new booking) and
// updated_at = now. The store writes it guarded by before->version.
struct booking_change {
    std::optional<booking> before;  // nullopt: a new booking (INSERT)
    booking after;
    event_type type;
    std::optional<std::string> reason;  // the event's `reason`
};

struct decision {
    std::vector<booking_change> changes;  // in write order (a losing pencil before its winner)
    booking result;                       // the requested booking after the decision
    bool changed = true;                  // false: nothing to write (extend at the cap)
};

// Decisions ------------------------------------------------------------------------------------

// The due work in `cal` at `now`, for the sweeper: lapsed holds and pencils expire
// (booking.expired); a challenged pencil whose deadline passed is released with
// `challenge_lost` and its challenger, once none of its pencils is left, is promoted to pencil
// (booking.challenge_won) in the same decision. May be empty.
// Work is done in the order it fell due (a challenge deadline before an expiry at the same
// instant, then by id): a punctual sweeper's outcome. A lapsed pencil/confirmed in a winner's way
// is expired before the winner's change, so the exclusion constraint never sees two pencils.
std::vector<booking_change> decide_due(const calendar& cal, const tenant_settings& s, instant now);

// POST /bookings. Errors: validation_failed (range, end in the past for hold/pencil, confirmBy),
// booking_conflict (a pencil/confirmed, or for a hold a confirmed, overlaps), outranked (a
// pencil/confirmed create below an overlapping active hold). A confirmed create supersedes the
// overlapping active holds.
// Also 422: /status (not hold/pencil/confirmed), /priority (0..100), /title (<= 200) and
// /notes (<= 10000 UTF-8 code points). Changes: the INSERT first, then the superseded holds (rank
// order), each followed by the withdrawal of any challenge it had opened.
booking_result<decision> decide_create(
    const new_booking& nb, const calendar& cal, const tenant_settings& s, instant now
);

// POST /bookings/{id}/{pencil,confirm,release,cancel,extend,challenge} on `target` (as loaded,
// stored status). See SPEC §3, §3.3 and §10 for every rule; `actor` is not needed: the caller
// stamps events.
// Also 422: /confirmBy sent with any action but pencil; /reason over 1000 code points.
// Write order: challenge -> the pencils (by startTime, id), then the challenger; confirm -> the
// target, then its failed challenger (booking.challenge_failed) and that hold's withdrawals, then
// the superseded holds in rank order; release of a challenger -> its release, then the
// withdrawals; release of a challenged pencil -> its release, then the winner.
booking_result<decision> decide_transition(
    const booking& target,
    const transition_request& req,
    const calendar& cal,
    const tenant_settings& s,
    instant now
);

// PATCH /bookings/{id}: reschedule and edit. A change of times writes booking.rescheduled,
// otherwise booking.updated (one event). Re-checks range, conflicts and rank with the booking's
// own priority and createdAt; a confirmed booking moved over lower-ranked holds supersedes
// them; a challenger that moves withdraws its challenges.
// Write order: the target's change, then the withdrawals or superseded holds. A challenged pencil
// moved clear of its challenger drops the challenge within its booking.rescheduled change.
booking_result<decision> decide_patch(
    const booking& target,
    const booking_patch& patch,
    const calendar& cal,
    const tenant_settings& s,
    instant now
);

}  // namespace ptool::domain
