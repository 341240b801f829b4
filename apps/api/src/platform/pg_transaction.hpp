#pragma once

// Transactions over a pg_pool connection, with the tenant set for row-level security (SPEC §8)
// and the whole transaction retried on serialization failures and deadlocks (SPEC §3.1).
//
//   auto fn = [&draft](pg_connection& c) { return insert_booking(c, draft); };  // named coroutine
//   booking b = co_await with_tenant_transaction(pool, tenant_id, fn);
//
// `fn(pg_connection&)` must return boost::asio::awaitable<T> (T may be void) and may be called
// several times (once per attempt), so it must not consume its captures. Per STYLE.md it must
// not itself be a capturing lambda coroutine: have it call a named coroutine.
//
// GCC 12 bug: a closure (or any aggregate) temporary whose captures have destructors, created
// inside a co_await expression, is destroyed twice (ASan: double-free). Name the lambda first:
//   auto fn = [id](pg_connection& c) { return read_in(c, id); };
//   co_return co_await with_tenant_transaction(pool, id, fn);
// Lambdas capturing only references or scalars are unaffected.
//
// Behaviour: acquire a connection; first round trip BEGIN + set_config('app.tenant_id', tenant,
// true) (pipelined); co_await fn(conn); COMMIT. On any exception: ROLLBACK (best effort; a
// connection that cannot roll back is dropped by the pool) and rethrow. On db_error 40001/40P01
// (from fn or COMMIT) the connection is returned, a short jittered pause follows, and the whole
// transaction runs again, at most `max_attempts` times in total; then the db_error is rethrown.
// The tenant setting is transaction-local: after COMMIT/ROLLBACK the session has none.
//
// Throws: db_unavailable (no connection / connection lost), db_error (not retryable, or
// attempts exhausted), whatever fn throws. Any thread/strand; the pool must outlive the call.

#include <boost/asio/awaitable.hpp>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "platform/pg_connection.hpp"
#include "platform/pg_error.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::platform {

namespace detail {

// BEGIN, plus set_config('app.tenant_id', …, true) in the same round trip when a tenant is given.
boost::asio::awaitable<void> begin_transaction(
    pg_connection& conn, std::optional<std::string> tenant_id
);
boost::asio::awaitable<void> commit_transaction(pg_connection& conn);
// ROLLBACK if the connection is usable and inside a transaction; never throws.
boost::asio::awaitable<void> rollback_quietly(pg_connection& conn);
// Sleeps jittered_backoff(attempt, 10 ms, 200 ms) and logs the retry.
boost::asio::awaitable<void> pause_before_retry(int attempt, std::string sqlstate);

template <class F>
using transaction_value_t = typename std::invoke_result_t<F&, pg_connection&>::value_type;

template <class F>
boost::asio::awaitable<transaction_value_t<F>> run_transaction(
    pg_pool& pool, std::optional<std::string> tenant_id, F fn, int max_attempts
) {
    using value_type = transaction_value_t<F>;
    for (int attempt = 1;; ++attempt) {
        std::exception_ptr failure;
        std::string retry_sqlstate;
        {
            pooled_connection conn = co_await pool.acquire();
            try {
                co_await begin_transaction(*conn, tenant_id);
                if constexpr (std::is_void_v<value_type>) {
                    co_await fn(*conn);
                    co_await commit_transaction(*conn);
                    co_return;
                } else {
                    value_type value = co_await fn(*conn);
                    co_await commit_transaction(*conn);
                    co_return std::move(value);
                }
            } catch (const db_error& e) {
                failure = std::current_exception();
                if (is_retryable(e.kind()) && attempt < max_attempts) {
                    retry_sqlstate = e.sqlstate;
                }
            } catch (...) {
                failure = std::current_exception();
            }
            // Not inside the handler: a coroutine cannot co_await there.
            co_await rollback_quietly(*conn);
        }  // the connection goes back before we sleep
        if (retry_sqlstate.empty()) {
            std::rethrow_exception(failure);
        }
        co_await pause_before_retry(attempt, std::move(retry_sqlstate));
    }
}

}  // namespace detail

// Runs fn in a transaction with app.tenant_id set; see the file comment.
template <class F>
boost::asio::awaitable<detail::transaction_value_t<F>> with_tenant_transaction(
    pg_pool& pool, std::string tenant_id, F fn, int max_attempts = 5
) {
    return detail::run_transaction(
        pool, std::optional<std::string>(std::move(tenant_id)), std::move(fn), max_attempts
    );
}

// The same without a tenant, for global reads and writes (schema_migrations, health).
template <class F>
boost::asio::awaitable<detail::transaction_value_t<F>> with_transaction(
    pg_pool& pool, F fn, int max_attempts = 5
) {
    return detail::run_transaction(pool, std::nullopt, std::move(fn), max_attempts);
}

}  // namespace ptool::platform
