#include "http/auth.hpp"

#include <gtest/gtest.h>

namespace ptool::http {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
const std::string tenant = "0b7c4f2e-1d2a-4c3b-9e8f-123456789abc";

principal who(domain::role r = domain::role::booker) { return principal{tenant, "ann", r}; }

TEST(auth, issued_token_verifies) {
    auto tok = issue_token("s3cret", who(domain::role::manager), 3600s, t0);
    auto v = verify_token(tok, "s3cret", t0 + 10s);
    ASSERT_TRUE(std::holds_alternative<principal>(v));
    const auto& p = std::get<principal>(v);
    EXPECT_EQ(p.tenant_id, tenant);
    EXPECT_EQ(p.user, "ann");
    EXPECT_EQ(p.role, domain::role::manager);
}

TEST(auth, wrong_secret_is_refused) {
    auto tok = issue_token("s3cret", who(), 3600s, t0);
    EXPECT_TRUE(std::holds_alternative<std::string>(verify_token(tok, "other", t0)));
}

TEST(auth, expiry_has_30_seconds_leeway) {
    auto tok = issue_token("s3cret", who(), 60s, t0);
    EXPECT_TRUE(std::holds_alternative<principal>(verify_token(tok, "s3cret", t0 + 89s)));
    EXPECT_TRUE(std::holds_alternative<std::string>(verify_token(tok, "s3cret", t0 + 91s)));
}

TEST(auth, alg_none_and_garbage_are_refused) {
    // {"alg":"none","typ":"JWT"} . {"sub":"a","tid":"...","role":"admin","exp":9999999999} .
    std::string none =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
        "eyJzdWIiOiJhIiwidGlkIjoiMGI3YzRmMmUtMWQyYS00YzNiLTllOGYtMTIzNDU2Nzg5YWJjIiwicm9sZSI6ImFk"
        "bWluIiwiZXhwIjo5OTk5OTk5OTk5fQ.";
    EXPECT_TRUE(std::holds_alternative<std::string>(verify_token(none, "s3cret", t0)));
    EXPECT_TRUE(std::holds_alternative<std::string>(verify_token("a.b.c", "s3cret", t0)));
    EXPECT_TRUE(std::holds_alternative<std::string>(verify_token("", "s3cret", t0)));
}

TEST(auth, uuid_form) {
    EXPECT_TRUE(is_uuid(tenant));
    EXPECT_FALSE(is_uuid("not-a-uuid"));
    EXPECT_FALSE(is_uuid("0b7c4f2e-1d2a-4c3b-9e8f-123456789abg"));
}

}  // namespace
}  // namespace ptool::http
