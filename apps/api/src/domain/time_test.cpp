#include "domain/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

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

// ISO 8601 durations ------------------------------------------------------------------------

TEST(TimeIsoDuration, parses_fixed_length_durations) {
    using namespace std::chrono_literals;
    struct row {
        const char* text;
        std::chrono::microseconds want;
    };
    for (const auto& r : std::vector<row>{
             {"PT2H", 2h},
             {"PT30M", 30min},
             {"PT45S", 45s},
             {"PT1H30M", 90min},
             {"PT1H1M1S", 3661s},
             {"P1D", 24h},
             {"P1W", 168h},
             {"P1W1D", 192h},
             {"P1DT2H", 26h},
             {"P2DT0H30M", 48h + 30min},
             {"PT0S", 0s},
             {"P0D", 0s},
             {"PT90M", 90min},
             {"PT0001H", 1h},
             {"P400D", 400 * 24h},
             {"PT9600H", 9600h},
             {"P57W", 57 * 168h},
             {"PT34560000S", 34560000s},
         }) {
        auto got = parse_iso_duration(r.text);
        ASSERT_TRUE(got) << r.text;
        EXPECT_EQ(got->count(), r.want.count()) << r.text;
    }
}

TEST(TimeIsoDuration, refuses_the_rest) {
    for (const char* bad : {"",         "P",
                            "PT",       "P1Y",
                            "P1M",      "P1Y2D",
                            "-PT1H",    "+PT1H",
                            "PT-1H",    "PT1.5H",
                            "PT1,5H",   "pt1h",
                            "Pt1H",     "PT1h",
                            "P1DT",     "P1H",
                            "PT1D",     "PT1W",
                            "PT1H1H",   "PT1M1H",
                            "P1D1W",    "PTT1H",
                            "P1DTT1H",  "PTH",
                            "T1H",      "1H",
                            "PT1H ",    " PT1H",
                            "P401D",    "P58W",
                            "PT9601H",  "PT34560001S",
                            "P400DT1S", "PT99999999999999999999999H"}) {
        EXPECT_FALSE(parse_iso_duration(bad)) << bad;
    }
}

TEST(TimeIsoDuration, formats_in_hours_minutes_seconds) {
    using namespace std::chrono_literals;
    EXPECT_EQ(format_iso_duration(2h), "PT2H");
    EXPECT_EQ(format_iso_duration(90min), "PT1H30M");
    EXPECT_EQ(format_iso_duration(24h), "PT24H");
    EXPECT_EQ(format_iso_duration(0s), "PT0S");
    EXPECT_EQ(format_iso_duration(45s), "PT45S");
    EXPECT_EQ(format_iso_duration(3661s), "PT1H1M1S");
    EXPECT_EQ(format_iso_duration(2h + 5s), "PT2H5S");
    EXPECT_EQ(format_iso_duration(1h + 500ms), "PT1H");
    EXPECT_EQ(format_iso_duration(999ms), "PT0S");
    EXPECT_EQ(format_iso_duration(400 * 24h), "PT9600H");
    for (const char* text : {"P1DT2H", "P1W", "PT30M", "PT0S"}) {
        auto d = parse_iso_duration(text);
        ASSERT_TRUE(d) << text;
        EXPECT_EQ(parse_iso_duration(format_iso_duration(*d)), d) << text;
    }
}

}  // namespace
}  // namespace ptool::domain
