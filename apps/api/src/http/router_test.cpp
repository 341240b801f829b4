#include "http/router.hpp"

#include <gtest/gtest.h>

namespace ptool::http {
namespace {

namespace bhttp = boost::beast::http;

handler noop() {
    return [](request_context&) -> boost::asio::awaitable<response> { co_return response{}; };
}

TEST(router, matches_static_and_parameter_segments) {
    router r;
    r.add(bhttp::verb::get, "/api/v1/bookings/{id}", noop());
    r.add(bhttp::verb::post, "/api/v1/bookings/{id}/confirm", noop());
    auto m = r.find(bhttp::verb::get, "/api/v1/bookings/abc");
    ASSERT_NE(m.target, nullptr);
    EXPECT_EQ(m.route, "/api/v1/bookings/{id}");
    ASSERT_EQ(m.params.size(), 1U);
    EXPECT_EQ(m.params[0].first, "id");
    EXPECT_EQ(m.params[0].second, "abc");
    EXPECT_NE(r.find(bhttp::verb::post, "/api/v1/bookings/x/confirm").target, nullptr);
}

TEST(router, known_path_wrong_method_lists_allowed_methods) {
    router r;
    r.add(bhttp::verb::get, "/api/v1/tenant", noop());
    r.add(bhttp::verb::patch, "/api/v1/tenant", noop());
    auto m = r.find(bhttp::verb::delete_, "/api/v1/tenant");
    EXPECT_EQ(m.target, nullptr);
    EXPECT_EQ(m.allow, "GET, PATCH");
}

TEST(router, unknown_path_has_no_allow) {
    router r;
    r.add(bhttp::verb::get, "/api/v1/tenant", noop());
    auto m = r.find(bhttp::verb::get, "/api/v1/nope");
    EXPECT_EQ(m.target, nullptr);
    EXPECT_TRUE(m.allow.empty());
    EXPECT_EQ(r.find(bhttp::verb::get, "/api/v1/tenant/").target, nullptr);
    EXPECT_EQ(r.find(bhttp::verb::get, "/api/v1/tenant/extra").target, nullptr);
}

TEST(router, head_is_served_by_get) {
    router r;
    r.add(bhttp::verb::get, "/healthz", noop());
    EXPECT_NE(r.find(bhttp::verb::head, "/healthz").target, nullptr);
}

TEST(router, split_path_ignores_repeated_slashes) {
    auto s = split_path("//a/b//c");
    ASSERT_EQ(s.size(), 3U);
    EXPECT_EQ(s[2], "c");
    EXPECT_TRUE(split_path("/").empty());
}

}  // namespace
}  // namespace ptool::http
