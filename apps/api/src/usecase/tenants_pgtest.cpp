// Tenant use cases against the real database (TEST_DATABASE_URL, app role).

#include "usecase/tenants.hpp"

#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include "platform/pg_test_support.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
using platform::testing::now;
using platform::testing::run_with_pool;

asio::awaitable<void> create_read_update(platform::pg_pool& pool) {
    auto id = co_await create_tenant(pool, "Acme Productions", now());
    EXPECT_TRUE(co_await tenant_exists(pool, id));
    auto t = co_await get_tenant(pool, id);
    EXPECT_TRUE(t.has_value());
    if (!t) co_return;
    EXPECT_EQ(t->name, "Acme Productions");
    EXPECT_EQ(t->hold_ttl_minutes, 30);
    EXPECT_EQ(t->hold_max_minutes, 480);
    EXPECT_EQ(t->pencil_ttl_hours, 48);
    EXPECT_EQ(t->challenge_window_hours, 24);

    domain::tenant_patch p;
    p.hold_ttl_minutes = 45;
    auto r = co_await update_tenant(pool, id, p, domain::field_errors{}, now());
    EXPECT_TRUE(std::holds_alternative<domain::tenant_settings>(r));
    auto after = co_await get_tenant(pool, id);
    EXPECT_EQ(after->hold_ttl_minutes, 45);
}

TEST(tenants_pg, create_read_update) { run_with_pool(create_read_update); }

asio::awaitable<void> unknown_tenant_is_absent(platform::pg_pool& pool) {
    EXPECT_FALSE(co_await tenant_exists(pool, "00000000-0000-4000-8000-000000000000"));
    EXPECT_FALSE((co_await get_tenant(pool, "00000000-0000-4000-8000-000000000000")).has_value());
}

TEST(tenants_pg, unknown_tenant_is_absent) { run_with_pool(unknown_tenant_is_absent); }

asio::awaitable<void> invalid_patch_writes_nothing(platform::pg_pool& pool) {
    auto id = co_await create_tenant(pool, "Beta", now());
    domain::tenant_patch p;
    p.hold_ttl_minutes = 100;
    p.hold_max_minutes = 50;
    domain::field_errors input_errors{{"/bogus", "is not a known field"}};
    auto r = co_await update_tenant(pool, id, p, std::move(input_errors), now());
    EXPECT_TRUE(std::holds_alternative<domain::field_errors>(r));
    if (auto* errs = std::get_if<domain::field_errors>(&r)) {
        EXPECT_EQ(errs->size(), 2U);
    }
    auto t = co_await get_tenant(pool, id);
    EXPECT_EQ(t->hold_ttl_minutes, 30);
}

TEST(tenants_pg, invalid_patch_writes_nothing) { run_with_pool(invalid_patch_writes_nothing); }

}  // namespace
}  // namespace ptool::usecase
