#include "platform/pg_error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ptool::platform {
namespace {

using std::chrono::milliseconds;

TEST(PgErrorTest, ClassifiesEveryKnownSqlstate) {
    struct sqlstate_case {
        const char* code;
        sql_class kind;
    };
    const std::vector<sqlstate_case> cases{
        {"23P01", sql_class::exclusion_violation},
        {"23505", sql_class::unique_violation},
        {"23503", sql_class::foreign_key_violation},
        {"23514", sql_class::check_violation},
        {"23502", sql_class::not_null_violation},
        {"40001", sql_class::serialization_failure},
        {"40P01", sql_class::deadlock},
        {"42501", sql_class::insufficient_privilege},
        {"57014", sql_class::query_canceled},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(classify(c.code), c.kind) << c.code;
    }
}

TEST(PgErrorTest, UnknownOrMalformedSqlstateIsOther) {
    for (const char* code : {"", "22012", "23", "23P0", "23P011", "40p01", "XX000", "08006"}) {
        EXPECT_EQ(classify(code), sql_class::other) << code;
    }
}

TEST(PgErrorTest, OnlySerializationFailureAndDeadlockAreRetryable) {
    for (int i = 0; i <= static_cast<int>(sql_class::other); ++i) {
        const auto kind = static_cast<sql_class>(i);
        const bool expected =
            kind == sql_class::serialization_failure || kind == sql_class::deadlock;
        EXPECT_EQ(is_retryable(kind), expected) << to_string(kind);
    }
}

TEST(PgErrorTest, NamesAreStable) {
    EXPECT_EQ(to_string(sql_class::exclusion_violation), "exclusion_violation");
    EXPECT_EQ(to_string(sql_class::deadlock), "deadlock");
    EXPECT_EQ(to_string(sql_class::other), "other");
}

TEST(PgErrorTest, ConnectionSqlstates) {
    for (const char* code : {"08000", "08003", "08006", "08P01", "57P01", "57P02", "57P03"}) {
        EXPECT_TRUE(is_connection_sqlstate(code)) << code;
    }
    for (const char* code : {"", "57014", "57P04", "40001", "23505", "42501"}) {
        EXPECT_FALSE(is_connection_sqlstate(code)) << code;
    }
}

TEST(PgErrorTest, DbErrorCarriesFieldsAndKind) {
    db_error e("23P01", "conflicting key value", "Key (r)=([1,3)) conflicts", "t_r_excl");
    EXPECT_EQ(e.sqlstate, "23P01");
    EXPECT_EQ(e.message, "conflicting key value");
    EXPECT_EQ(e.detail, "Key (r)=([1,3)) conflicts");
    EXPECT_EQ(e.constraint, "t_r_excl");
    EXPECT_EQ(e.statement_index, -1);
    EXPECT_EQ(e.kind(), sql_class::exclusion_violation);
    EXPECT_STREQ(e.what(), "conflicting key value (SQLSTATE 23P01)");
}

TEST(PgBackoffTest, DoublesUntilTheCap) {
    const milliseconds base{100};
    const milliseconds cap{5000};
    // jitter 1.0 gives the full delay, 0.0 half of it.
    EXPECT_EQ(backoff_delay(1, base, cap, 1.0), milliseconds{100});
    EXPECT_EQ(backoff_delay(2, base, cap, 1.0), milliseconds{200});
    EXPECT_EQ(backoff_delay(3, base, cap, 1.0), milliseconds{400});
    EXPECT_EQ(backoff_delay(6, base, cap, 1.0), milliseconds{3200});
    EXPECT_EQ(backoff_delay(7, base, cap, 1.0), milliseconds{5000});
    EXPECT_EQ(backoff_delay(1000000, base, cap, 1.0), milliseconds{5000});
    EXPECT_EQ(backoff_delay(1, base, cap, 0.0), milliseconds{50});
    EXPECT_EQ(backoff_delay(7, base, cap, 0.0), milliseconds{2500});
    EXPECT_EQ(backoff_delay(7, base, cap, 0.5), milliseconds{3750});
}

TEST(PgBackoffTest, ClampsOddInputs) {
    EXPECT_EQ(backoff_delay(0, milliseconds{100}, milliseconds{5000}, 1.0), milliseconds{100});
    EXPECT_EQ(backoff_delay(-5, milliseconds{100}, milliseconds{5000}, 1.0), milliseconds{100});
    EXPECT_EQ(backoff_delay(3, milliseconds{100}, milliseconds{5000}, 7.0), milliseconds{400});
    EXPECT_EQ(backoff_delay(3, milliseconds{100}, milliseconds{5000}, -1.0), milliseconds{200});
    EXPECT_EQ(backoff_delay(3, milliseconds{0}, milliseconds{5000}, 1.0), milliseconds{0});
    EXPECT_EQ(backoff_delay(3, milliseconds{900}, milliseconds{300}, 1.0), milliseconds{300});
}

TEST(PgBackoffTest, JitteredStaysWithinBounds) {
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const auto lo = backoff_delay(attempt, milliseconds{10}, milliseconds{200}, 0.0);
        const auto hi = backoff_delay(attempt, milliseconds{10}, milliseconds{200}, 1.0);
        for (int i = 0; i < 200; ++i) {
            const auto d = jittered_backoff(attempt, milliseconds{10}, milliseconds{200});
            EXPECT_GE(d, lo);
            EXPECT_LE(d, hi);
        }
    }
}

}  // namespace
}  // namespace ptool::platform
