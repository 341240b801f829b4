#include "http/dto/artist_dto.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/dto/cursor.hpp"

namespace ptool::http::dto {
namespace {

std::vector<std::string> paths(const domain::field_errors& errs) {
    std::vector<std::string> out;
    for (const auto& e : errs) out.push_back(e.path);
    return out;
}

domain::instant at_us(long long us) { return domain::instant(std::chrono::microseconds(us)); }

TEST(artist_dto, writes_every_member) {
    store::artist a{
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "Mara",
        "Europe/Berlin",
        std::nullopt,
        "mara@login",
        at_us(1'800'000'000'000'000),
        at_us(1'800'000'000'500'000)};
    auto j = to_json(a);
    EXPECT_EQ(j.size(), 7U);
    EXPECT_EQ(j.at("id"), "0f8fad5b-d9cb-469f-a165-70867728950e");
    EXPECT_EQ(j.at("name"), "Mara");
    EXPECT_EQ(j.at("timezone"), "Europe/Berlin");
    EXPECT_TRUE(j.at("email").is_null());
    EXPECT_EQ(j.at("userId"), "mara@login");
    EXPECT_EQ(j.at("createdAt"), "2027-01-15T08:00:00Z");
    EXPECT_EQ(j.at("updatedAt"), "2027-01-15T08:00:00.5Z");
}

TEST(artist_dto, page_has_data_and_next_cursor) {
    usecase::artist_page page;
    EXPECT_TRUE(to_json(page).at("nextCursor").is_null());
    EXPECT_TRUE(to_json(page).at("data").as_array().empty());
    page.next = store::artist_position{at_us(123), "0f8fad5b-d9cb-469f-a165-70867728950e"};
    auto c = to_json(page).at("nextCursor");
    ASSERT_TRUE(c.is_string());
    auto keys = decode_cursor(c.as_string());
    ASSERT_TRUE(keys);
    auto back = parse_artist_cursor(*keys);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->created_at, at_us(123));
    EXPECT_EQ(back->id, "0f8fad5b-d9cb-469f-a165-70867728950e");
}

TEST(artist_dto, foreign_cursors_are_rejected) {
    const std::string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    EXPECT_FALSE(parse_artist_cursor({"project", "2027-01-01T00:00:00Z", id}));
    EXPECT_FALSE(parse_artist_cursor({"artist", "2027-01-01T00:00:00", id}));
    EXPECT_FALSE(parse_artist_cursor({"artist", "2027-01-01T00:00:00Z", "nope"}));
    EXPECT_FALSE(parse_artist_cursor({"artist", "2027-01-01T00:00:00Z"}));
    EXPECT_TRUE(parse_artist_cursor({"artist", "2027-01-01T00:00:00Z", id}));
}

TEST(artist_dto, create_reads_members) {
    auto p = parse_artist_create(
        boost::json::parse(R"({"name":"Mara","timezone":"Asia/Tokyo","email":null})").as_object()
    );
    EXPECT_TRUE(p.errors.empty());
    EXPECT_EQ(p.value.name, "Mara");
    EXPECT_EQ(p.value.timezone, "Asia/Tokyo");
    EXPECT_FALSE(p.value.email);
    EXPECT_FALSE(p.value.user_id);
}

TEST(artist_dto, create_requires_name_and_timezone) {
    auto p = parse_artist_create(boost::json::object{});
    EXPECT_EQ(paths(p.errors), (std::vector<std::string>{"/name", "/timezone"}));
}

TEST(artist_dto, create_lists_every_type_error) {
    auto p = parse_artist_create(
        boost::json::parse(R"({"timezone":3,"email":[],"userId":false,"bogus":1})").as_object()
    );
    auto ps = paths(p.errors);
    EXPECT_EQ(ps.size(), 5U);
    for (const char* want : {"/name", "/timezone", "/email", "/userId", "/bogus"}) {
        EXPECT_NE(std::find(ps.begin(), ps.end(), want), ps.end()) << want;
    }
}

TEST(artist_dto, patch_distinguishes_absent_and_null) {
    auto p = parse_artist_patch(boost::json::parse(R"({"email":null,"name":"New"})").as_object());
    EXPECT_TRUE(p.errors.empty());
    EXPECT_EQ(p.value.name, "New");
    EXPECT_FALSE(p.value.timezone);
    ASSERT_TRUE(p.value.email);
    EXPECT_FALSE(*p.value.email);
    EXPECT_FALSE(p.value.user_id);
    auto q = parse_artist_patch(boost::json::parse(R"({"userId":"u1","name":null})").as_object());
    EXPECT_EQ(paths(q.errors), std::vector<std::string>{"/name"});
    ASSERT_TRUE(q.value.user_id);
    EXPECT_EQ(*q.value.user_id, "u1");
}

}  // namespace
}  // namespace ptool::http::dto
