// pg_connection against a real PostgreSQL (TEST_DATABASE_URL): queries, errors, pipelines,
// deadlines, cancellation, notifications and lost connections.

#include "platform/pg_connection.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <string>

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
