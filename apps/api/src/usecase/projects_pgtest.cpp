// Project use cases against the real database (TEST_DATABASE_URL, app role).

#include "usecase/projects.hpp"

#include <gtest/gtest.h>

#include "platform/pg_test_support.hpp"
#include "usecase/tenants.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
using platform::testing::run_with_pool;

domain::instant base_time() {
    return domain::instant(std::chrono::microseconds(1'800'000'000'000'001));
}

asio::awaitable<void> create_read_list(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "projects pg", base_time());
    auto other = co_await create_tenant(pool, "projects pg other", base_time());
    new_project in{"Spring Tour", std::string("ST-27"), std::nullopt};
    auto r = co_await create_project(pool, tenant, in, "booker@pg", {}, base_time());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<store::project>(r));
    const auto p = std::get<store::project>(r);
    EXPECT_EQ(p.created_by, "booker@pg");
    EXPECT_EQ(p.code, "ST-27");
    EXPECT_FALSE(p.description);
    EXPECT_EQ(*(co_await get_project(pool, tenant, p.id)), p);
    EXPECT_FALSE((co_await get_project(pool, other, p.id)).has_value());

    for (int i = 0; i < 4; ++i) {
        new_project more{"P" + std::to_string(i), std::nullopt, std::string("d")};
        co_await create_project(
            pool, tenant, more, "booker@pg", {}, base_time() + std::chrono::seconds(i + 1)
        );
    }
    auto first = co_await list_projects(pool, tenant, std::nullopt, 2);
    PTOOL_CO_ASSERT_EQ(first.data.size(), 2U);
    EXPECT_EQ(first.data[0].id, p.id);
    PTOOL_CO_ASSERT_TRUE(first.next);
    auto second = co_await list_projects(pool, tenant, first.next, 2);
    PTOOL_CO_ASSERT_EQ(second.data.size(), 2U);
    EXPECT_EQ(second.data[0].name, "P1");
    auto third = co_await list_projects(pool, tenant, second.next, 2);
    PTOOL_CO_ASSERT_EQ(third.data.size(), 1U);
    EXPECT_EQ(third.data[0].name, "P3");
    EXPECT_FALSE(third.next);
    EXPECT_TRUE((co_await list_projects(pool, other, std::nullopt, 50)).data.empty());
}

TEST(projects_pg, create_read_list) { run_with_pool(create_read_list); }

asio::awaitable<void> invalid_input_writes_nothing(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "projects pg invalid", base_time());
    new_project in{"  ", std::string(65, 'c'), std::nullopt};
    auto r = co_await create_project(pool, tenant, in, "booker@pg", {}, base_time());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::field_errors>(r));
    EXPECT_EQ(std::get<domain::field_errors>(r).size(), 2U);
    EXPECT_TRUE((co_await list_projects(pool, tenant, std::nullopt, 50)).data.empty());
}

TEST(projects_pg, invalid_input_writes_nothing) { run_with_pool(invalid_input_writes_nothing); }

}  // namespace
}  // namespace ptool::usecase
