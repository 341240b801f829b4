#pragma once

// Test-only helpers for the asynchronous PostgreSQL suites (*_pgtest.cpp): database URLs from the
// environment, an io_context runner that spawns coroutines on their own strands (as the server
// does) and rethrows their exceptions into the test, a runner that hands a test body a pg_pool,
// and co_return-ing assertions for coroutine test bodies. Header-only, so no production
// library compiles it.
//
// Environment (required: an unset variable fails the test, it never skips):
//   TEST_DATABASE_URL        application role (ptool_app, no CREATE on schema public)
//   TEST_DATABASE_OWNER_URL  owner role (ptool_owner), for tests that need their own tables

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "platform/clock.hpp"
#include "platform/pg_pool.hpp"

// GoogleTest's ASSERT_* `return`, which a coroutine may not: these co_return instead. For test
// files that include <gtest/gtest.h>.
#define PTOOL_CO_ASSERT_TRUE(c)                \
    if (!(c)) {                                \
        ADD_FAILURE() << "expected true: " #c; \
        co_return;                             \
    }
#define PTOOL_CO_ASSERT_EQ(a, b) \
    if (!((a) == (b))) {         \
        EXPECT_EQ(a, b);         \
        co_return;               \
    }

namespace ptool::platform::testing {

inline std::string require_env(const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(
            std::string(name) + " is not set: the PostgreSQL tests need a test database"
        );
    }
    return value;
}

inline std::string app_url() { return require_env("TEST_DATABASE_URL"); }
inline std::string owner_url() { return require_env("TEST_DATABASE_OWNER_URL"); }

// Appends a libpq option to a key=value string or a postgresql:// URI.
inline std::string with_option(
    const std::string& conninfo, const std::string& key, const std::string& value
) {
    if (conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://")) {
        std::string encoded;
        for (const char c : value) {
            if (c == ' ') {
                encoded += "%20";
            } else if (c == '=') {
                encoded += "%3D";
            } else {
                encoded += c;
            }
        }
        const char sep = conninfo.find('?') == std::string::npos ? '?' : '&';
        return conninfo + sep + key + "=" + encoded;
    }
    return conninfo + " " + key + "='" + value + "'";
}

// Runs coroutines on a multi-threaded io_context; run() returns when all have finished and
// rethrows the first exception any of them threw. A watchdog stops a hung run and fails it.
class test_loop {
public:
    boost::asio::any_io_executor executor() { return ctx_.get_executor(); }

    void spawn(boost::asio::awaitable<void> work) {
        {
            std::lock_guard lock(mu_);
            ++pending_;
        }
        boost::asio::co_spawn(
            boost::asio::make_strand(ctx_),
            std::move(work),
            [this](std::exception_ptr e) {
                std::lock_guard lock(mu_);
                if (e && !first_error_) {
                    first_error_ = e;
                }
                if (--pending_ == 0) {
                    done_.notify_all();
                }
            }
        );
    }

    void run(int threads, std::chrono::seconds limit = std::chrono::seconds{60}) {
        bool hung = false;
        std::thread watchdog([this, limit, &hung] {
            std::unique_lock lock(mu_);
            if (!done_.wait_for(lock, limit, [this] { return pending_ == 0; })) {
                hung = true;
                ctx_.stop();
            }
        });
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i) {
            pool.emplace_back([this] { ctx_.run(); });
        }
        ctx_.run();
        for (auto& t : pool) {
            t.join();
        }
        {
            std::lock_guard lock(mu_);
            done_.notify_all();
        }
        watchdog.join();
        if (hung) {
            throw std::runtime_error("test coroutines did not finish in time");
        }
        if (first_error_) {
            std::rethrow_exception(first_error_);
        }
    }

private:
    boost::asio::io_context ctx_;
    std::mutex mu_;
    std::condition_variable done_;
    int pending_ = 0;
    std::exception_ptr first_error_;
};

// Runs one coroutine made by `make(executor)` on `threads` threads; see test_loop.
inline void run_test(
    int threads,
    const std::function<boost::asio::awaitable<void>(boost::asio::any_io_executor)>& make
) {
    test_loop loop;
    loop.spawn(make(loop.executor()));
    loop.run(threads);
}

// The system clock's now, to the microsecond (what timestamptz keeps).
inline time_point now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

// Runs `body(pool)` on a strand of an io_context with two threads (as the server runs a
// connection), `pool` holding up to `pool_size` connections to TEST_DATABASE_URL; closes the
// pool when the body ends and rethrows what it threw. Throws when TEST_DATABASE_URL is unset.
// The strand matters: a body that awaits `a && b` would otherwise complete the parallel
// group's operations on both threads at once (a data race ASan reports as use-after-free).
inline void run_with_pool(
    const std::function<boost::asio::awaitable<void>(pg_pool&)>& body, std::size_t pool_size = 4
) {
    boost::asio::io_context ioc;
    pg_pool pool(
        ioc.get_executor(), pg_pool::options{.conninfo = app_url(), .max_size = pool_size}
    );
    std::exception_ptr failure;
    boost::asio::co_spawn(boost::asio::make_strand(ioc), body(pool), [&](std::exception_ptr e) {
        failure = std::move(e);
        pool.close();
    });
    std::thread second([&ioc] { ioc.run(); });
    ioc.run();
    second.join();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

// Lets other handlers run; used to wait for a state change without sleeping for time.
inline boost::asio::awaitable<void> yield_once() {
    co_await boost::asio::post(
        co_await boost::asio::this_coro::executor, boost::asio::use_awaitable
    );
}

}  // namespace ptool::platform::testing
