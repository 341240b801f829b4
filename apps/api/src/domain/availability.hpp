#pragma once

// Artist availability (SPEC §5, §10 "Availability details"): weekly wall-clock windows and
// per-date overrides in the artist's IANA time zone, expanded to UTC intervals with Howard
// Hinnant's date/tz on the system tz database. The schedule and slots are in schedule.hpp.
// Pure: no I/O besides reading the tz database, no clock reads; `now` arrives as an argument.
//
// DST rule (SPEC §5): a local time that does not exist (spring forward) maps to the instant the
// clock jumps; an ambiguous one (fall back) to its earlier instant. A window is [start, end) in
// local time; `end <= start` means `end` is on the next local date (an overnight window), and an
// overnight window belongs to the date it starts on. `24:00` is allowed as an end only.

#include <chrono>
#include <date/date.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.hpp"
#include "domain/validation.hpp"

namespace ptool::domain {

// Preferences ---------------------------------------------------------------------------------

// Minutes after local midnight: start 0..1439 ("00:00".."23:59"), end 0..1440 ("24:00");
// start == end is invalid; end < start (or end == 0) is overnight into the next date.
struct wall_window {
    int start = 0;
    int end = 0;
    friend bool operator==(const wall_window&, const wall_window&) = default;
};

struct weekly_window {
    date::weekday day;  // date::Monday .. date::Sunday
    wall_window window;
    friend bool operator==(const weekly_window&, const weekly_window&) = default;
};

struct date_override {
    date::year_month_day date;
    std::vector<wall_window> windows;  // empty: unavailable that date
    friend bool operator==(const date_override&, const date_override&) = default;
};

// Validated preferences, normalised: weekly sorted by (day mon..sun, start), overrides by date,
// override windows by start.
struct availability {
    std::string timezone;                              // a zone date::locate_zone knows
    std::optional<std::vector<weekly_window>> weekly;  // nullopt: no weekly restriction
    std::vector<date_override> overrides;
    friend bool operator==(const availability&, const availability&) = default;
};

// The wire form before validation (strings as sent; JSON types already checked).
struct wall_window_input {
    std::string start;
    std::string end;
};
struct weekly_window_input {
    std::string day;  // "mon" .. "sun"
    std::string start;
    std::string end;
};
struct date_override_input {
    std::string date;  // "YYYY-MM-DD"
    std::vector<wall_window_input> windows;
};
struct availability_input {
    std::string timezone;
    std::optional<std::vector<weekly_window_input>> weekly;
    std::vector<date_override_input> overrides;
};

// Every error at once, at JSON pointers of the body: /timezone (not an IANA zone),
// /weekly/i/day, /weekly/i/start, /weekly/i/end ("HH:MM"; 24:00 only as an end; end equal to
// start at /end), /weekly/i (overlaps an earlier window of the same day; touching is fine),
// /overrides/i/date (not a real date, or a duplicate of an earlier override), and the same
// window rules under /overrides/i/windows/k.
validated<availability> validate_availability(const availability_input& in);

// "HH:MM" of a wall time in minutes (1440 -> "24:00"); "mon".."sun".
std::string format_wall_time(int minutes);
std::string_view format_weekday(date::weekday d);
std::string format_date(date::year_month_day d);  // "YYYY-MM-DD"

// True when `name` is a zone (or link) of the system's IANA tz database that date::locate_zone
// knows, e.g. "Europe/Berlin", "UTC". Case-sensitive. Thread-safe (the database is loaded once,
// on first use).
bool is_iana_timezone(std::string_view name);

// Expansion -----------------------------------------------------------------------------------

// The available UTC intervals of `a` clipped to [from, to), ordered, with overlapping and
// adjacent windows joined. Windows of local dates around [from, to) are considered, so an
// overnight window that started the day before `from` counts. `a == nullopt` (no preferences)
// is available everywhere: one interval [from, to). Throws std::runtime_error if the zone is
// unknown (preferences are validated when written).
std::vector<interval> available_intervals(
    const std::optional<availability>& a, instant from, instant to
);

// Enforcement (SPEC §5): nullopt when [start, end) lies inside one joined available interval
// (or there are no preferences). Otherwise the windows to offer instead, as whole joined
// intervals in time order: every one overlapping [start, end), the nearest one ending at or
// before `start` and the nearest one starting at or after `end` (each searched up to 31 days
// away; an interval reaching beyond [start - 31 days, end + 31 days) is cut there). May be
// empty when nothing is available within that search.
std::optional<std::vector<interval>> check_availability(
    const std::optional<availability>& a, instant start, instant end
);

}  // namespace ptool::domain
