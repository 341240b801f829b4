// Availability wire shapes: the hand-written schedule encoder must be the JSON of SPEC §10.

#include "http/dto/availability_dto.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ptool::http::dto {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

domain::instant at(const char* s) { return *domain::parse_instant(s); }

TEST(availability_dto, schedule_is_the_spec_shape) {
    usecase::schedule_view v;
    v.artist_id = "a1";
    v.timezone = "Odd/\"Zone\\\n";  // escaping is exercised even though real zones need none
    v.from = at("2027-03-28T00:00:00Z");
    v.to = at("2027-03-29T00:00:00Z");
    v.segments.push_back(
        {v.from, at("2027-03-28T08:00:00.5Z"), domain::schedule_state::unavailable, {}}
    );
    v.segments.push_back(
        {at("2027-03-28T08:00:00.5Z"), v.to, domain::schedule_state::held, {"b1", "b2"}}
    );
    const json::value got = json::parse(encode_schedule(v));
    const json::value want = json::parse(R"({
        "artistId": "a1", "timezone": "Odd/\"Zone\\\n",
        "from": "2027-03-28T00:00:00Z", "to": "2027-03-29T00:00:00Z",
        "data": [
          {"startTime": "2027-03-28T00:00:00Z", "endTime": "2027-03-28T08:00:00.5Z",
           "state": "unavailable", "bookingIds": []},
          {"startTime": "2027-03-28T08:00:00.5Z", "endTime": "2027-03-29T00:00:00Z",
           "state": "held", "bookingIds": ["b1", "b2"]}]})");
    EXPECT_EQ(got, want);
}

TEST(availability_dto, empty_schedule_is_valid_json) {
    usecase::schedule_view v;
    v.artist_id = "a1";
    v.timezone = "UTC";
    v.from = at("2027-01-01T00:00:00Z");
    v.to = at("2027-01-02T00:00:00Z");
    const json::value got = json::parse(encode_schedule(v));
    EXPECT_EQ(got.at("data").as_array().size(), 0U);
}

}  // namespace
}  // namespace ptool::http::dto
