// Artist use cases against the real database (TEST_DATABASE_URL, app role): create, read,
// keyset paging, patch, tenant isolation.

#include "usecase/artists.hpp"

#include <gtest/gtest.h>

#include <set>

#include "platform/pg_test_support.hpp"
#include "usecase/tenants.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
using platform::testing::run_with_pool;

// A fixed, microsecond-precise base time, so created_at ordering is under the test's control.
domain::instant base_time() {
    return domain::instant(std::chrono::microseconds(1'800'000'000'123'456));
}

new_artist input(std::string name, std::string tz = "Europe/Berlin") {
    return new_artist{std::move(name), std::move(tz), std::nullopt, std::nullopt};
}

asio::awaitable<store::artist> must_create(
    platform::pg_pool& pool, const std::string& tenant, new_artist a, domain::instant at
) {
    auto r = co_await create_artist(pool, tenant, std::move(a), {}, at);
    if (auto* errs = std::get_if<domain::field_errors>(&r)) {
        throw std::runtime_error(
            "create_artist failed: " + errs->front().path + " " + errs->front().message
        );
    }
    co_return std::get<store::artist>(r);
}

asio::awaitable<void> create_and_read(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "artists pg", base_time());
    new_artist in{
        "Mara Lindqvist", "Europe/Berlin", std::string("mara@example.com"), std::string("mara")};
    auto a = co_await must_create(pool, tenant, in, base_time());
    EXPECT_EQ(a.name, "Mara Lindqvist");
    EXPECT_EQ(a.created_at, base_time());
    EXPECT_EQ(a.updated_at, base_time());
    auto back = co_await get_artist(pool, tenant, a.id);
    PTOOL_CO_ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, a);  // microseconds survive the round trip
}

TEST(artists_pg, create_and_read) { run_with_pool(create_and_read); }

asio::awaitable<void> invalid_input_writes_nothing(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "artists pg invalid", base_time());
    domain::field_errors from_body{{"/bogus", "is not a known field"}};
    auto r = co_await create_artist(pool, tenant, input("", "Not/AZone"), from_body, base_time());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::field_errors>(r));
    const auto& errs = std::get<domain::field_errors>(r);
    PTOOL_CO_ASSERT_EQ(errs.size(), 3U);
    EXPECT_EQ(errs[0].path, "/bogus");
    EXPECT_EQ(errs[1].path, "/name");
    EXPECT_EQ(errs[2].path, "/timezone");
    auto page = co_await list_artists(pool, tenant, std::nullopt, 10);
    EXPECT_TRUE(page.data.empty());
}

TEST(artists_pg, invalid_input_writes_nothing) { run_with_pool(invalid_input_writes_nothing); }

asio::awaitable<void> pages_cover_everything_once(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "artists pg paging", base_time());
    std::vector<std::string> ids;
    // Seven artists; two share a created_at, so the id breaks the tie.
    for (int i = 0; i < 7; ++i) {
        auto at = base_time() + std::chrono::seconds(i == 3 ? 2 : i);
        auto a = co_await must_create(pool, tenant, input("Artist " + std::to_string(i)), at);
        ids.push_back(a.id);
    }
    std::vector<std::string> seen;
    std::optional<store::artist_position> after;
    int pages = 0;
    for (;;) {
        auto page = co_await list_artists(pool, tenant, after, 3);
        ++pages;
        for (const auto& a : page.data) seen.push_back(a.id);
        if (!page.next) break;
        EXPECT_EQ(page.data.size(), 3U);
        after = page.next;
    }
    EXPECT_EQ(pages, 3);
    PTOOL_CO_ASSERT_EQ(seen.size(), 7U);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7U);
    // Exactly limit rows left: the last page has no next cursor.
    auto all = co_await list_artists(pool, tenant, std::nullopt, 7);
    EXPECT_EQ(all.data.size(), 7U);
    EXPECT_FALSE(all.next);
    for (std::size_t i = 1; i < all.data.size(); ++i) {
        const auto& p = all.data[i - 1];
        const auto& q = all.data[i];
        EXPECT_TRUE(p.created_at < q.created_at || (p.created_at == q.created_at && p.id < q.id));
    }
}

TEST(artists_pg, pages_cover_everything_once) { run_with_pool(pages_cover_everything_once); }

asio::awaitable<void> patch_changes_and_clears(platform::pg_pool& pool) {
    auto tenant = co_await create_tenant(pool, "artists pg patch", base_time());
    new_artist in{"Jonah", "America/New_York", std::string("j@example.com"), std::string("jonah")};
    auto a = co_await must_create(pool, tenant, in, base_time());
    artist_patch p;
    p.name = "Jonah Reyes";
    p.email = std::optional<std::string>{};  // null clears
    auto later = base_time() + std::chrono::minutes(5);
    auto r = co_await update_artist(pool, tenant, a.id, p, {}, later);
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<store::artist>(r));
    const auto& b = std::get<store::artist>(r);
    EXPECT_EQ(b.name, "Jonah Reyes");
    EXPECT_FALSE(b.email);
    EXPECT_EQ(b.user_id, "jonah");
    EXPECT_EQ(b.timezone, "America/New_York");
    EXPECT_EQ(b.created_at, base_time());
    EXPECT_EQ(b.updated_at, later);
    EXPECT_EQ(*(co_await get_artist(pool, tenant, a.id)), b);

    // Nothing to change: nothing written, updated_at stays.
    auto same = co_await update_artist(
        pool, tenant, a.id, artist_patch{}, {}, later + std::chrono::hours(1)
    );
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<store::artist>(same));
    EXPECT_EQ(std::get<store::artist>(same).updated_at, later);

    // Errors write nothing.
    artist_patch bad;
    bad.timezone = "Nowhere/Land";
    bad.name = "Should not stick";
    auto e = co_await update_artist(pool, tenant, a.id, bad, {}, later);
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::field_errors>(e));
    EXPECT_EQ(std::get<domain::field_errors>(e).at(0).path, "/timezone");
    EXPECT_EQ((co_await get_artist(pool, tenant, a.id))->name, "Jonah Reyes");
}

TEST(artists_pg, patch_changes_and_clears) { run_with_pool(patch_changes_and_clears); }

asio::awaitable<void> other_tenants_see_nothing(platform::pg_pool& pool) {
    auto mine = co_await create_tenant(pool, "artists pg mine", base_time());
    auto theirs = co_await create_tenant(pool, "artists pg theirs", base_time());
    auto a = co_await must_create(pool, mine, input("Private"), base_time());
    EXPECT_FALSE((co_await get_artist(pool, theirs, a.id)).has_value());
    EXPECT_TRUE((co_await list_artists(pool, theirs, std::nullopt, 50)).data.empty());
    artist_patch p;
    p.name = "Hijacked";
    domain::field_errors errs{{"/x", "is not a known field"}};
    // Not found wins over input errors (SPEC §10: 404 before 422).
    auto r = co_await update_artist(pool, theirs, a.id, p, errs, base_time());
    EXPECT_TRUE(std::holds_alternative<artist_not_found>(r));
    EXPECT_EQ((co_await get_artist(pool, mine, a.id))->name, "Private");
    auto missing = co_await update_artist(
        pool, mine, "00000000-0000-4000-8000-000000000000", p, {}, base_time()
    );
    EXPECT_TRUE(std::holds_alternative<artist_not_found>(missing));
}

TEST(artists_pg, other_tenants_see_nothing) { run_with_pool(other_tenants_see_nothing); }

}  // namespace
}  // namespace ptool::usecase
