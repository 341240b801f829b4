// Non-template pieces of with_tenant_transaction / with_transaction: the statements that open,
// commit and roll back a transaction, and the pause between retries.

#include "platform/pg_transaction.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ptool::platform::detail {

namespace asio = boost::asio;

// Deferred, not sent: BEGIN and set_config travel with the transaction's first statement.
asio::awaitable<void> begin_transaction(pg_connection& conn, std::optional<std::string> tenant_id) {
    std::vector<pg_statement> stmts;
    stmts.push_back({"BEGIN", {}});
    if (tenant_id) {
        stmts.push_back({"SELECT set_config('app.tenant_id', $1, true)", {std::move(*tenant_id)}});
    }
    conn.defer(std::move(stmts));
    co_return;
}

asio::awaitable<void> commit_transaction(pg_connection& conn) {
    if (conn.has_deferred()) {
        conn.clear_deferred();  // fn ran no statement: there is no transaction to commit
        co_return;
    }
    if (!conn.in_transaction()) {
        co_return;  // fn committed in its last round trip (COMMIT at the end of a pipeline)
    }
    co_await conn.query("COMMIT");
}

asio::awaitable<void> rollback_quietly(pg_connection& conn) {
    conn.clear_deferred();
    if (conn.broken() || !conn.in_transaction()) {
        co_return;
    }
    try {
        co_await conn.query("ROLLBACK");
    } catch (const std::exception& e) {
        // The pool drops a connection still inside a transaction, so nothing leaks.
        spdlog::debug("ROLLBACK failed: {}", e.what());
    }
}

asio::awaitable<void> pause_before_retry(int attempt, std::string sqlstate) {
    const auto delay =
        jittered_backoff(attempt, std::chrono::milliseconds{10}, std::chrono::milliseconds{200});
    spdlog::info(
        "transaction attempt {} failed with SQLSTATE {}, retrying in {} ms",
        attempt,
        sqlstate,
        delay.count()
    );
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace ptool::platform::detail
