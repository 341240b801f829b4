#pragma once
// SQL for availability preferences (SPEC §5): table artist_availability (weekly/overrides as
// JSON in their wire form) and the artist's zone (artists.timezone). Every function runs inside
// a transaction whose app.tenant_id is set. Throws db_error / db_unavailable like the
// connection does, and std::runtime_error if a stored document no longer validates.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "domain/availability.hpp"
#include "domain/time.hpp"
#include "platform/pg_connection.hpp"
#include "platform/pg_result.hpp"

namespace ptool::store {

// The artist's preferences: `timezone` is the artist's zone; weekly nullopt and no overrides
// when nothing is stored (always available). nullopt when the artist is not visible.
boost::asio::awaitable<std::optional<domain::availability>> read_availability(
    platform::pg_connection& c, const std::string& artist_id
);

// The same read as a statement for a pipeline (after the artist lock, so it sees preferences
// committed while waiting for it): by artist id, or by the id of one of its bookings.
platform::pg_statement availability_statement(const std::string& artist_id);
platform::pg_statement availability_of_booking_statement(const std::string& booking_id);
std::optional<domain::availability> read_availability_result(const platform::pg_result& r);

// Replaces the artist's preferences and sets artists.timezone (and updated_at, when the zone
// changes) to a.timezone. Call under the artist lock (store::lock_artist). False when the
// artist is not visible.
boost::asio::awaitable<bool> write_availability(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const domain::availability& a,
    domain::instant now
);

// The stored JSON forms (wire shape of SPEC §5), exposed for tests.
std::string weekly_json(const domain::availability& a);     // "null" or an array
std::string overrides_json(const domain::availability& a);  // an array

// True when `a` restricts nothing (no weekly windows and no overrides).
inline bool unrestricted(const domain::availability& a) { return !a.weekly && a.overrides.empty(); }

}  // namespace ptool::store
