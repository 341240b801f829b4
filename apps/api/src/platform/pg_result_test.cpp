#include "platform/pg_result.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <stdexcept>
#include <utility>

namespace ptool::platform {
namespace {

TEST(PgResultTest, EmptyResultHasNoRowsOrColumns) {
    const pg_result res;
    EXPECT_EQ(res.rows(), 0);
    EXPECT_EQ(res.columns(), 0);
    EXPECT_EQ(res.column("x"), -1);
    EXPECT_EQ(res.affected(), 0);
    EXPECT_EQ(res.command_tag(), "");
    EXPECT_THROW((void)res.get(0, 0), std::out_of_range);
    EXPECT_THROW((void)res.is_null(0, 0), std::out_of_range);
    EXPECT_THROW((void)res.column_name(0), std::out_of_range);
}

TEST(PgResultTest, OwnsAndMovesTheHandle) {
    // A result made without a connection: no rows, no command tag.
    pg_result a(PQmakeEmptyPGresult(nullptr, PGRES_COMMAND_OK));
    ASSERT_NE(a.native_handle(), nullptr);
    pg_result b(std::move(a));
    // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move): checks the move
    EXPECT_EQ(a.native_handle(), nullptr);
    EXPECT_NE(b.native_handle(), nullptr);
    EXPECT_EQ(b.rows(), 0);
    EXPECT_EQ(b.affected(), 0);
    pg_result c;
    c = std::move(b);
    EXPECT_NE(c.native_handle(), nullptr);
    c = pg_result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));  // frees the previous one
    EXPECT_EQ(c.columns(), 0);
}

}  // namespace
}  // namespace ptool::platform
