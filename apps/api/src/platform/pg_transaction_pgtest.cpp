// with_tenant_transaction / with_transaction against a real PostgreSQL: the tenant setting, commit,
// rollback on exceptions, and retries of 40001/40P01 including a real deadlock between two
// connections (TEST_DATABASE_OWNER_URL, which may create tables).

#include "platform/pg_transaction.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>
#include <string>

#include "platform/pg_test_support.hpp"

namespace ptool::platform {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::app_url;
using testing::owner_url;
using testing::run_test;
using testing::test_loop;

pg_pool::options one_connection(std::string conninfo) {
    pg_pool::options opts;
    opts.conninfo = std::move(conninfo);
    opts.max_size = 1;  // every acquire gets the same session back
    return opts;
}

struct tenant_seen {
    std::string setting;
    int pid = 0;
};

asio::awaitable<tenant_seen> read_tenant(pg_connection& conn) {
    const pg_result res =
        co_await conn.query("SELECT current_setting('app.tenant_id', true), pg_backend_pid()");
    EXPECT_TRUE(conn.in_transaction());
    co_return tenant_seen{std::string(res.get(0, 0)), std::stoi(std::string(res.get(0, 1)))};
}

asio::awaitable<void> tenant_inside_only(asio::any_io_executor ex) {
    pg_pool pool(ex, one_connection(app_url()));
    const tenant_seen inside = co_await with_tenant_transaction(
        pool, "tenant-42", [](pg_connection& c) { return read_tenant(c); }
    );
    EXPECT_EQ(inside.setting, "tenant-42");

    pooled_connection conn = co_await pool.acquire();
    EXPECT_EQ(conn->backend_pid(), inside.pid);  // the same session
    EXPECT_FALSE(conn->in_transaction());
    const pg_result after = co_await conn->query("SELECT current_setting('app.tenant_id', true)");
    EXPECT_EQ(after.get(0, 0), "");  // transaction-local: gone after COMMIT
    conn.reset();

    const tenant_seen global =
        co_await with_transaction(pool, [](pg_connection& c) { return read_tenant(c); });
    EXPECT_EQ(global.setting, "");
}

TEST(PgTransactionTest, TenantIsSetInsideAndAbsentAfterwards) {
    run_test(2, [](asio::any_io_executor ex) { return tenant_inside_only(std::move(ex)); });
}

asio::awaitable<long> insert_row(pg_connection& conn, std::string value) {
    pg_params params{std::move(value)};
    const pg_result res = co_await conn.query("INSERT INTO tx_rows VALUES ($1)", std::move(params));
    co_return res.affected();
}

asio::awaitable<void> insert_then_throw(pg_connection& conn) {
    co_await insert_row(conn, "doomed");
    throw std::runtime_error("handler failed");
}

asio::awaitable<void> insert_then_fail_in_sql(pg_connection& conn, std::atomic<int>& calls) {
    ++calls;
    co_await insert_row(conn, "doomed too");
    co_await conn.query("SELECT 1 / 0");
}

asio::awaitable<long> count_rows(pg_pool& pool) {
    pooled_connection conn = co_await pool.acquire();
    const pg_result res = co_await conn->query("SELECT count(*) FROM tx_rows");
    co_return std::stol(std::string(res.get(0, 0)));
}

asio::awaitable<void> commit_and_rollback(asio::any_io_executor ex) {
    pg_pool pool(ex, one_connection(app_url()));
    {
        // A TEMP table: the app role may not create tables, and the pool keeps this session.
        pooled_connection conn = co_await pool.acquire();
        co_await conn->query("CREATE TEMP TABLE tx_rows (v text)");
    }
    const long inserted = co_await with_tenant_transaction(pool, "t1", [](pg_connection& c) {
        return insert_row(c, "kept");
    });
    EXPECT_EQ(inserted, 1);
    EXPECT_EQ(co_await count_rows(pool), 1);

    bool thrown = false;
    try {
        co_await with_tenant_transaction(pool, "t1", [](pg_connection& c) {
            return insert_then_throw(c);
        });
    } catch (const std::runtime_error& e) {
        thrown = std::string(e.what()) == "handler failed";
    }
    EXPECT_TRUE(thrown);
    EXPECT_EQ(co_await count_rows(pool), 1);  // rolled back

    std::atomic<int> calls{0};
    thrown = false;
    try {
        co_await with_transaction(pool, [&calls](pg_connection& c) {
            return insert_then_fail_in_sql(c, calls);
        });
    } catch (const db_error& e) {
        thrown = e.sqlstate == "22012";
    }
    EXPECT_TRUE(thrown);
    EXPECT_EQ(calls.load(), 1);  // not retryable
    EXPECT_EQ(co_await count_rows(pool), 1);
    EXPECT_EQ(pool.stats().size, 1U);  // the session survived every rollback
}

TEST(PgTransactionTest, CommitsAndRollsBackOnAnyException) {
    run_test(2, [](asio::any_io_executor ex) { return commit_and_rollback(std::move(ex)); });
}

asio::awaitable<int> flaky(
    pg_connection& conn, std::atomic<int>& calls, int failures, std::string sqlstate
) {
    const int call = ++calls;
    co_await conn.query("SELECT 1");
    if (call <= failures) {
        throw db_error(sqlstate, "synthetic", "", "");
    }
    co_return call;
}

asio::awaitable<void> retries(asio::any_io_executor ex) {
    pg_pool pool(ex, one_connection(app_url()));
    std::atomic<int> calls{0};
    const int result = co_await with_tenant_transaction(pool, "t", [&calls](pg_connection& c) {
        return flaky(c, calls, 2, "40001");
    });
    EXPECT_EQ(result, 3);
    EXPECT_EQ(calls.load(), 3);

    calls = 0;
    bool thrown = false;
    try {
        co_await with_tenant_transaction(
            pool, "t", [&calls](pg_connection& c) { return flaky(c, calls, 100, "40P01"); }, 3
        );
    } catch (const db_error& e) {
        thrown = e.kind() == sql_class::deadlock;
    }
    EXPECT_TRUE(thrown);
    EXPECT_EQ(calls.load(), 3);  // max_attempts in total
    EXPECT_EQ(pool.stats().in_use, 0U);
}

TEST(PgTransactionTest, RetriesSerializationFailuresUpToMaxAttempts) {
    run_test(2, [](asio::any_io_executor ex) { return retries(std::move(ex)); });
}

// --- a real deadlock --------------------------------------------------------------------

using signal_channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

// Locks row `first`, then (first attempt only) waits until the other side holds its row, then
// locks row `second`: the two transactions deadlock and PostgreSQL aborts one with 40P01.
asio::awaitable<void> lock_in_order(
    pg_connection& conn,
    std::string table,
    int first,
    int second,
    std::atomic<int>& attempts,
    signal_channel& mine,
    signal_channel& theirs
) {
    const int attempt = ++attempts;
    pg_params a{std::to_string(first)};
    co_await conn.query("UPDATE " + table + " SET v = v + 1 WHERE id = $1::int", std::move(a));
    if (attempt == 1) {
        mine.try_send(boost::system::error_code{});
        co_await theirs.async_receive(asio::use_awaitable);
    }
    pg_params b{std::to_string(second)};
    co_await conn.query("UPDATE " + table + " SET v = v + 1 WHERE id = $1::int", std::move(b));
}

asio::awaitable<void> deadlock_side(
    pg_pool& pool,
    std::string table,
    int first,
    int second,
    std::atomic<int>& attempts,
    signal_channel& mine,
    signal_channel& theirs
) {
    // Named first: GCC 12 destroys a closure temporary with a std::string capture twice when
    // it is created inside the co_await expression.
    auto fn = [&, table, first, second](pg_connection& c) {
        return lock_in_order(c, table, first, second, attempts, mine, theirs);
    };
    co_await with_tenant_transaction(pool, "deadlock", fn);
}

asio::awaitable<void> run_sql(asio::any_io_executor ex, std::string sql) {
    auto conn = co_await pg_connection::connect(ex, owner_url(), 5000ms);
    co_await conn->query(sql);
}

// Runs one statement as the owner on a loop of its own.
void exec_owner(const std::string& sql) {
    run_test(1, [&sql](asio::any_io_executor ex) { return run_sql(ex, sql); });
}

asio::awaitable<void> read_values(asio::any_io_executor ex, std::string table, std::string& out) {
    auto conn = co_await pg_connection::connect(ex, owner_url(), 5000ms);
    const pg_result res =
        co_await conn->query("SELECT string_agg(v::text, ',' ORDER BY id) FROM " + table);
    out = std::string(res.get(0, 0));
}

TEST(PgTransactionTest, RealDeadlockIsRetriedAndBothTransactionsSucceed) {
    const std::string table = "pg_tx_deadlock_" + std::to_string(::getpid());
    exec_owner("DROP TABLE IF EXISTS " + table);
    exec_owner("CREATE TABLE " + table + " (id int PRIMARY KEY, v int NOT NULL)");
    exec_owner("INSERT INTO " + table + " VALUES (1, 0), (2, 0)");

    std::atomic<int> attempts_a{0};
    std::atomic<int> attempts_b{0};
    {
        test_loop loop;
        pg_pool::options opts;
        opts.conninfo = owner_url();
        opts.max_size = 2;
        pg_pool pool(loop.executor(), opts);
        signal_channel a_locked(loop.executor(), 1);
        signal_channel b_locked(loop.executor(), 1);
        loop.spawn(deadlock_side(pool, table, 1, 2, attempts_a, a_locked, b_locked));
        loop.spawn(deadlock_side(pool, table, 2, 1, attempts_b, b_locked, a_locked));
        loop.run(4);
        EXPECT_EQ(pool.stats().in_use, 0U);
    }
    // One side was the deadlock victim and ran twice; each committed exactly once.
    EXPECT_EQ(attempts_a.load() + attempts_b.load(), 3);
    std::string values;
    run_test(1, [&](asio::any_io_executor ex) { return read_values(ex, table, values); });
    EXPECT_EQ(values, "2,2");
    exec_owner("DROP TABLE " + table);
}

}  // namespace
}  // namespace ptool::platform
