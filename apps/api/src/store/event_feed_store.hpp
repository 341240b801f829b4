#pragma once
// Cross-tenant reads of the real-time pump (SPEC §6 "ordering without loss", §7): the global
// event watermark, events of every tenant by seq, and the artists whose availability changed.
// They go through the SECURITY DEFINER functions of migrations 0001/0004, so the pump's
// connection needs no tenant. Throw db_error / db_unavailable like every store function.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"
#include "store/booking_store.hpp"

namespace ptool::store {

// An event with its tenant.
struct feed_event {
    std::string tenant_id;
    event_row event;
};

// The highest seq visible now in any tenant, and the snapshot it was read in (pass it to
// watermark_final until that answers true).
boost::asio::awaitable<event_watermark> read_global_watermark(platform::pg_connection& c);

// Events of every tenant with after_seq < seq <= through_seq, in seq order, up to `limit`.
boost::asio::awaitable<std::vector<feed_event>> list_all_events(
    platform::pg_connection& c, long long after_seq, long long through_seq, int limit
);

// An artist, by tenant.
struct artist_ref {
    std::string tenant_id;
    std::string artist_id;
};

// Artists whose preferences or record changed at or after `since` (database time).
boost::asio::awaitable<std::vector<artist_ref>> availability_changed_since(
    platform::pg_connection& c, domain::instant since
);

// The tenant's highest seq at or below `through_seq` (0 when none). Runs under the tenant's
// row-level security, in the caller's transaction.
boost::asio::awaitable<long long> latest_tenant_seq(
    platform::pg_connection& c, long long through_seq
);

}  // namespace ptool::store
