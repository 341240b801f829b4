#pragma once
// Availability use cases (SPEC §5): preferences (GET/PUT), the schedule (free/busy timeline,
// cached in Redis) and bookable slots.
//
// Cache contract: a schedule is cached under the artist's scope (schedule_scope) keyed by its
// [from, to); its value is the response body as the injected encoder renders it. Every commit
// that changes an artist's bookings or preferences calls invalidate_artist (booking_service
// does it through its artist_changed hook) before the response is sent and before the realtime
// pump broadcasts the event (the pump invalidates too, so a change made through another
// instance is covered). An entry also lives at most until the first hold/pencil in it lapses
// (capped at cache_ttl_max). With Redis down every read is computed from PostgreSQL.
//
// Thread-safe as far as the pool is; the cache must be used on its executor (serve runs one
// io_context thread). Throws db_unavailable when the database cannot be reached.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/availability.hpp"
#include "domain/schedule.hpp"
#include "platform/pg_pool.hpp"
#include "platform/redis_cache.hpp"
#include "usecase/artists.hpp"  // artist_not_found

namespace ptool::usecase {

// The cache scope of one artist's schedules.
std::string schedule_scope(const std::string& tenant_id, const std::string& artist_id);

// A computed schedule, as the encoder sees it.
struct schedule_view {
    std::string artist_id;
    std::string timezone;
    domain::instant from;
    domain::instant to;
    std::vector<domain::schedule_segment> segments;
};
using schedule_encoder = std::function<std::string(const schedule_view&)>;

// Bookable starts (SPEC §10 "Slots").
struct slots_view {
    std::string artist_id;
    std::chrono::microseconds duration{};
    std::chrono::microseconds step{};
    std::vector<domain::instant> starts;
};

class availability_service {
public:
    static constexpr std::chrono::seconds cache_ttl_max{300};

    availability_service(
        platform::pg_pool& pool, platform::redis_cache& cache, schedule_encoder encode
    );

    // GET /artists/{id}/availability: nullopt when the artist is not in the tenant.
    boost::asio::awaitable<std::optional<domain::availability>> get(
        std::string tenant_id, std::string artist_id
    );

    // PUT: replaces the preferences (and the artist's zone) under the artist's lock, then
    // invalidates the artist's cached schedules. nullopt when the artist is not in the tenant.
    boost::asio::awaitable<std::optional<domain::availability>> put(
        std::string tenant_id, std::string artist_id, domain::availability a, domain::instant now
    );

    // GET /artists/{id}/schedule: the encoded body (from the cache when fresh). Requires
    // from < to (the caller validates ranges).
    boost::asio::awaitable<std::variant<std::string, artist_not_found>> schedule(
        std::string tenant_id,
        std::string artist_id,
        domain::instant from,
        domain::instant to,
        domain::instant now
    );

    // GET /artists/{id}/slots, computed from PostgreSQL (slots depend on `now`).
    boost::asio::awaitable<std::variant<slots_view, artist_not_found>> slots(
        std::string tenant_id,
        std::string artist_id,
        domain::instant from,
        domain::instant to,
        std::chrono::microseconds duration,
        std::chrono::microseconds step,
        domain::instant now
    );

    // After a commit that changed the artist's bookings or preferences. Never throws.
    boost::asio::awaitable<void> invalidate_artist(std::string tenant_id, std::string artist_id);

private:
    platform::pg_pool& pool_;
    platform::redis_cache& cache_;
    schedule_encoder encode_;
};

}  // namespace ptool::usecase
