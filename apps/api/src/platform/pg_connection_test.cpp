#include "platform/pg_connection.hpp"

#include <gtest/gtest.h>

namespace ptool::platform {
namespace {

TEST(DescribeConninfoTest, KeyValueStringWithoutPassword) {
    const auto text = describe_conninfo(
        "host=db.example port=5433 dbname=ptool user=ptool_app password=s3cret "
        "options='-c statement_timeout=5000'"
    );
    EXPECT_EQ(text, "host=db.example port=5433 dbname=ptool user=ptool_app");
    EXPECT_EQ(text.find("s3cret"), std::string::npos);
}

TEST(DescribeConninfoTest, UriWithoutPassword) {
    const auto text = describe_conninfo("postgresql://ptool_app:s3cret@127.0.0.1:55502/ptool_test");
    EXPECT_EQ(text, "host=127.0.0.1 port=55502 dbname=ptool_test user=ptool_app");
    EXPECT_EQ(text.find("s3cret"), std::string::npos);
}

TEST(DescribeConninfoTest, UnparsableStringIsNotEchoed) {
    const auto text = describe_conninfo("host=x password=s3cret bogus");
    EXPECT_EQ(text, "(unparsable conninfo)");
}

TEST(DescribeConninfoTest, EmptyMeansLibpqDefaults) {
    EXPECT_EQ(describe_conninfo(""), "(libpq defaults)");
}

}  // namespace
}  // namespace ptool::platform
