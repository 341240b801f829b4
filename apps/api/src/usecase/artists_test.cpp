// The artist rules that need no database: field limits (zone names: domain/availability_test).

#include "usecase/artists.hpp"

#include <gtest/gtest.h>

#include "usecase/projects.hpp"

namespace ptool::usecase {
namespace {

TEST(artist_rules, new_artist_lists_every_problem) {
    new_artist a{" ", "Nowhere/Land", std::string("no-at-sign"), std::string()};
    auto errs = check_new_artist(a);
    std::vector<std::string> paths;
    for (const auto& e : errs) paths.push_back(e.path);
    EXPECT_EQ(paths, (std::vector<std::string>{"/name", "/timezone", "/email", "/userId"}));
    EXPECT_TRUE(check_new_artist({"Mara", "Europe/Berlin", "mara@example.com", "u1"}).empty());
}

TEST(artist_rules, lengths_count_characters) {
    std::string name;
    for (int i = 0; i < 200; ++i) name += "\xC3\xA9";  // 200 characters, 400 bytes
    EXPECT_TRUE(check_new_artist({name, "UTC", std::nullopt, std::nullopt}).empty());
    EXPECT_EQ(check_new_artist({name + "x", "UTC", std::nullopt, std::nullopt}).size(), 1U);
}

TEST(artist_rules, patch_checks_only_present_members) {
    EXPECT_TRUE(check_artist_patch({}).empty());
    artist_patch p;
    p.timezone = "Bogus/Zone";
    p.email = std::optional<std::string>{};  // clearing is fine
    auto errs = check_artist_patch(p);
    ASSERT_EQ(errs.size(), 1U);
    EXPECT_EQ(errs[0].path, "/timezone");
}

TEST(project_rules, name_code_description) {
    EXPECT_TRUE(check_new_project({"Tour", "T1", "about"}).empty());
    auto errs = check_new_project({"", std::string(65, 'c'), std::string(10001, 'd')});
    ASSERT_EQ(errs.size(), 3U);
    EXPECT_EQ(errs[0].path, "/name");
    EXPECT_EQ(errs[1].path, "/code");
    EXPECT_EQ(errs[2].path, "/description");
}

}  // namespace
}  // namespace ptool::usecase
