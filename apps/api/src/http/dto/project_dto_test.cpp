#include "http/dto/project_dto.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/dto/cursor.hpp"

namespace ptool::http::dto {
namespace {

domain::instant at_us(long long us) { return domain::instant(std::chrono::microseconds(us)); }

TEST(project_dto, writes_every_member) {
    store::project p{
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "Tour",
        "T-1",
        std::nullopt,
        "booker@x",
        at_us(0),
        at_us(1)};
    auto j = to_json(p);
    EXPECT_EQ(j.size(), 7U);
    EXPECT_EQ(j.at("name"), "Tour");
    EXPECT_EQ(j.at("code"), "T-1");
    EXPECT_TRUE(j.at("description").is_null());
    EXPECT_EQ(j.at("createdBy"), "booker@x");
    EXPECT_EQ(j.at("createdAt"), "1970-01-01T00:00:00Z");
    EXPECT_EQ(j.at("updatedAt"), "1970-01-01T00:00:00.000001Z");
}

TEST(project_dto, cursor_round_trips_and_is_not_an_artist_cursor) {
    store::project_position pos{at_us(42), "0f8fad5b-d9cb-469f-a165-70867728950e"};
    auto keys = decode_cursor(project_cursor(pos));
    ASSERT_TRUE(keys);
    auto back = parse_project_cursor(*keys);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->created_at, pos.created_at);
    EXPECT_EQ(back->id, pos.id);
    EXPECT_FALSE(parse_project_cursor({"artist", "1970-01-01T00:00:00Z", pos.id}));
}

TEST(project_dto, create_reads_members) {
    auto p = parse_project_create(
        boost::json::parse(R"({"name":"Tour","code":null,"description":"d"})").as_object()
    );
    EXPECT_TRUE(p.errors.empty());
    EXPECT_EQ(p.value.name, "Tour");
    EXPECT_FALSE(p.value.code);
    EXPECT_EQ(p.value.description, "d");
}

TEST(project_dto, create_lists_every_type_error) {
    auto p =
        parse_project_create(boost::json::parse(R"({"code":1,"description":{},"x":0})").as_object()
        );
    std::vector<std::string> paths;
    for (const auto& e : p.errors) paths.push_back(e.path);
    std::sort(paths.begin(), paths.end());
    EXPECT_EQ(paths, (std::vector<std::string>{"/code", "/description", "/name", "/x"}));
}

}  // namespace
}  // namespace ptool::http::dto
