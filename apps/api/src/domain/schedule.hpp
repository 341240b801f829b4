#pragma once

// The free/busy timeline of an artist (GET /artists/{id}/schedule) and bookable start times
// (GET /artists/{id}/slots), SPEC §5 and §10. Pure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/availability.hpp"
#include "domain/booking.hpp"
#include "domain/time.hpp"

namespace ptool::domain {

// Schedule (SPEC §5, §10) -----------------------------------------------------------------------

enum class schedule_state { unavailable, available, held, pencilled, booked };
std::string_view to_string(schedule_state s);  // "unavailable", ...

// A booking as the schedule sees it: its effective status at `now` (callers pass only
// hold/pencil/confirmed; others are ignored).
struct schedule_booking {
    std::string id;
    instant start;
    instant end;
    booking_status status = booking_status::hold;
};

struct schedule_segment {
    instant start;
    instant end;
    schedule_state state = schedule_state::unavailable;
    std::vector<std::string> booking_ids;  // active bookings overlapping it, by (start, id)
    friend bool operator==(const schedule_segment&, const schedule_segment&) = default;
};

// Ordered, non-overlapping segments covering exactly [from, to). State: booked if a confirmed
// booking covers the segment, else pencilled if a pencil does, else held if a hold does, else
// available or unavailable by `available_intervals`. A booking shows even outside availability.
// Adjacent segments with equal state and booking_ids are merged. Requires from < to.
std::vector<schedule_segment> build_schedule(
    const std::optional<availability>& a,
    const std::vector<schedule_booking>& bookings,
    instant from,
    instant to
);

// Slots (SPEC §10): starts s = from + k*step with s >= now and s + duration <= to whose whole
// [s, s + duration) lies in `available` segments of `schedule` (so inside availability, and no
// active hold, pencil or confirmed booking overlaps). `schedule` covers [from, to).
// Requires duration > 0, step > 0.
std::vector<instant> free_slots(
    const std::vector<schedule_segment>& schedule,
    instant from,
    instant to,
    std::chrono::microseconds duration,
    std::chrono::microseconds step,
    instant now
);

}  // namespace ptool::domain
