#include "http/json_io.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace ptool::http {
namespace {

namespace bhttp = boost::beast::http;

request make(std::string body, std::string type) {
    request r{bhttp::verb::patch, "/api/v1/tenant", 11};
    if (!type.empty()) r.set(bhttp::field::content_type, type);
    r.body() = std::move(body);
    return r;
}

std::string code_of(const std::variant<boost::json::object, problem>& v) {
    return std::holds_alternative<problem>(v) ? std::get<problem>(v).code : "ok";
}

TEST(json_io, accepts_json_object_with_charset) {
    auto v = read_json_body(make(R"({"a":1})", "application/json; charset=utf-8"), body_kind::json_object);
    ASSERT_EQ(code_of(v), "ok");
    EXPECT_EQ(std::get<boost::json::object>(v).at("a").as_int64(), 1);
}

TEST(json_io, wrong_media_type_is_415) {
    EXPECT_EQ(code_of(read_json_body(make("{}", "text/plain"), body_kind::json_object)), "unsupported_media_type");
    EXPECT_EQ(code_of(read_json_body(make("{}", ""), body_kind::json_object)), "unsupported_media_type");
    EXPECT_EQ(
        code_of(read_json_body(make("{}", "application/merge-patch+json"), body_kind::json_object)),
        "unsupported_media_type"
    );
    EXPECT_EQ(code_of(read_json_body(make("{}", "application/merge-patch+json"), body_kind::merge_patch)), "ok");
}

TEST(json_io, syntax_error_is_400_and_non_object_is_422_at_root) {
    EXPECT_EQ(code_of(read_json_body(make("{bad", "application/json"), body_kind::json_object)), "malformed_json");
    auto v = read_json_body(make("[]", "application/json"), body_kind::json_object);
    ASSERT_EQ(code_of(v), "validation_failed");
    EXPECT_EQ(std::get<problem>(v).extra.at("errors").as_array().at(0).as_object().at("path").as_string(), "");
}

TEST(json_io, transitions_accept_an_empty_body_without_type) {
    EXPECT_EQ(code_of(read_json_body(make("", ""), body_kind::optional_object)), "ok");
    EXPECT_EQ(code_of(read_json_body(make("", "text/plain"), body_kind::optional_object)), "unsupported_media_type");
    EXPECT_EQ(code_of(read_json_body(make("{}", ""), body_kind::optional_object)), "unsupported_media_type");
}

TEST(problem, renders_rfc9457_members_and_headers) {
    auto res = make_problem_response(method_not_allowed("GET, PATCH"), 11, true);
    EXPECT_EQ(res.result_int(), 405U);
    EXPECT_EQ(res[bhttp::field::content_type], "application/problem+json");
    EXPECT_EQ(res["Allow"], "GET, PATCH");
    auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body.at("code").as_string(), "method_not_allowed");
    EXPECT_EQ(body.at("status").as_int64(), 405);
    EXPECT_TRUE(body.contains("type"));
    EXPECT_TRUE(body.contains("title"));
}

}  // namespace
}  // namespace ptool::http
