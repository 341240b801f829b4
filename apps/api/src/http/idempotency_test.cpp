#include "http/idempotency.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ptool::http {
namespace {

std::string canon(const char* json) { return canonical_json(boost::json::parse(json)); }

TEST(idempotency_key, accepts_printable_ascii_up_to_255) {
    EXPECT_TRUE(check_idempotency_key("a").empty());
    EXPECT_TRUE(check_idempotency_key("0f8fad5b-d9cb-469f-a165-70867728950e").empty());
    EXPECT_TRUE(check_idempotency_key(std::string(255, 'k')).empty());
    EXPECT_TRUE(check_idempotency_key("with space and ~!@#").empty());
}

TEST(idempotency_key, rejects_empty_long_and_non_ascii) {
    for (const std::string& bad :
         {std::string(),
          std::string(256, 'k'),
          std::string("caf\xC3\xA9"),
          std::string("tab\there")}) {
        auto errs = check_idempotency_key(bad);
        ASSERT_EQ(errs.size(), 1U) << bad;
        EXPECT_EQ(errs[0].path, "/Idempotency-Key");
    }
}

TEST(canonical_json, sorts_members_recursively) {
    EXPECT_EQ(
        canon(R"({"b":1,"a":{"d":[{"z":1,"y":2}],"c":null}})"),
        R"({"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1})"
    );
    EXPECT_EQ(canon(R"({"b": 1, "a": 2})"), canon(R"({"a":2,"b":1})"));
}

TEST(canonical_json, keeps_array_order_and_distinguishes_values) {
    EXPECT_NE(canon("[1,2]"), canon("[2,1]"));
    EXPECT_NE(canon(R"({"a":"1"})"), canon(R"({"a":1})"));
    EXPECT_NE(canon(R"({"a":null})"), canon("{}"));
    EXPECT_NE(canon(R"({"a":true})"), canon(R"({"a":1})"));
}

TEST(canonical_json, normalises_numbers) {
    EXPECT_EQ(canon("1.0"), canon("1"));
    EXPECT_EQ(canon("-0.0"), canon("0"));
    EXPECT_EQ(canon("1e2"), canon("100"));
    EXPECT_NE(canon("1.5"), canon("1"));
    EXPECT_EQ(canon("18446744073709551615"), "18446744073709551615");
}

TEST(canonical_json, escapes_strings_once) {
    EXPECT_EQ(canon(R"({"k\"ey":"v\nal"})"), R"({"k\"ey":"v\nal"})");
    EXPECT_EQ(canon(R"("\u00e9")"), canon("\"\xC3\xA9\""));
}

TEST(request_fingerprint, equal_json_gives_equal_hash) {
    auto a = request_fingerprint(R"({"name":"A","timezone":"UTC"})");
    EXPECT_EQ(a.size(), 64U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(a, request_fingerprint("{ \"timezone\" : \"UTC\",\n \"name\": \"A\" }"));
    EXPECT_NE(a, request_fingerprint(R"({"name":"B","timezone":"UTC"})"));
}

TEST(request_fingerprint, empty_body_equals_empty_object) {
    EXPECT_EQ(request_fingerprint(""), request_fingerprint("{}"));
    EXPECT_EQ(request_fingerprint("  \n"), request_fingerprint("{ }"));
    EXPECT_NE(request_fingerprint(""), request_fingerprint("[]"));
}

TEST(request_fingerprint, non_json_hashes_raw_bytes) {
    EXPECT_EQ(request_fingerprint("{oops"), request_fingerprint("{oops"));
    EXPECT_NE(request_fingerprint("{oops"), request_fingerprint("{oops "));
    EXPECT_NE(request_fingerprint("{oops"), request_fingerprint("{}"));
}

}  // namespace
}  // namespace ptool::http
