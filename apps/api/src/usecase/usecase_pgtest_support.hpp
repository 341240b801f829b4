#pragma once
// Shared set-up of the use-case PostgreSQL suites (*_pgtest.cpp, test code only): fresh ids,
// the server's own event encoding, and a new tenant with one artist.

#include <boost/asio/awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <string>

#include "domain/booking.hpp"
#include "http/dto/booking_dto.hpp"
#include "platform/pg_pool.hpp"
#include "platform/pg_test_support.hpp"
#include "platform/pg_transaction.hpp"
#include "usecase/tenants.hpp"

namespace ptool::usecase::testing {

inline std::string uuid() { return boost::uuids::to_string(boost::uuids::random_generator()()); }

// The server's own payloads, so that `ptool verify-events` over the test database stays clean.
inline std::string encode_event(const domain::booking_change& ch) {
    return boost::json::serialize(http::dto::event_payload(ch));
}

struct fixture {
    std::string tenant;
    std::string artist;
};

namespace detail {
inline boost::asio::awaitable<void> insert_artist_in(
    platform::pg_connection& c, const std::string& tenant, const std::string& artist
) {
    platform::pg_params params{tenant, artist};
    co_await c.query(
        "INSERT INTO artists (tenant_id, id, name, timezone) "
        "VALUES ($1::uuid, $2::uuid, 'Test Artist', 'UTC')",
        std::move(params)
    );
}
}  // namespace detail

// A new tenant named `tenant_name` with one artist (zone UTC, no preferences).
inline boost::asio::awaitable<fixture> make_fixture(
    platform::pg_pool& pool, std::string tenant_name
) {
    fixture f;
    f.tenant = co_await create_tenant(pool, tenant_name, platform::testing::now());
    f.artist = uuid();
    auto fn = [&](platform::pg_connection& c) {
        return detail::insert_artist_in(c, f.tenant, f.artist);
    };
    co_await platform::with_tenant_transaction(pool, f.tenant, fn);
    co_return f;
}

}  // namespace ptool::usecase::testing
