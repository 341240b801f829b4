#pragma once
// `ptool verify-events` (SPEC §6, §9): replays every booking's event log and compares the
// result with its `bookings` row.
//
// Replay rules (the service writes exactly one event per version bump; every payload carries
// the booking as stored after the change, `previous` the changed fields' old values):
//   - a booking has at least one event; the first is booking.held / booking.pencilled /
//     booking.confirmed with version 1 and `previous` null; no later event is booking.held;
//   - each next event's booking.version is the prior one + 1; no event follows a terminal
//     status (released, expired, cancelled); id, artistId, createdBy, createdAt never change;
//     the event row's artist_id is the snapshot's artistId;
//   - `previous` names only booking fields, each with the prior snapshot's value, and lists
//     every field that changed (version and updatedAt may be left out);
//   - the status after an event fits its type (booking.extended leaves a hold, ...);
//   - the last snapshot equals the row in every field (instants compared as instants, ids
//     case-insensitively).

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "platform/pg_pool.hpp"
#include "store/verify_store.hpp"

namespace ptool::usecase {

// One booking whose log does not replay to its row; `problems` in the order found.
struct booking_difference {
    std::string tenant_id;
    std::string booking_id;
    std::vector<std::string> problems;
};

struct verify_summary {
    std::size_t tenants = 0;
    std::size_t bookings = 0;
    std::size_t events = 0;
    std::size_t differing_bookings = 0;
};

struct verify_options {
    std::optional<std::string> tenant_id;  // only this tenant; all tenants when nullopt
    int page_size = 200;                   // bookings per read (each with all its events)
};

// Pure: the problems of one booking's history (empty when it replays to its row).
std::vector<std::string> check_booking_history(const store::booking_history& h);

// Walks the tenants (ptool_tenant_ids()), each in pages of bookings read in tenant transactions,
// and calls `on_difference` once per differing booking, as soon as it is found. Read-only.
// Throws db_unavailable / db_error when the database fails.
boost::asio::awaitable<verify_summary> verify_events(
    platform::pg_pool& pool,
    verify_options options,
    std::function<void(const booking_difference&)> on_difference
);

}  // namespace ptool::usecase
