#include "http/dto/cursor.hpp"

#include <gtest/gtest.h>

namespace ptool::http::dto {
namespace {

TEST(cursor, round_trips) {
    std::vector<std::vector<std::string>> cases = {
        {},
        {""},
        {"artists", "2027-03-05T10:00:00.123456Z", "0f8fad5b-d9cb-469f-a165-70867728950e"},
        {"a", "ab", "abc", "quote\" back\\slash", "ümlaut €", std::string("nul\0byte", 8)},
    };
    for (const auto& keys : cases) {
        auto c = encode_cursor(keys);
        EXPECT_EQ(
            c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos
        ) << c;
        auto back = decode_cursor(c);
        ASSERT_TRUE(back.has_value()) << c;
        EXPECT_EQ(*back, keys);
    }
}

TEST(cursor, every_payload_length_round_trips) {
    std::string s;
    for (int n = 0; n < 12; ++n) {
        auto c = encode_cursor({s});
        auto back = decode_cursor(c);
        ASSERT_TRUE(back.has_value()) << c;
        EXPECT_EQ(back->at(0), s);
        s += static_cast<char>('a' + n);
    }
}

TEST(cursor, garbage_is_rejected) {
    const char* bad[] = {
        "",          // empty
        "!!!!",      // outside the alphabet
        "a",         // impossible length
        "WyJhIl0=",  // padding (standard base64 of ["a"])
        "WyJhIl0 ",  // whitespace
        "e30",       // {} : not an array
        "WzFd",      // [1] : not strings
        "WyJh",      // ["a : not JSON
        "aGVsbG8",   // hello
        "WyJhIl1",   // non-zero trailing bits
    };
    for (const char* c : bad) EXPECT_FALSE(decode_cursor(c).has_value()) << c;
    EXPECT_TRUE(decode_cursor("WyJhIl0").has_value());  // ["a"], the valid control
}

TEST(cursor, overlong_is_rejected) {
    std::string huge(max_cursor_length + 4, 'A');
    EXPECT_FALSE(decode_cursor(huge).has_value());
}

TEST(page_query, defaults_and_limits) {
    auto q = parse_page_query(std::nullopt, std::nullopt);
    EXPECT_EQ(q.limit, 50);
    EXPECT_FALSE(q.after);
    EXPECT_TRUE(q.errors.empty());
    EXPECT_EQ(parse_page_query("1", std::nullopt).limit, 1);
    EXPECT_EQ(parse_page_query("500", std::nullopt).limit, 500);
    EXPECT_EQ(parse_page_query("", "").limit, 50);
    for (const char* bad : {"0", "501", "-1", "abc", "1.5", "10x", " 5", "99999999999999999999"}) {
        auto b = parse_page_query(bad, std::nullopt);
        ASSERT_EQ(b.errors.size(), 1U) << bad;
        EXPECT_EQ(b.errors[0].path, "/limit") << bad;
    }
}

TEST(page_query, cursor_decodes_or_is_an_error) {
    auto c = encode_cursor({"x", "y"});
    auto q = parse_page_query(std::nullopt, c);
    ASSERT_TRUE(q.after);
    EXPECT_EQ(*q.after, (std::vector<std::string>{"x", "y"}));
    auto bad = parse_page_query("0", "garbage!");
    ASSERT_EQ(bad.errors.size(), 2U);
    EXPECT_EQ(bad.errors[0].path, "/limit");
    EXPECT_EQ(bad.errors[1].path, "/cursor");
}

}  // namespace
}  // namespace ptool::http::dto
