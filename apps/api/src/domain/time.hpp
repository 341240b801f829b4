#pragma once
// Instants on the wire (SPEC §3.5, §10): UTC, microsecond precision. Pure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ptool::domain {

using instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// A half-open UTC interval [start, end).
struct interval {
    instant start;
    instant end;
    friend bool operator==(const interval&, const interval&) = default;
};

// "YYYY-MM-DDTHH:MM:SSZ", with fractional seconds (trailing zeros trimmed) only when non-zero.
std::string format_instant(instant t);

// RFC 3339 with a mandatory offset: 'T'/'t' separator, 'Z'/'z' or ±hh:mm, up to 6 fractional
// digits. Naive times, "+0530"-style offsets and impossible dates give nullopt.
std::optional<instant> parse_instant(std::string_view s);

// ISO 8601 durations of fixed length (slots' `duration` and `step`, SPEC §4): "P[nW][nD][T[nH]
// [nM][nS]]" with non-negative integer components, at least one present, a 'T' only before
// time components, a day = 24 h, a week = 7 days; case-sensitive designators. Years, months,
// fractions and signs give nullopt, as does a total over 400 days.
std::optional<std::chrono::microseconds> parse_iso_duration(std::string_view s);

// The canonical form: "PT" with hours, minutes, seconds, each only when non-zero (hours not
// folded into days): 2 h -> "PT2H", 90 min -> "PT1H30M", 1 day -> "PT24H", 0 -> "PT0S".
// Sub-second parts are dropped.
std::string format_iso_duration(std::chrono::microseconds d);

}  // namespace ptool::domain
