// pg_pool against a real PostgreSQL (TEST_DATABASE_URL): concurrency over a small pool, acquire
// timeouts, cancellation, replacing killed connections, an unreachable server and close().

#include "platform/pg_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
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
using testing::test_loop;
using testing::yield_once;

pg_pool::options small_pool(std::size_t max_size) {
    pg_pool::options opts;
    opts.conninfo = app_url();
    opts.max_size = max_size;
    return opts;
}

// --- many coroutines, few connections ---------------------------------------------------

struct observed {
    std::atomic<std::size_t> max_size{0};
    std::atomic<std::size_t> max_in_use{0};
    std::atomic<int> completed{0};
};

void raise_to(std::atomic<std::size_t>& target, std::size_t value) {
    std::size_t seen = target.load();
    while (seen < value && !target.compare_exchange_weak(seen, value)) {
    }
}

asio::awaitable<void> worker(pg_pool& pool, int n, observed& seen) {
    pooled_connection conn = co_await pool.acquire();
    const pool_stats s = pool.stats();
    raise_to(seen.max_size, s.size);
    raise_to(seen.max_in_use, s.in_use);
    pg_params params{std::to_string(n)};
    const pg_result res = co_await conn->query("SELECT $1::int * 2", std::move(params));
    EXPECT_EQ(res.get(0, 0), std::to_string(n * 2));
    ++seen.completed;
}

TEST(PgPoolTest, TwoHundredCoroutinesShareFourConnections) {
    test_loop loop;
    auto opts = small_pool(4);
    opts.acquire_timeout = 30s;
    pg_pool pool(loop.executor(), opts);
    observed seen;
    for (int i = 0; i < 200; ++i) {
        loop.spawn(worker(pool, i, seen));
    }
    loop.run(4);
    EXPECT_EQ(seen.completed.load(), 200);
    EXPECT_LE(seen.max_size.load(), 4U);
    EXPECT_LE(seen.max_in_use.load(), 4U);
    const pool_stats after = pool.stats();
    EXPECT_EQ(after.max_size, 4U);
    EXPECT_EQ(after.waiting, 0U);
    EXPECT_EQ(after.in_use, 0U);
    EXPECT_LE(after.size, 4U);
    EXPECT_GE(after.size, 1U);
    EXPECT_EQ(after.idle, after.size);
    EXPECT_EQ(after.connect_failures, 0U);
}

// --- waiting and timeouts ---------------------------------------------------------------

asio::awaitable<void> acquire_times_out(asio::any_io_executor ex) {
    auto opts = small_pool(2);
    opts.acquire_timeout = 300ms;
    pg_pool pool(ex, opts);
    {
        pooled_connection a = co_await pool.acquire();
        pooled_connection b = co_await pool.acquire();
        const auto start = clock_type::now();
        bool thrown = false;
        try {
            co_await pool.acquire();
        } catch (const db_unavailable& e) {
            thrown = true;
            EXPECT_NE(std::string(e.what()).find("2 of 2 in use"), std::string::npos) << e.what();
        }
        const auto elapsed = clock_type::now() - start;
        EXPECT_TRUE(thrown);
        EXPECT_GE(elapsed, 290ms);
        EXPECT_LT(elapsed, 3s);
        const pool_stats s = pool.stats();
        EXPECT_EQ(s.waiting, 0U);
        EXPECT_EQ(s.in_use, 2U);
    }
    pooled_connection again = co_await pool.acquire();
    const pg_result res = co_await again->query("SELECT 1");
    EXPECT_EQ(res.get(0, 0), "1");
    again.reset();
    EXPECT_EQ(pool.stats().in_use, 0U);
    EXPECT_EQ(pool.stats().idle, 2U);
}

TEST(PgPoolTest, AcquireThrowsDbUnavailableWhenAllConnectionsAreHeld) {
    run_test(2, [](asio::any_io_executor ex) { return acquire_times_out(std::move(ex)); });
}

asio::awaitable<void> waiter(pg_pool& pool, std::atomic<int>& served) {
    pooled_connection conn = co_await pool.acquire();
    co_await conn->query("SELECT 1");
    ++served;
}

TEST(PgPoolTest, ReleaseHandsTheConnectionToOneWaiterAtATime) {
    test_loop loop;
    auto opts = small_pool(1);
    opts.acquire_timeout = 20s;
    pg_pool pool(loop.executor(), opts);
    std::atomic<int> served{0};
    const auto start = clock_type::now();
    for (int i = 0; i < 20; ++i) {
        loop.spawn(waiter(pool, served));
    }
    loop.run(4);
    EXPECT_EQ(served.load(), 20);
    EXPECT_LT(clock_type::now() - start, 10s);  // no waiter sat out its acquire_timeout
    EXPECT_EQ(pool.stats().size, 1U);
    EXPECT_EQ(pool.stats().waiting, 0U);
}

asio::awaitable<void> acquire_only(pg_pool& pool) { co_await pool.acquire(); }

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> cancelled_acquire(asio::any_io_executor ex) {
    using namespace asio::experimental::awaitable_operators;
    auto opts = small_pool(1);
    opts.acquire_timeout = 10s;
    pg_pool pool(ex, opts);
    pooled_connection held = co_await pool.acquire();
    const auto winner = co_await (acquire_only(pool) || sleep_for(100ms));
    EXPECT_EQ(winner.index(), 1U);
    EXPECT_EQ(pool.stats().waiting, 0U);
    held.reset();
    const pool_stats s = pool.stats();
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.idle, 1U);
    pooled_connection again = co_await pool.acquire();
    EXPECT_TRUE(static_cast<bool>(again));
}

TEST(PgPoolTest, CancelledAcquireLeavesTheQueue) {
    run_test(2, [](asio::any_io_executor ex) { return cancelled_acquire(std::move(ex)); });
}

// --- broken connections -----------------------------------------------------------------

asio::awaitable<void> terminate_and_wait(asio::any_io_executor ex, int pid) {
    auto killer = co_await pg_connection::connect(ex, app_url(), 5000ms);
    pg_params target{std::to_string(pid)};
    co_await killer->query("SELECT pg_terminate_backend($1::int)", std::move(target));
    for (;;) {  // until the backend is gone; polling the server, not sleeping
        pg_params again{std::to_string(pid)};
        const pg_result alive = co_await killer->query(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", std::move(again)
        );
        if (alive.get(0, 0) == "0") {
            break;
        }
        co_await yield_once();
    }
}

asio::awaitable<void> replaced_after_health_check(asio::any_io_executor ex) {
    auto opts = small_pool(1);
    opts.idle_check_after = 0ms;  // every idle connection is checked before reuse
    pg_pool pool(ex, opts);
    int first_pid = 0;
    {
        pooled_connection conn = co_await pool.acquire();
        first_pid = conn->backend_pid();
    }
    co_await terminate_and_wait(ex, first_pid);
    pooled_connection conn = co_await pool.acquire();
    EXPECT_NE(conn->backend_pid(), first_pid);
    const pg_result res = co_await conn->query("SELECT 1");
    EXPECT_EQ(res.get(0, 0), "1");
    EXPECT_EQ(pool.stats().size, 1U);
    EXPECT_EQ(pool.stats().connect_failures, 0U);
}

TEST(PgPoolTest, IdleHealthCheckReplacesAKilledConnection) {
    run_test(2, [](asio::any_io_executor ex) {
        return replaced_after_health_check(std::move(ex));
    });
}

asio::awaitable<void> replaced_after_failure(asio::any_io_executor ex) {
    auto opts = small_pool(1);
    opts.idle_check_after = 1h;  // no health check: the caller meets the dead connection
    pg_pool pool(ex, opts);
    int first_pid = 0;
    {
        pooled_connection conn = co_await pool.acquire();
        first_pid = conn->backend_pid();
    }
    co_await terminate_and_wait(ex, first_pid);
    {
        pooled_connection conn = co_await pool.acquire();
        EXPECT_EQ(conn->backend_pid(), first_pid);
        bool thrown = false;
        try {
            co_await conn->query("SELECT 1");
        } catch (const db_unavailable&) {
            thrown = true;
        }
        EXPECT_TRUE(thrown);
        EXPECT_TRUE(conn->broken());
    }  // discarded here
    EXPECT_EQ(pool.stats().size, 0U);
    pooled_connection conn = co_await pool.acquire();
    EXPECT_NE(conn->backend_pid(), first_pid);
    const pg_result res = co_await conn->query("SELECT 2");
    EXPECT_EQ(res.get(0, 0), "2");
}

TEST(PgPoolTest, BrokenConnectionIsDiscardedAndNextAcquireReconnects) {
    run_test(2, [](asio::any_io_executor ex) { return replaced_after_failure(std::move(ex)); });
}

asio::awaitable<void> open_transaction_discarded(asio::any_io_executor ex) {
    pg_pool pool(ex, small_pool(1));
    int pid = 0;
    {
        pooled_connection conn = co_await pool.acquire();
        pid = conn->backend_pid();
        co_await conn->query("BEGIN");
    }  // returned inside a transaction: closed, not reused
    EXPECT_EQ(pool.stats().size, 0U);
    pooled_connection conn = co_await pool.acquire();
    EXPECT_NE(conn->backend_pid(), pid);
    EXPECT_FALSE(conn->in_transaction());
}

TEST(PgPoolTest, ConnectionReturnedInsideATransactionIsDiscarded) {
    run_test(2, [](asio::any_io_executor ex) { return open_transaction_discarded(std::move(ex)); });
}

// --- unreachable server -----------------------------------------------------------------

asio::awaitable<void> unreachable(asio::any_io_executor ex) {
    pg_pool::options opts;
    opts.conninfo = "host=127.0.0.1 port=1 dbname=x user=u password=topsecret";
    opts.max_size = 4;
    opts.acquire_timeout = 800ms;
    opts.connect_timeout = 500ms;
    pg_pool pool(ex, opts);
    const auto start = clock_type::now();
    bool thrown = false;
    try {
        co_await pool.acquire();
    } catch (const db_unavailable& e) {
        thrown = true;
        const std::string what = e.what();
        EXPECT_NE(what.find("last connect error"), std::string::npos) << what;
        EXPECT_EQ(what.find("topsecret"), std::string::npos) << what;
    }
    const auto elapsed = clock_type::now() - start;
    EXPECT_TRUE(thrown);
    EXPECT_GE(elapsed, 750ms);
    EXPECT_LT(elapsed, 3s);
    const pool_stats s = pool.stats();
    EXPECT_GE(s.connect_failures, 2U);  // retried with backoff within the timeout
    EXPECT_LE(s.connect_failures, 8U);  // ... but not in a tight loop
    EXPECT_EQ(s.size, 0U);
    EXPECT_EQ(s.in_use, 0U);
    EXPECT_EQ(s.waiting, 0U);
    EXPECT_FALSE(co_await pool.ping());
}

TEST(PgPoolTest, UnreachableServerThrowsDbUnavailableWithinTheTimeout) {
    run_test(2, [](asio::any_io_executor ex) { return unreachable(std::move(ex)); });
}

asio::awaitable<void> unreachable_acquirer(pg_pool& pool, std::atomic<int>& failed) {
    try {
        co_await pool.acquire();
    } catch (const db_unavailable&) {
        ++failed;
    }
}

TEST(PgPoolTest, ManyWaitersOnAnUnreachableServerAllFailInTime) {
    test_loop loop;
    pg_pool::options opts;
    opts.conninfo = "host=127.0.0.1 port=1 dbname=x user=u";
    opts.max_size = 2;
    opts.acquire_timeout = 600ms;
    pg_pool pool(loop.executor(), opts);
    std::atomic<int> failed{0};
    const auto start = clock_type::now();
    for (int i = 0; i < 30; ++i) {
        loop.spawn(unreachable_acquirer(pool, failed));
    }
    loop.run(4);
    EXPECT_EQ(failed.load(), 30);
    EXPECT_LT(clock_type::now() - start, 3s);
    // One probe at a time while failing: far fewer attempts than acquirers.
    EXPECT_LE(pool.stats().connect_failures, 10U);
    EXPECT_EQ(pool.stats().waiting, 0U);
}

// --- ping and close ---------------------------------------------------------------------

asio::awaitable<void> ping_and_close(asio::any_io_executor ex) {
    auto opts = small_pool(2);
    opts.acquire_timeout = 10s;
    pg_pool pool(ex, opts);
    EXPECT_TRUE(co_await pool.ping());
    EXPECT_EQ(pool.stats().idle, 1U);

    pooled_connection held = co_await pool.acquire();
    pooled_connection second = co_await pool.acquire();
    EXPECT_EQ(pool.stats().size, 2U);
    second.reset();
    EXPECT_EQ(pool.stats().idle, 1U);

    pool.close();
    EXPECT_EQ(pool.stats().idle, 0U);
    EXPECT_EQ(pool.stats().size, 1U);  // the held one
    bool thrown = false;
    try {
        co_await pool.acquire();
    } catch (const db_unavailable& e) {
        thrown = true;
        EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos);
    }
    EXPECT_TRUE(thrown);
    EXPECT_FALSE(co_await pool.ping());
    // The held connection still works; returning it closes it.
    const pg_result res = co_await held->query("SELECT 1");
    EXPECT_EQ(res.get(0, 0), "1");
    held.reset();
    EXPECT_EQ(pool.stats().size, 0U);
    pool.close();  // idempotent
}

TEST(PgPoolTest, PingAndClose) {
    run_test(2, [](asio::any_io_executor ex) { return ping_and_close(std::move(ex)); });
}

asio::awaitable<void> closed_while_waiting(pg_pool& pool, std::atomic<bool>& thrown) {
    try {
        co_await pool.acquire();
    } catch (const db_unavailable&) {
        thrown = true;
    }
}

asio::awaitable<void> close_wakes_waiters(
    pg_pool& pool, test_loop& loop, std::atomic<bool>& thrown
) {
    pooled_connection held = co_await pool.acquire();
    loop.spawn(closed_while_waiting(pool, thrown));
    while (pool.stats().waiting == 0) {
        co_await yield_once();
    }
    pool.close();
}

TEST(PgPoolTest, CloseWakesQueuedAcquirers) {
    test_loop loop;
    auto opts = small_pool(1);
    opts.acquire_timeout = 20s;
    pg_pool pool(loop.executor(), opts);
    std::atomic<bool> thrown{false};
    const auto start = clock_type::now();
    loop.spawn(close_wakes_waiters(pool, loop, thrown));
    loop.run(2);
    EXPECT_TRUE(thrown.load());
    EXPECT_LT(clock_type::now() - start, 5s);
    EXPECT_EQ(pool.stats().size, 0U);
}

}  // namespace
}  // namespace ptool::platform
