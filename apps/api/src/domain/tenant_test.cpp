#include "domain/tenant.hpp"

#include <gtest/gtest.h>

namespace ptool::domain {
namespace {

TEST(tenant_patch, merges_valid_fields) {
    tenant_settings cur{"id", "Acme"};
    tenant_patch p;
    p.hold_ttl_minutes = 45;
    auto r = apply_patch(cur, p);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().hold_ttl_minutes, 45);
    EXPECT_EQ(r.value().hold_max_minutes, 480);
}

TEST(tenant_patch, reports_every_bad_field) {
    tenant_patch p;
    p.hold_ttl_minutes = 0;
    p.pencil_ttl_hours = 49;
    p.challenge_window_hours = 73;
    auto r = apply_patch(tenant_settings{}, p);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.errors().size(), 3U);
    EXPECT_EQ(r.errors()[0].path, "/holdTtlMinutes");
    EXPECT_EQ(r.errors()[1].path, "/pencilTtlHours");
    EXPECT_EQ(r.errors()[2].path, "/challengeWindowHours");
}

TEST(tenant_patch, max_below_ttl_points_at_max) {
    tenant_patch p;
    p.hold_ttl_minutes = 100;
    p.hold_max_minutes = 50;
    auto r = apply_patch(tenant_settings{}, p);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.errors().size(), 1U);
    EXPECT_EQ(r.errors()[0].path, "/holdMaxMinutes");
}

TEST(tenant_patch, ttl_raised_above_stored_max_is_refused) {
    tenant_settings cur;
    cur.hold_max_minutes = 60;
    tenant_patch p;
    p.hold_ttl_minutes = 90;
    auto r = apply_patch(cur, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.errors()[0].path, "/holdMaxMinutes");
}

TEST(tenant_patch, max_cap_is_one_week) {
    tenant_patch p;
    p.hold_max_minutes = 10081;
    EXPECT_FALSE(apply_patch(tenant_settings{}, p).ok());
    p.hold_max_minutes = 10080;
    EXPECT_TRUE(apply_patch(tenant_settings{}, p).ok());
}

}  // namespace
}  // namespace ptool::domain
