#include "domain/time.hpp"

#include <gtest/gtest.h>

namespace ptool::domain {
namespace {

TEST(time, formats_without_fraction_when_zero) {
    auto t = parse_instant("2027-03-05T10:00:00Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_instant(*t), "2027-03-05T10:00:00Z");
}

TEST(time, keeps_fraction_trimmed) {
    EXPECT_EQ(format_instant(*parse_instant("2027-03-05T10:00:00.120Z")), "2027-03-05T10:00:00.12Z");
    EXPECT_EQ(format_instant(*parse_instant("2027-03-05T10:00:00.000001Z")), "2027-03-05T10:00:00.000001Z");
}

TEST(time, applies_offsets_and_lower_case) {
    EXPECT_EQ(format_instant(*parse_instant("2027-03-05t12:30:00+02:30")), "2027-03-05T10:00:00Z");
    EXPECT_EQ(format_instant(*parse_instant("2027-03-05T05:00:00-05:00")), "2027-03-05T10:00:00Z");
    EXPECT_EQ(format_instant(*parse_instant("2027-03-05T10:00:00z")), "2027-03-05T10:00:00Z");
}

TEST(time, refuses_what_rfc3339_refuses) {
    for (const char* bad : {"2027-03-05T10:00:00", "2027-03-05T10:00:00+0530", "2027-02-30T10:00:00Z",
                            "2027-03-05 10:00:00Z", "2027-03-05T24:00:00Z", "2027-03-05T10:00:00.1234567Z",
                            "2027-03-05T10:00:00.Z", "27-03-05T10:00:00Z", "", "2027-03-05T10:00:00Zx"}) {
        EXPECT_FALSE(parse_instant(bad)) << bad;
    }
}

TEST(time, leap_day) {
    EXPECT_TRUE(parse_instant("2028-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_instant("2027-02-29T00:00:00Z"));
}

}  // namespace
}  // namespace ptool::domain
