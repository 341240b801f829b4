// Availability use cases: preferences under the artist lock, schedules through the Redis cache,
// slots from the schedule.

#include "usecase/availability.hpp"

#include <algorithm>
#include <charconv>

#include "platform/log.hpp"
#include "platform/pg_transaction.hpp"
#include "store/availability_store.hpp"
#include "store/booking_store.hpp"

namespace ptool::usecase {

namespace asio = boost::asio;
using domain::instant;

namespace {

// What a schedule is computed from, read in one round trip.
struct schedule_input {
    std::optional<domain::availability> availability;  // nullopt: no such artist
    std::vector<store::booking_row> rows;
};

asio::awaitable<schedule_input> load_schedule_input(
    platform::pg_connection& c, const std::string& artist_id, instant from, instant to
) {
    std::vector<platform::pg_statement> stmts;
    stmts.push_back(store::availability_statement(artist_id));
    stmts.push_back(store::active_bookings_statement(artist_id, from, to));
    auto results = co_await c.pipeline(std::move(stmts));
    schedule_input in;
    in.availability = store::read_availability_result(results[0]);
    if (in.availability) in.rows = store::read_booking_rows(results[1]);
    co_return in;
}

struct computed_schedule {
    domain::availability availability;
    std::vector<domain::schedule_segment> segments;
    // When the first tentative booking in it lapses (its state changes by itself then).
    std::optional<instant> first_expiry;
};

computed_schedule compute(schedule_input in, instant from, instant to, instant now) {
    computed_schedule out;
    out.availability = std::move(*in.availability);
    std::vector<domain::schedule_booking> bookings;
    bookings.reserve(in.rows.size());
    for (const auto& row : in.rows) {
        const auto& b = row.booking;
        const auto st = domain::effective_status(b, now, row.is_challenger);
        if (!domain::is_active(st)) continue;
        bookings.push_back({b.id, b.start_time, b.end_time, st});
        if (st != domain::booking_status::confirmed && b.expires_at && *b.expires_at > now) {
            if (!out.first_expiry || *b.expires_at < *out.first_expiry) {
                out.first_expiry = b.expires_at;
            }
        }
    }
    std::optional<domain::availability> prefs;
    if (!store::unrestricted(out.availability)) prefs = out.availability;
    out.segments = domain::build_schedule(prefs, bookings, from, to);
    return out;
}

// Redis TTL (real time): until the first lapse (rounded up), at most cache_ttl_max.
std::chrono::seconds ttl_for(const computed_schedule& s, instant now) {
    auto ttl = availability_service::cache_ttl_max;
    if (s.first_expiry) {
        auto left = std::chrono::ceil<std::chrono::seconds>(*s.first_expiry - now);
        ttl = std::clamp(left, std::chrono::seconds{1}, ttl);
    }
    return ttl;
}

std::string cache_key(instant from, instant to) {
    return domain::format_instant(from) + "/" + domain::format_instant(to);
}

// A cached value: "<first expiry in µs since the epoch, or ->\n<body>". The service clock (which
// the test clock moves) decides freshness; Redis's TTL, in real time, only bounds memory.
std::string cache_value(const computed_schedule& s, const std::string& body) {
    std::string head = s.first_expiry ? std::to_string(s.first_expiry->time_since_epoch().count())
                                      : std::string("-");
    return head + "\n" + body;
}

// The body of a cached value that is still fresh at `now`; nullopt when a hold or pencil in it
// has lapsed since (or the value is not in this format).
std::optional<std::string> fresh_body(std::string value, instant now) {
    const auto nl = value.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    const std::string_view head(value.data(), nl);
    if (head != "-") {
        long long us = 0;
        auto [ptr, ec] = std::from_chars(head.data(), head.data() + head.size(), us);
        if (ec != std::errc{} || ptr != head.data() + head.size()) return std::nullopt;
        if (now >= instant{std::chrono::microseconds{us}}) return std::nullopt;
    }
    value.erase(0, nl + 1);
    return value;
}

}  // namespace

std::string schedule_scope(const std::string& tenant_id, const std::string& artist_id) {
    return tenant_id + ":" + artist_id;
}

availability_service::availability_service(
    platform::pg_pool& pool, platform::redis_cache& cache, schedule_encoder encode
)
    : pool_(pool), cache_(cache), encode_(std::move(encode)) {}

asio::awaitable<std::optional<domain::availability>> availability_service::get(
    std::string tenant_id, std::string artist_id
) {
    auto fn = [&](platform::pg_connection& c) { return store::read_availability(c, artist_id); };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

namespace {

asio::awaitable<std::optional<domain::availability>> put_in(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const domain::availability& a,
    instant now
) {
    // The booking writers' lock: a booking decided against the old preferences commits first.
    auto lock = co_await store::lock_artist(c, tenant_id, artist_id);
    if (!lock.artist_exists) co_return std::nullopt;
    if (!co_await store::write_availability(c, tenant_id, artist_id, a, now))
        co_return std::nullopt;
    co_return a;
}

}  // namespace

asio::awaitable<std::optional<domain::availability>> availability_service::put(
    std::string tenant_id, std::string artist_id, domain::availability a, instant now
) {
    auto fn = [&](platform::pg_connection& c) { return put_in(c, tenant_id, artist_id, a, now); };
    auto out = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
    if (out) co_await invalidate_artist(tenant_id, artist_id);
    co_return out;
}

asio::awaitable<std::variant<std::string, artist_not_found>> availability_service::schedule(
    std::string tenant_id, std::string artist_id, instant from, instant to, instant now
) {
    const auto scope = schedule_scope(tenant_id, artist_id);
    const auto key = cache_key(from, to);
    // The stamp is read before PostgreSQL: a change committed after it bumps the version, so
    // what we compute below is filed under a version nobody asks for any more.
    auto hit = co_await cache_.lookup(scope, key);
    if (hit.value) {
        if (auto body = fresh_body(std::move(*hit.value), now)) co_return std::move(*body);
    }

    auto fn = [&](platform::pg_connection& c) {
        return load_schedule_input(c, artist_id, from, to);
    };
    auto in = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
    if (!in.availability) co_return artist_not_found{};
    auto computed = compute(std::move(in), from, to, now);
    std::string body =
        encode_({artist_id, computed.availability.timezone, from, to, std::move(computed.segments)}
        );
    if (hit.stamp) {
        auto value = cache_value(computed, body);
        co_await cache_.put(scope, *hit.stamp, key, std::move(value), ttl_for(computed, now));
    }
    co_return body;
}

asio::awaitable<std::variant<slots_view, artist_not_found>> availability_service::slots(
    std::string tenant_id,
    std::string artist_id,
    instant from,
    instant to,
    std::chrono::microseconds duration,
    std::chrono::microseconds step,
    instant now
) {
    auto fn = [&](platform::pg_connection& c) {
        return load_schedule_input(c, artist_id, from, to);
    };
    auto in = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
    if (!in.availability) co_return artist_not_found{};
    auto computed = compute(std::move(in), from, to, now);
    slots_view out;
    out.artist_id = std::move(artist_id);
    out.duration = duration;
    out.step = step;
    out.starts = domain::free_slots(computed.segments, from, to, duration, step, now);
    co_return out;
}

asio::awaitable<void> availability_service::invalidate_artist(
    std::string tenant_id, std::string artist_id
) {
    std::vector<std::string> scopes{schedule_scope(tenant_id, artist_id)};
    co_await cache_.invalidate(std::move(scopes));
}

}  // namespace ptool::usecase
