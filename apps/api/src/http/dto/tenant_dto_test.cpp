#include "http/dto/tenant_dto.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace ptool::http::dto {
namespace {

parsed_tenant_patch parse(const char* json) {
    return parse_tenant_patch(boost::json::parse(json).as_object());
}

TEST(tenant_dto, reads_known_fields) {
    auto p = parse(R"({"holdTtlMinutes": 45, "name": "Acme"})");
    EXPECT_TRUE(p.errors.empty());
    EXPECT_EQ(p.patch.hold_ttl_minutes, 45);
    EXPECT_EQ(p.patch.name, "Acme");
    EXPECT_FALSE(p.patch.pencil_ttl_hours);
}

TEST(tenant_dto, lists_unknown_and_mistyped_fields) {
    auto p = parse(R"({"holdTtlMinutes": "x", "bogus": 1, "name": 3, "pencilTtlHours": 24.5})");
    ASSERT_EQ(p.errors.size(), 4U);
    std::vector<std::string> paths;
    for (const auto& e : p.errors) paths.push_back(e.path);
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/bogus"), paths.end());
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/holdTtlMinutes"), paths.end());
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/name"), paths.end());
    EXPECT_NE(std::find(paths.begin(), paths.end(), "/pencilTtlHours"), paths.end());
}

TEST(tenant_dto, whole_doubles_are_integers_and_huge_numbers_are_out_of_range) {
    auto p = parse(R"({"holdTtlMinutes": 45.0, "holdMaxMinutes": 99999999999})");
    EXPECT_EQ(p.patch.hold_ttl_minutes, 45);
    ASSERT_EQ(p.errors.size(), 1U);
    EXPECT_EQ(p.errors[0].path, "/holdMaxMinutes");
}

}  // namespace
}  // namespace ptool::http::dto
