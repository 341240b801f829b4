#pragma once

// pg_pool: a bounded pool of pg_connection shared by every thread of the io_context.
//
// acquire() hands out a pooled_connection (RAII): the holder's coroutine uses it alone and its
// destructor returns it. Waiters are served first come, first served; a returned connection (or a
// freed slot) is handed to exactly one waiter. Connections are opened lazily up to max_size.
// After a failed connect, new connects are spaced by exponential backoff with jitter (capped) and
// only one probe runs at a time until one succeeds. Connections idle longer than
// idle_check_after run `SELECT 1` before being handed out; dead ones are dropped.
//
// Threading: acquire(), ping(), stats(), close() and the pooled_connection destructor may be
// called from any thread/strand concurrently. The pool must outlive every pooled_connection and
// every acquire() in progress, and be destroyed before its io_context.
//
// Errors: acquire() throws db_unavailable when no connection could be had within
// acquire_timeout (the message says whether connects fail or all connections are busy) or after
// close(); boost::system::system_error(operation_aborted) when the awaiting coroutine is
// cancelled. Connect failures are logged (host/port/db only, never the password).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "platform/pg_connection.hpp"

namespace ptool::platform {

struct pool_stats {
    std::size_t max_size = 0;
    std::size_t size = 0;                // open + being opened
    std::size_t idle = 0;                // open, not handed out
    std::size_t in_use = 0;              // handed out + being opened (size == idle + in_use)
    std::size_t waiting = 0;             // acquire() calls queued for a connection
    std::uint64_t connect_failures = 0;  // since construction
};

class pg_pool;

// Holds one connection of a pool. Move-only. On destruction (or reset()) the connection goes
// back to the pool, or is closed if it is broken or still inside a transaction (a transaction
// left open is logged: it means a caller forgot COMMIT/ROLLBACK).
class pooled_connection {
public:
    pooled_connection() = default;
    pooled_connection(pooled_connection&& other) noexcept = default;
    pooled_connection& operator=(pooled_connection&& other) noexcept;
    pooled_connection(const pooled_connection&) = delete;
    pooled_connection& operator=(const pooled_connection&) = delete;
    ~pooled_connection() { reset(); }

    pg_connection& operator*() const noexcept { return *conn_; }
    pg_connection* operator->() const noexcept { return conn_.get(); }
    explicit operator bool() const noexcept { return conn_ != nullptr; }

    void reset() noexcept;  // returns the connection now

private:
    friend class pg_pool;
    pooled_connection(pg_pool& pool, std::unique_ptr<pg_connection> conn) noexcept
        : pool_(&pool), conn_(std::move(conn)) {}

    pg_pool* pool_ = nullptr;
    std::unique_ptr<pg_connection> conn_;
};

class pg_pool {
public:
    struct options {
        std::string conninfo;  // libpq key=value or postgresql:// URI
        std::size_t max_size = 16;
        std::chrono::milliseconds connect_timeout{5000};
        std::chrono::milliseconds acquire_timeout{5000};
        std::chrono::milliseconds idle_check_after{30000};
        // Client-side bound on each query()/pipeline() await of the pool's connections.
        std::chrono::milliseconds operation_timeout{30000};
        // Delay before reconnecting after the n-th consecutive connect failure:
        // min(cap, base * 2^(n-1)), half of it jittered.
        std::chrono::milliseconds reconnect_backoff_base{100};
        std::chrono::milliseconds reconnect_backoff_cap{5000};
        // Statements run once on every new connection before first use (e.g. SET ...); a
        // failure counts as a failed connect.
        std::vector<std::string> session_setup{};
    };

    // Opens nothing yet. Throws std::invalid_argument if max_size is 0.
    pg_pool(boost::asio::any_io_executor ex, options opts);
    pg_pool(const pg_pool&) = delete;
    pg_pool& operator=(const pg_pool&) = delete;
    ~pg_pool();  // close(); every pooled_connection must have been returned

    // Waits for a free connection, connecting lazily; throws db_unavailable when none could be
    // had within acquire_timeout or the pool is closed.
    boost::asio::awaitable<pooled_connection> acquire();

    // True if a connection can run SELECT 1 right now (bounded by acquire_timeout and
    // operation_timeout). Never throws db_* errors.
    boost::asio::awaitable<bool> ping();

    pool_stats stats() const;  // thread-safe snapshot for /metrics

    // Graceful: closes idle connections, makes queued and future acquire() throw
    // db_unavailable; connections in use are closed when returned. Idempotent.
    void close();

    const std::string& description() const { return description_; }  // host/port/db, no password

private:
    using clock = std::chrono::steady_clock;
    struct waiter;
    struct effects;
    struct idle_entry {
        std::unique_ptr<pg_connection> conn;
        clock::time_point since;
    };
    // Either an idle connection or the right to open one (`slot`, counted in size_/in_use_).
    struct grant {
        std::unique_ptr<pg_connection> conn;
        clock::time_point idle_since{};
        bool slot = false;
        bool probe = false;  // the one connect allowed while failures_ > 0
        explicit operator bool() const { return conn != nullptr || slot; }
    };

    friend class pooled_connection;
    void release(std::unique_ptr<pg_connection> conn) noexcept;

    grant take_locked(clock::time_point now);
    bool can_connect_locked(clock::time_point now) const;
    void dispatch_locked(clock::time_point now, effects& fx);
    void return_grant_locked(grant g, effects& fx);
    void abandon_locked(waiter& w, effects& fx);
    std::string timeout_message_locked() const;

    struct acquire_guard;
    struct connect_outcome {
        std::unique_ptr<pg_connection> conn;
        std::string error;  // when conn is null
    };

    void drop_locked(std::unique_ptr<pg_connection> conn, effects& fx);
    void discard(std::unique_ptr<pg_connection> conn);
    clock::time_point take_or_queue(acquire_guard& state, clock::time_point deadline);
    bool settle_connect(acquire_guard& state, connect_outcome& outcome);
    static boost::asio::awaitable<void> wait_for_grant(
        std::shared_ptr<waiter> w, clock::time_point until
    );
    boost::asio::awaitable<connect_outcome> connect_once(clock::time_point deadline);
    boost::asio::awaitable<bool> is_alive(pg_connection& conn, clock::time_point deadline);

    boost::asio::any_io_executor ex_;
    const options opts_;
    const std::string description_;

    mutable std::mutex mu_;
    // Everything below is guarded by mu_.
    std::vector<idle_entry> idle_;  // most recently returned at the back
    std::deque<std::shared_ptr<waiter>> waiters_;
    std::size_t size_ = 0;
    std::size_t in_use_ = 0;
    bool closed_ = false;
    int failures_ = 0;  // consecutive connect failures
    bool probing_ = false;
    clock::time_point retry_at_{};
    std::uint64_t connect_failures_ = 0;
    std::string last_error_;
};

}  // namespace ptool::platform
