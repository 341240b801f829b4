#pragma once
// Instants on the wire (SPEC §3.5, §10): UTC, microsecond precision. Pure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ptool::domain {

using instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// "YYYY-MM-DDTHH:MM:SSZ", with fractional seconds (trailing zeros trimmed) only when non-zero.
std::string format_instant(instant t);

// RFC 3339 with a mandatory offset: 'T'/'t' separator, 'Z'/'z' or ±hh:mm, up to 6 fractional
// digits. Naive times, "+0530"-style offsets and impossible dates give nullopt.
std::optional<instant> parse_instant(std::string_view s);

}  // namespace ptool::domain
