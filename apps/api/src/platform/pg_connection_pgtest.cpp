// pg_connection against a real PostgreSQL (TEST_DATABASE_URL): queries, errors, pipelines,
// prepared statements, deadlines, cancellation, notifications and lost connections.

#include "platform/pg_connection.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/pg_test_support.hpp"

namespace ptool::platform {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using testing::app_url;
using testing::run_test;

constexpr auto connect_timeout = std::chrono::milliseconds{5000};

asio::awaitable<std::unique_ptr<pg_connection>> open(asio::any_io_executor ex) {
    co_return co_await pg_connection::connect(std::move(ex), app_url(), connect_timeout);
}

// --- queries and results ----------------------------------------------------------------

asio::awaitable<void> params_null_and_unicode(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string text = "héllo ✓ 日本語 🎉";
    // GCC 12 rejects a braced pg_params inside a co_await expression: build it first.
    pg_params params{text, std::nullopt, "41"};
    const pg_result res = co_await conn->query(
        "SELECT $1::text AS t, $2::text IS NULL AS n, length($1::text) AS len, $2::text AS nul, "
        "$3::int + 1 AS next",
        std::move(params)
    );
    EXPECT_EQ(res.rows(), 1);
    EXPECT_EQ(res.columns(), 5);
    EXPECT_EQ(res.get(0, res.column("t")), text);
    EXPECT_EQ(res.get(0, res.column("n")), "t");
    EXPECT_EQ(res.get(0, res.column("len")), "13");
    EXPECT_TRUE(res.is_null(0, res.column("nul")));
    EXPECT_EQ(res.get(0, res.column("nul")), "");
    EXPECT_FALSE(res.opt(0, res.column("nul")).has_value());
    EXPECT_EQ(res.opt(0, res.column("next")), std::optional<std::string_view>("42"));
    EXPECT_FALSE(conn->in_transaction());
    EXPECT_FALSE(conn->broken());
    EXPECT_GT(conn->backend_pid(), 0);
}

TEST(PgConnectionTest, QueryWithNullAndUnicodeParams) {
    run_test(2, [](asio::any_io_executor ex) { return params_null_and_unicode(std::move(ex)); });
}

asio::awaitable<void> result_accessors(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    co_await conn->query("CREATE TEMP TABLE acc (id int PRIMARY KEY, name text)");
    const pg_result ins = co_await conn->query(
        "INSERT INTO acc VALUES (1, 'a'), (2, NULL), (3, 'c') RETURNING id, name"
    );
    EXPECT_EQ(ins.affected(), 3);
    EXPECT_EQ(ins.command_tag(), "INSERT 0 3");
    EXPECT_EQ(ins.rows(), 3);
    EXPECT_EQ(ins.column("id"), 0);
    EXPECT_EQ(ins.column("name"), 1);
    EXPECT_EQ(ins.column("ID"), -1);  // exact match, no identifier folding
    EXPECT_EQ(ins.column("missing"), -1);
    EXPECT_EQ(ins.column_name(1), "name");
    EXPECT_TRUE(ins.is_null(1, 1));
    EXPECT_EQ(ins.get(2, 1), "c");
    EXPECT_THROW((void)ins.get(3, 0), std::out_of_range);
    EXPECT_THROW((void)ins.get(0, 2), std::out_of_range);

    pg_params two{"2"};
    const pg_result upd =
        co_await conn->query("UPDATE acc SET name = 'x' WHERE id >= $1", std::move(two));
    EXPECT_EQ(upd.affected(), 2);
    EXPECT_EQ(upd.rows(), 0);
    const pg_result none = co_await conn->query("DELETE FROM acc WHERE id = 99");
    EXPECT_EQ(none.affected(), 0);
    const pg_result ddl = co_await conn->query("CREATE TEMP TABLE acc2 (x int)");
    EXPECT_EQ(ddl.affected(), 0);
    const pg_result sel = co_await conn->query("SELECT id FROM acc ORDER BY id");
    EXPECT_EQ(sel.affected(), 3);
    EXPECT_EQ(sel.get(2, 0), "3");
}

TEST(PgConnectionTest, ResultAccessors) {
    run_test(2, [](asio::any_io_executor ex) { return result_accessors(std::move(ex)); });
}

asio::awaitable<void> large_values(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    // ~6 MB of results: many reads, libpq's buffer grows while the socket still holds data.
    const pg_result big =
        co_await conn->query("SELECT i, repeat('x', 1200) FROM generate_series(1, 5000) AS i");
    EXPECT_EQ(big.rows(), 5000);
    EXPECT_EQ(big.get(4999, 0), "5000");
    EXPECT_EQ(big.get(4999, 1).size(), 1200U);
    // A 4 MB parameter: more than a socket buffer, so sending waits for writability.
    const std::string blob(std::size_t{4} * 1024 * 1024, 'y');
    pg_params blob_param{blob};
    const pg_result echo =
        co_await conn->query("SELECT length($1::text), md5($1::text)", std::move(blob_param));
    EXPECT_EQ(echo.get(0, 0), std::to_string(blob.size()));
    pg_params size_param{std::to_string(blob.size())};
    const pg_result local =
        co_await conn->query("SELECT md5(repeat('y', $1::int))", std::move(size_param));
    EXPECT_EQ(echo.get(0, 1), local.get(0, 0));
}

TEST(PgConnectionTest, LargeResultsAndParameters) {
    run_test(2, [](asio::any_io_executor ex) { return large_values(std::move(ex)); });
}

// --- server errors ----------------------------------------------------------------------

asio::awaitable<void> server_error_keeps_connection(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    bool thrown = false;
    try {
        pg_params zero{"0"};
        co_await conn->query("SELECT 1 / $1::int", std::move(zero));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "22012");
        EXPECT_EQ(e.kind(), sql_class::other);
        EXPECT_EQ(e.message, "division by zero");
        EXPECT_EQ(e.statement_index, -1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    EXPECT_FALSE(conn->in_transaction());
    const pg_result after = co_await conn->query("SELECT 7");
    EXPECT_EQ(after.get(0, 0), "7");

    // Inside a transaction the error aborts it; ROLLBACK recovers.
    co_await conn->query("BEGIN");
    thrown = false;
    try {
        co_await conn->query("SELECT no_such_column FROM pg_class");
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "42703");
    }
    EXPECT_TRUE(thrown);
    EXPECT_TRUE(conn->in_transaction());
    co_await conn->query("ROLLBACK");
    EXPECT_FALSE(conn->in_transaction());
}

TEST(PgConnectionTest, ServerErrorGivesDbErrorAndConnectionStaysUsable) {
    run_test(2, [](asio::any_io_executor ex) {
        return server_error_keeps_connection(std::move(ex));
    });
}

asio::awaitable<void> constraint_violations(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    co_await conn->query(
        "CREATE TEMP TABLE slots (id int CONSTRAINT slots_pk PRIMARY KEY, r int4range, "
        "CONSTRAINT slots_no_overlap EXCLUDE USING gist (r WITH &&))"
    );
    co_await conn->query("INSERT INTO slots VALUES (1, int4range(10, 12))");
    // Touching ranges do not overlap ('[)' bounds).
    co_await conn->query("INSERT INTO slots VALUES (2, int4range(12, 14))");

    bool excluded = false;
    try {
        pg_params overlapping{"3", "11", "13"};
        co_await conn->query(
            "INSERT INTO slots VALUES ($1, int4range($2, $3))", std::move(overlapping)
        );
    } catch (const db_error& e) {
        excluded = true;
        EXPECT_EQ(e.sqlstate, "23P01");
        EXPECT_EQ(e.kind(), sql_class::exclusion_violation);
        EXPECT_EQ(e.constraint, "slots_no_overlap");
        EXPECT_NE(e.detail.find("conflicts with existing key"), std::string::npos) << e.detail;
    }
    EXPECT_TRUE(excluded);

    bool duplicate = false;
    try {
        co_await conn->query("INSERT INTO slots VALUES (1, int4range(50, 60))");
    } catch (const db_error& e) {
        duplicate = true;
        EXPECT_EQ(e.kind(), sql_class::unique_violation);
        EXPECT_EQ(e.constraint, "slots_pk");
    }
    EXPECT_TRUE(duplicate);

    bool not_null = false;
    try {
        co_await conn->query("INSERT INTO slots VALUES (NULL, int4range(70, 80))");
    } catch (const db_error& e) {
        not_null = true;
        EXPECT_EQ(e.kind(), sql_class::not_null_violation);
    }
    EXPECT_TRUE(not_null);
    const pg_result count = co_await conn->query("SELECT count(*) FROM slots");
    EXPECT_EQ(count.get(0, 0), "2");
}

TEST(PgConnectionTest, ConstraintViolationsAreClassified) {
    run_test(2, [](asio::any_io_executor ex) { return constraint_violations(std::move(ex)); });
}

// --- pipelines --------------------------------------------------------------------------

asio::awaitable<void> pipeline_three(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    std::vector<pg_statement> stmts;
    stmts.push_back({"SELECT $1::int + 1", {"1"}});
    stmts.push_back({"SELECT $1::text, $2::text IS NULL", {"ü", std::nullopt}});
    stmts.push_back({"SELECT pg_backend_pid()", {}});
    const std::vector<pg_result> results = co_await conn->pipeline(std::move(stmts));
    EXPECT_EQ(results.size(), 3U);
    if (results.size() == 3) {
        EXPECT_EQ(results[0].get(0, 0), "2");
        EXPECT_EQ(results[1].get(0, 0), "ü");
        EXPECT_EQ(results[1].get(0, 1), "t");
        EXPECT_EQ(results[2].get(0, 0), std::to_string(conn->backend_pid()));
    }
    EXPECT_FALSE(conn->in_pipeline_mode());
    EXPECT_FALSE(conn->in_transaction());

    const std::vector<pg_result> none = co_await conn->pipeline(std::vector<pg_statement>());
    EXPECT_TRUE(none.empty());

    // BEGIN + set_config in one round trip, as transactions use it.
    std::vector<pg_statement> begin;
    begin.push_back({"BEGIN", {}});
    begin.push_back({"SELECT set_config('app.tenant_id', $1, true)", {"t-1"}});
    const auto begun = co_await conn->pipeline(std::move(begin));
    EXPECT_EQ(begun.size(), 2U);
    EXPECT_TRUE(conn->in_transaction());
    const pg_result setting = co_await conn->query("SELECT current_setting('app.tenant_id')");
    EXPECT_EQ(setting.get(0, 0), "t-1");
    co_await conn->query("COMMIT");
    EXPECT_FALSE(conn->in_transaction());
}

TEST(PgConnectionTest, PipelineReturnsOneResultPerStatement) {
    run_test(2, [](asio::any_io_executor ex) { return pipeline_three(std::move(ex)); });
}

asio::awaitable<void> pipeline_failure(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    co_await conn->query("CREATE TEMP TABLE pl (x int)");
    std::vector<pg_statement> stmts;
    stmts.push_back({"INSERT INTO pl VALUES (1)", {}});
    stmts.push_back({"SELECT 1 / $1::int", {"0"}});
    stmts.push_back({"INSERT INTO pl VALUES (3)", {}});
    bool thrown = false;
    try {
        co_await conn->pipeline(std::move(stmts));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "22012");
        EXPECT_EQ(e.statement_index, 1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    EXPECT_FALSE(conn->in_pipeline_mode());
    EXPECT_FALSE(conn->in_transaction());
    // Up to the sync the statements form one implicit transaction: nothing was kept.
    const pg_result count = co_await conn->query("SELECT count(*) FROM pl");
    EXPECT_EQ(count.get(0, 0), "0");

    // A failure in the first statement inside an explicit transaction.
    std::vector<pg_statement> tx;
    tx.push_back({"BEGIN", {}});
    tx.push_back({"INSERT INTO pl VALUES ('not a number')", {}});
    tx.push_back({"SELECT 1", {}});
    thrown = false;
    try {
        co_await conn->pipeline(std::move(tx));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "22P02");
        EXPECT_EQ(e.statement_index, 1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_TRUE(conn->in_transaction());  // aborted transaction, still open
    co_await conn->query("ROLLBACK");
    const pg_result again = co_await conn->query("SELECT 'usable'");
    EXPECT_EQ(again.get(0, 0), "usable");
}

TEST(PgConnectionTest, PipelineFailureThrowsForThatStatementAndConnectionStaysUsable) {
    run_test(2, [](asio::any_io_executor ex) { return pipeline_failure(std::move(ex)); });
}

// --- prepared statements ----------------------------------------------------------------

// The row of pg_prepared_statements for `sql` on this connection: name, custom_plans,
// generic_plans; nullopt when it is not prepared. The lookup itself is a cached statement too.
// `sql` must outlive the await (a literal or a named string).
asio::awaitable<std::optional<std::array<std::string, 3>>> prepared_row(
    pg_connection& conn, std::string_view sql
) {
    pg_params params{std::string(sql)};
    const pg_result res = co_await conn.query(
        "SELECT name, custom_plans, generic_plans FROM pg_prepared_statements "
        "WHERE statement = $1 AND NOT from_sql",
        std::move(params)
    );
    if (res.rows() == 0) {
        co_return std::nullopt;
    }
    EXPECT_EQ(res.rows(), 1);
    co_return std::array<std::string, 3>{
        std::string(res.get(0, 0)), std::string(res.get(0, 1)), std::string(res.get(0, 2))};
}

asio::awaitable<std::string> prepared_count(pg_connection& conn) {
    const pg_result res = co_await conn.query(
        "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'ptool\\_s%'"
    );
    co_return std::string(res.get(0, 0));
}

asio::awaitable<void> prepared_second_time(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string sql = "SELECT $1::int * 2";
    pg_params first{"21"};
    const pg_result one = co_await conn->query(sql, std::move(first));
    EXPECT_EQ(one.get(0, 0), "42");
    auto row = co_await prepared_row(*conn, sql);
    PTOOL_CO_ASSERT_TRUE(row.has_value());
    EXPECT_TRUE((*row)[0].starts_with("ptool_s")) << (*row)[0];
    EXPECT_EQ((*row)[1], "1");  // planned once, for the first execution

    pg_params second{"5"};
    const pg_result two = co_await conn->query(sql, std::move(second));
    EXPECT_EQ(two.get(0, 0), "10");
    const auto again = co_await prepared_row(*conn, sql);
    PTOOL_CO_ASSERT_TRUE(again.has_value());
    EXPECT_EQ((*again)[0], (*row)[0]);  // the same statement, executed a second time
    EXPECT_EQ(std::stoi((*again)[1]) + std::stoi((*again)[2]), 2);

    // In a pipeline too, by the same name.
    std::vector<pg_statement> stmts;
    stmts.push_back({sql, {"1"}});
    stmts.push_back({sql, {"2"}});
    const auto results = co_await conn->pipeline(std::move(stmts));
    PTOOL_CO_ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[1].get(0, 0), "4");
    const auto third = co_await prepared_row(*conn, sql);
    PTOOL_CO_ASSERT_TRUE(third.has_value());
    EXPECT_EQ(std::stoi((*third)[1]) + std::stoi((*third)[2]), 4);

    // Named statements are session state: a rolled-back transaction keeps the one it prepared.
    co_await conn->query("BEGIN");
    const std::string in_tx = "SELECT 'prepared in a transaction'";
    co_await conn->query(in_tx);
    co_await conn->query("ROLLBACK");
    EXPECT_TRUE((co_await prepared_row(*conn, in_tx)).has_value());
    const pg_result after = co_await conn->query(in_tx);
    EXPECT_EQ(after.get(0, 0), "prepared in a transaction");

    // A new connection starts with an empty cache.
    auto other = co_await open(ex);
    EXPECT_FALSE((co_await prepared_row(*other, sql)).has_value());
}

TEST(PgConnectionTest, StatementIsPreparedOnceAndRunsPreparedTheSecondTime) {
    run_test(2, [](asio::any_io_executor ex) { return prepared_second_time(std::move(ex)); });
}

asio::awaitable<void> mixed_pipeline_errors(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string known = "SELECT $1::int + 1";
    const std::string fresh = "SELECT $1::int + 10";
    const std::string divide = "SELECT 1 / $1::int";
    const std::string skipped = "SELECT $1::int + 100";
    pg_params warm{"1"};
    co_await conn->query(known, std::move(warm));

    // The error is in the execution of a statement prepared in the same pipeline.
    std::vector<pg_statement> stmts;
    stmts.push_back({known, {"1"}});
    stmts.push_back({fresh, {"1"}});
    stmts.push_back({divide, {"0"}});
    stmts.push_back({skipped, {"1"}});
    bool thrown = false;
    try {
        co_await conn->pipeline(std::move(stmts));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "22012");
        EXPECT_EQ(e.statement_index, 2);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    EXPECT_FALSE(conn->in_pipeline_mode());
    EXPECT_FALSE(conn->in_transaction());
    // Prepares that succeeded exist on the server and are cached; the skipped one is not.
    EXPECT_TRUE((co_await prepared_row(*conn, fresh)).has_value());
    EXPECT_TRUE((co_await prepared_row(*conn, divide)).has_value());
    EXPECT_FALSE((co_await prepared_row(*conn, skipped)).has_value());

    // The error is in a prepare: it belongs to the statement being prepared.
    const std::string broken_sql = "SELEC $1::int";
    std::vector<pg_statement> bad;
    bad.push_back({fresh, {"2"}});
    bad.push_back({broken_sql, {"2"}});
    bad.push_back({skipped, {"2"}});
    thrown = false;
    try {
        co_await conn->pipeline(std::move(bad));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "42601");
        EXPECT_EQ(e.statement_index, 1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    EXPECT_FALSE((co_await prepared_row(*conn, broken_sql)).has_value());
    EXPECT_FALSE((co_await prepared_row(*conn, skipped)).has_value());

    // Everything works afterwards, prepared or not yet.
    std::vector<pg_statement> good;
    good.push_back({divide, {"1"}});
    good.push_back({skipped, {"1"}});
    good.push_back({fresh, {"1"}});
    const auto results = co_await conn->pipeline(std::move(good));
    PTOOL_CO_ASSERT_EQ(results.size(), 3U);
    EXPECT_EQ(results[0].get(0, 0), "1");
    EXPECT_EQ(results[1].get(0, 0), "101");
    EXPECT_EQ(results[2].get(0, 0), "11");
    EXPECT_TRUE((co_await prepared_row(*conn, skipped)).has_value());
}

TEST(PgConnectionTest, PipelineErrorsWithPreparedAndFreshStatementsKeepTheirIndex) {
    run_test(2, [](asio::any_io_executor ex) { return mixed_pipeline_errors(std::move(ex)); });
}

asio::awaitable<void> failed_prepare_not_cached(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string bad = "SELEC 1";
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool thrown = false;
        try {
            co_await conn->query(bad);
        } catch (const db_error& e) {
            thrown = true;
            EXPECT_EQ(e.sqlstate, "42601");
            EXPECT_EQ(e.statement_index, -1);
        }
        EXPECT_TRUE(thrown);
        EXPECT_FALSE(conn->broken());
        EXPECT_FALSE((co_await prepared_row(*conn, bad)).has_value());
    }
    const pg_result ok = co_await conn->query("SELECT 'next one works'");
    EXPECT_EQ(ok.get(0, 0), "next one works");
    EXPECT_TRUE((co_await prepared_row(*conn, "SELECT 'next one works'")).has_value());

    // A prepare refused inside an aborted transaction is not cached either; ROLLBACK prepares.
    co_await conn->query("BEGIN");
    EXPECT_THROW(co_await conn->query("SELECT 1 / 0"), db_error);
    EXPECT_THROW(co_await conn->query("SELECT 'in aborted'"), db_error);  // 25P02
    co_await conn->query("ROLLBACK");
    EXPECT_FALSE(conn->in_transaction());
    EXPECT_FALSE((co_await prepared_row(*conn, "SELECT 'in aborted'")).has_value());
    const pg_result later = co_await conn->query("SELECT 'in aborted'");
    EXPECT_EQ(later.get(0, 0), "in aborted");
}

TEST(PgConnectionTest, FailedPrepareIsNotCachedAndTheNextStatementWorks) {
    run_test(2, [](asio::any_io_executor ex) { return failed_prepare_not_cached(std::move(ex)); });
}

asio::awaitable<void> cache_cap(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    constexpr std::size_t total = pg_connection::max_prepared_statements + 44;
    std::vector<pg_statement> stmts;
    for (std::size_t i = 0; i < total; ++i) {
        stmts.push_back({"SELECT " + std::to_string(i) + " AS cap_test", {}});
    }
    const auto results = co_await conn->pipeline(std::move(stmts));
    PTOOL_CO_ASSERT_EQ(results.size(), total);
    EXPECT_EQ(results[total - 1].get(0, 0), std::to_string(total - 1));
    // The count query itself runs unnamed: the cache is full.
    EXPECT_EQ(
        co_await prepared_count(*conn), std::to_string(pg_connection::max_prepared_statements)
    );
    EXPECT_TRUE((co_await prepared_row(*conn, "SELECT 0 AS cap_test")).has_value());
    EXPECT_FALSE((co_await prepared_row(*conn, "SELECT 300 AS cap_test")).has_value());

    // New SQL runs unnamed, in query() and in pipeline(); cached SQL still runs by name.
    const pg_result beyond = co_await conn->query("SELECT 'beyond the cap'");
    EXPECT_EQ(beyond.get(0, 0), "beyond the cap");
    std::vector<pg_statement> mixed;
    mixed.push_back({"SELECT 1 AS cap_test", {}});
    mixed.push_back({"SELECT 'also beyond'", {}});
    const auto both = co_await conn->pipeline(std::move(mixed));
    PTOOL_CO_ASSERT_EQ(both.size(), 2U);
    EXPECT_EQ(both[1].get(0, 0), "also beyond");
    EXPECT_FALSE((co_await prepared_row(*conn, "SELECT 'beyond the cap'")).has_value());
    EXPECT_FALSE((co_await prepared_row(*conn, "SELECT 'also beyond'")).has_value());
    EXPECT_EQ(
        co_await prepared_count(*conn), std::to_string(pg_connection::max_prepared_statements)
    );
    // Errors of unnamed statements keep their usual shape.
    EXPECT_THROW(co_await conn->query("SELECT 1 / 0"), db_error);
    EXPECT_FALSE(conn->broken());
}

TEST(PgConnectionTest, CacheCapFallsBackToUnnamedStatements) {
    run_test(2, [](asio::any_io_executor ex) { return cache_cap(std::move(ex)); });
}

asio::awaitable<void> prelude_and_prepared(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string begin = "BEGIN";
    const std::string tenant = "SELECT set_config('app.tenant_id', $1, true)";
    const std::string read = "SELECT current_setting('app.tenant_id')";
    for (int round = 0; round < 2; ++round) {  // first preparing, then all by name
        std::vector<pg_statement> prelude;
        prelude.push_back({begin, {}});
        prelude.push_back({tenant, {"t-" + std::to_string(round)}});
        conn->defer(std::move(prelude));
        const pg_result res = co_await conn->query(read);
        EXPECT_EQ(res.get(0, 0), "t-" + std::to_string(round));
        EXPECT_TRUE(conn->in_transaction());
        co_await conn->query("COMMIT");
    }
    EXPECT_TRUE((co_await prepared_row(*conn, begin)).has_value());
    EXPECT_TRUE((co_await prepared_row(*conn, tenant)).has_value());
    EXPECT_TRUE((co_await prepared_row(*conn, read)).has_value());

    // A caller's error after a prepared prelude keeps the caller's index.
    std::vector<pg_statement> prelude;
    prelude.push_back({begin, {}});
    prelude.push_back({tenant, {"t-x"}});
    conn->defer(std::move(prelude));
    std::vector<pg_statement> stmts;
    stmts.push_back({read, {}});
    stmts.push_back({"SELECT 1 / $1::int", {"0"}});
    bool thrown = false;
    try {
        co_await conn->pipeline(std::move(stmts));
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "22012");
        EXPECT_EQ(e.statement_index, 1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_TRUE(conn->in_transaction());
    co_await conn->query("ROLLBACK");

    // An error in a prelude statement being prepared: negative index, nothing cached.
    std::vector<pg_statement> bad_prelude;
    bad_prelude.push_back({begin, {}});
    bad_prelude.push_back({"SELEC 'bad prelude'", {}});
    conn->defer(std::move(bad_prelude));
    thrown = false;
    try {
        co_await conn->query("SELECT 'after a bad prelude'");
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "42601");
        EXPECT_EQ(e.statement_index, -1);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->has_deferred());
    co_await conn->query("ROLLBACK");
    EXPECT_FALSE(conn->in_transaction());
    EXPECT_FALSE((co_await prepared_row(*conn, "SELEC 'bad prelude'")).has_value());
    EXPECT_FALSE((co_await prepared_row(*conn, "SELECT 'after a bad prelude'")).has_value());
    const pg_result fine = co_await conn->query("SELECT 'after a bad prelude'");
    EXPECT_EQ(fine.get(0, 0), "after a bad prelude");
}

TEST(PgConnectionTest, DeferredPreludeWorksWithPreparedStatements) {
    run_test(2, [](asio::any_io_executor ex) { return prelude_and_prepared(std::move(ex)); });
}

asio::awaitable<void> vanished_statement(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    const std::string sql = "SELECT 'vanishes'";
    co_await conn->query(sql);
    co_await conn->query("DEALLOCATE ALL");  // forbidden in the server; here to test recovery
    bool thrown = false;
    try {
        co_await conn->query(sql);
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.sqlstate, "26000");
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    const pg_result again = co_await conn->query(sql);  // prepared afresh
    EXPECT_EQ(again.get(0, 0), "vanishes");
}

TEST(PgConnectionTest, VanishedPreparedStatementEmptiesTheCacheOnce) {
    run_test(2, [](asio::any_io_executor ex) { return vanished_statement(std::move(ex)); });
}

// --- deadlines and cancellation ---------------------------------------------------------

asio::awaitable<void> statement_timeout(asio::any_io_executor ex) {
    auto conn = co_await pg_connection::connect(
        ex, testing::with_option(app_url(), "options", "-c statement_timeout=100"), connect_timeout
    );
    bool thrown = false;
    try {
        co_await conn->query("SELECT pg_sleep(5)");
    } catch (const db_error& e) {
        thrown = true;
        EXPECT_EQ(e.kind(), sql_class::query_canceled);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(conn->broken());
    const pg_result res = co_await conn->query("SHOW statement_timeout");
    EXPECT_EQ(res.get(0, 0), "100ms");
}

TEST(PgConnectionTest, StatementTimeoutFromConninfoIsQueryCanceled) {
    run_test(2, [](asio::any_io_executor ex) { return statement_timeout(std::move(ex)); });
}

asio::awaitable<void> client_deadline(asio::any_io_executor ex) {
    auto conn = co_await open(ex);
    conn->set_operation_timeout(200ms);
    const auto start = clock_type::now();
    bool thrown = false;
    try {
        co_await conn->query("SELECT pg_sleep(10)");
    } catch (const db_unavailable& e) {
        thrown = true;
        EXPECT_NE(std::string(e.what()).find("within 200 ms"), std::string::npos) << e.what();
    }
    const auto elapsed = clock_type::now() - start;
    EXPECT_TRUE(thrown);
    EXPECT_GE(elapsed, 190ms);
    EXPECT_LT(elapsed, 3s);
    EXPECT_TRUE(conn->broken());
    EXPECT_THROW(co_await conn->query("SELECT 1"), db_unavailable);
}

TEST(PgConnectionTest, ClientDeadlineThrowsDbUnavailableAndMarksBroken) {
    run_test(2, [](asio::any_io_executor ex) { return client_deadline(std::move(ex)); });
}

asio::awaitable<void> sleep_query(pg_connection& conn) {
    co_await conn.query("SELECT pg_sleep(10)");
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> cancelled_query(asio::any_io_executor ex) {
    using namespace asio::experimental::awaitable_operators;
    auto conn = co_await open(ex);
    const auto start = clock_type::now();
    const auto winner = co_await (sleep_query(*conn) || sleep_for(100ms));
    EXPECT_EQ(winner.index(), 1U);
    EXPECT_LT(clock_type::now() - start, 3s);
    EXPECT_TRUE(conn->broken());  // the statement was in flight
}

TEST(PgConnectionTest, CancellationAbortsTheAwaitAndMarksBroken) {
    run_test(2, [](asio::any_io_executor ex) { return cancelled_query(std::move(ex)); });
}

// --- connecting -------------------------------------------------------------------------

std::string conninfo_with(const std::string& key, const std::string& value) {
    // Rebuild TEST_DATABASE_URL as key=value pairs with one option replaced.
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(app_url().c_str(), &error);
    if (options == nullptr) {
        PQfreemem(error);
        throw std::runtime_error("TEST_DATABASE_URL does not parse");
    }
    std::string out;
    bool replaced = false;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): libpq's C array
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        std::string v = o->val == nullptr ? std::string() : std::string(o->val);
        if (key == o->keyword) {
            v = value;
            replaced = true;
        } else if (o->val == nullptr) {
            continue;
        }
        out += std::string(o->keyword) + "='" + v + "' ";
    }
    PQconninfoFree(options);
    if (!replaced) {
        out += key + "='" + value + "'";
    }
    return out;
}

asio::awaitable<void> refused(asio::any_io_executor ex) {
    const auto start = clock_type::now();
    bool thrown = false;
    try {
        co_await pg_connection::connect(
            ex, "host=127.0.0.1 port=1 dbname=x user=u password=topsecret", connect_timeout
        );
    } catch (const db_unavailable& e) {
        thrown = true;
        const std::string what = e.what();
        EXPECT_EQ(what.find("topsecret"), std::string::npos) << what;
        EXPECT_NE(what.find("port=1"), std::string::npos) << what;
    }
    EXPECT_TRUE(thrown);
    EXPECT_LT(clock_type::now() - start, 2s);
}

TEST(PgConnectionTest, RefusedConnectionThrowsDbUnavailableWithoutPassword) {
    run_test(2, [](asio::any_io_executor ex) { return refused(std::move(ex)); });
}

asio::awaitable<void> connect_timeout_elapses(asio::any_io_executor ex) {
    const auto start = clock_type::now();
    bool thrown = false;
    try {
        // TEST-NET-1 (RFC 5737): packets go nowhere, or the network is unreachable at once.
        co_await pg_connection::connect(ex, "host=192.0.2.1 port=5432 dbname=x user=u", 300ms);
    } catch (const db_unavailable&) {
        thrown = true;
    }
    EXPECT_TRUE(thrown);
    EXPECT_LT(clock_type::now() - start, 2s);
}

TEST(PgConnectionTest, ConnectIsBoundedByItsTimeout) {
    run_test(2, [](asio::any_io_executor ex) { return connect_timeout_elapses(std::move(ex)); });
}

asio::awaitable<void> resolves_names(asio::any_io_executor ex) {
    // "localhost" may resolve to ::1 first while the server listens on 127.0.0.1 only:
    // libpq then tries the next address.
    auto conn =
        co_await pg_connection::connect(ex, conninfo_with("host", "localhost"), connect_timeout);
    const pg_result res = co_await conn->query("SELECT 1");
    EXPECT_EQ(res.get(0, 0), "1");
    EXPECT_NE(conn->description().find("host=localhost"), std::string::npos);
}

TEST(PgConnectionTest, ResolvesHostNamesWithoutBlocking) {
    run_test(2, [](asio::any_io_executor ex) { return resolves_names(std::move(ex)); });
}

// --- lost connections and notifications -------------------------------------------------

asio::awaitable<void> terminated_backend(asio::any_io_executor ex) {
    auto victim = co_await open(ex);
    auto killer = co_await open(ex);
    const int pid = victim->backend_pid();
    pg_params target{std::to_string(pid)};
    const pg_result done =
        co_await killer->query("SELECT pg_terminate_backend($1::int)", std::move(target));
    EXPECT_EQ(done.get(0, 0), "t");
    bool thrown = false;
    try {
        co_await victim->query("SELECT 1");
    } catch (const db_unavailable&) {
        thrown = true;
    }
    EXPECT_TRUE(thrown);
    EXPECT_TRUE(victim->broken());
    EXPECT_THROW(co_await victim->query("SELECT 1"), db_unavailable);
}

TEST(PgConnectionTest, TerminatedBackendGivesDbUnavailableAndBroken) {
    run_test(2, [](asio::any_io_executor ex) { return terminated_backend(std::move(ex)); });
}

asio::awaitable<void> notifications(asio::any_io_executor ex) {
    auto listener = co_await open(ex);
    auto sender = co_await open(ex);
    co_await listener->query("LISTEN ptool_test_channel");

    const auto start = clock_type::now();
    const auto nothing = co_await listener->wait_notification(100ms);
    EXPECT_FALSE(nothing.has_value());
    EXPECT_GE(clock_type::now() - start, 90ms);
    EXPECT_FALSE(listener->broken());

    pg_params payload{"payload ✓"};
    co_await sender->query("SELECT pg_notify('ptool_test_channel', $1)", std::move(payload));
    const auto note = co_await listener->wait_notification(5s);
    EXPECT_TRUE(note.has_value());
    if (note) {
        EXPECT_EQ(note->channel, "ptool_test_channel");
        EXPECT_EQ(note->payload, "payload ✓");
        EXPECT_EQ(note->backend_pid, sender->backend_pid());
    }
    // One that arrives around a query of the listener is kept for the next wait.
    co_await sender->query("NOTIFY ptool_test_channel, 'second'");
    co_await listener->query("SELECT 1");
    const auto second = co_await listener->wait_notification(5s);
    EXPECT_TRUE(second.has_value() && second->payload == "second");
}

TEST(PgConnectionTest, WaitsForNotifications) {
    run_test(2, [](asio::any_io_executor ex) { return notifications(std::move(ex)); });
}

}  // namespace
}  // namespace ptool::platform
