#pragma once
// Roles of SPEC §4 and what each may do. Pure: no I/O.

#include <optional>
#include <string_view>

namespace ptool::domain {

// Ordered by power: each role may do everything the ones before it may (except `artist`,
// which adds only "edit own availability" to `viewer`).
enum class role { viewer, artist, booker, manager, admin };

std::optional<role> parse_role(std::string_view s);
std::string_view to_string(role r);

// True when `r` is at least `min` in the booker → manager → admin chain. `artist` ranks
// with `viewer` for everything but its own availability.
bool at_least(role r, role min);

}  // namespace ptool::domain
