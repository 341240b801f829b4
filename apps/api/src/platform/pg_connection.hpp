#pragma once

// pg_connection: one libpq connection driven by Asio coroutines through libpq's non-blocking API
// (PQconnectStartParams/PQconnectPoll, PQsendQueryParams, pipeline mode, PQconsumeInput/PQisBusy/
// PQflush). No call blocks the event loop thread (libpq still reads ~/.pgpass and service files
// synchronously; host names are resolved with Asio's resolver before connecting).
//
// Threading: NOT thread-safe. One coroutine at a time may use a connection (the pool hands it to
// exactly one holder). The coroutine may run on any executor, a strand or not; completions resume
// it on its own executor.
//
// Deadlines: every await is bounded. connect() by its timeout; query(), pipeline() by
// operation_timeout() (default 30 s) measured from the call. Server-side limits such as
// statement_timeout belong in the conninfo (options='-c statement_timeout=5000') and surface as
// db_error 57014. Running past the client deadline throws db_unavailable and marks the
// connection broken (the statement may still be running on the server until it notices).
//
// Cancellation: terminal cancellation of the awaiting coroutine (e.g. `op || timer`) aborts the
// wait and throws boost::system::system_error(operation_aborted); if a statement was in flight
// the connection is marked broken.
//
// Errors: db_error for errors the server reported (the connection stays usable);
// db_unavailable when the connection cannot be made or broke (broken() is then true).
//
// Prepared statements: every statement is prepared once per connection (protocol-level, named
// "ptool_s1", "ptool_s2"…, parameter types left to the server) and then executed by name, so the
// server parses and plans it only once per session. The cache is keyed by SQL text, holds at most
// max_prepared_statements entries (newer SQL then runs unnamed, as before), gains a statement only
// once its prepare succeeded, and lives as long as the connection (named statements survive
// COMMIT and ROLLBACK). Preparing costs no extra round trip: the prepare travels in front of the
// statement's first execution (query() sends a not-yet-prepared statement as a pipeline).
// Nothing may send DISCARD ALL / DEALLOCATE on a connection; if a cached statement has vanished
// anyway, the call throws db_error 26000 once and the cache is emptied.

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "platform/pg_error.hpp"
#include "platform/pg_result.hpp"

typedef struct pg_conn PGconn;  // NOLINT(modernize-use-using): libpq's C typedef

namespace ptool::platform {

using pg_params = std::vector<std::optional<std::string>>;  // text-format params, nullopt = NULL

struct pg_statement {
    std::string sql;
    pg_params params;
};

// An asynchronous notification received on a LISTENing connection.
struct pg_notification {
    std::string channel;
    std::string payload;
    int backend_pid = 0;  // the notifying session
};

// "host=… port=… dbname=… user=…" for logs: never the password or other options. Accepts
// key=value strings and postgresql:// URIs; "(unparsable conninfo)" when libpq rejects it.
std::string describe_conninfo(std::string_view conninfo);

class pg_connection {
public:
    using clock = std::chrono::steady_clock;

    // Cap of the per-connection prepared-statement cache (see the file comment).
    static constexpr std::size_t max_prepared_statements = 256;

    // Opens a connection without blocking. `timeout` bounds name resolution plus connection
    // setup (TCP, TLS, authentication). client_encoding defaults to UTF8.
    // Throws db_unavailable on failure or timeout (message names host/port/db, never the
    // password).
    static boost::asio::awaitable<std::unique_ptr<pg_connection>> connect(
        boost::asio::any_io_executor ex, std::string conninfo, std::chrono::milliseconds timeout
    );

    pg_connection(const pg_connection&) = delete;
    pg_connection& operator=(const pg_connection&) = delete;
    ~pg_connection();  // PQfinish; closes the socket

    // One statement with text params, results in text format; prepared on first use (see the
    // file comment), then executed by name (PQsendQueryPrepared). The SQL must be a single
    // statement. Throws db_error (connection still usable), db_unavailable.
    // GCC 12 rejects a braced list inside a co_await expression ("array used as initializer"):
    // build the pg_params in a variable first, then co_await query(sql, std::move(params)).
    boost::asio::awaitable<pg_result> query(std::string_view sql, pg_params params = {});

    // Several statements in ONE round trip using pipeline mode (one Sync at the end). Returns one
    // result per statement. If statement k fails, throws db_error for k (statement_index = k; the
    // server skips the later ones) after draining the pipeline and leaving pipeline mode, so the
    // connection stays usable. Without an explicit BEGIN the statements form one implicit
    // transaction up to the Sync: if one fails, none of them takes effect. After an explicit
    // BEGIN a failure leaves the transaction aborted (in_transaction(), ROLLBACK needed).
    // An empty vector returns an empty vector without I/O. Throws db_unavailable as query().
    boost::asio::awaitable<std::vector<pg_result>> pipeline(std::vector<pg_statement> stmts);

    // Waits up to `timeout` for a NOTIFY on a channel this connection LISTENs to (run
    // query("LISTEN name") first). Returns nullopt on timeout (the connection stays usable).
    // Notifications that arrived during earlier queries are returned first. Meant for a dedicated
    // connection, not a pooled one. Throws db_unavailable if the connection breaks.
    boost::asio::awaitable<std::optional<pg_notification>> wait_notification(
        std::chrono::milliseconds timeout
    );

    // Statements to send in front of the next query()/pipeline(), in the same round trip; their
    // results are dropped, and an error in one is thrown by that call (statement_index < 0).
    // with_tenant_transaction defers BEGIN + set_config this way, so opening a transaction
    // costs no round trip of its own. Replaces anything deferred before.
    void defer(std::vector<pg_statement> prelude) { deferred_ = std::move(prelude); }
    bool has_deferred() const { return !deferred_.empty(); }
    void clear_deferred() { deferred_.clear(); }

    bool broken() const;          // connection lost / unusable
    bool in_transaction() const;  // PQtransactionStatus != IDLE (also true when broken)

    // Client-side bound for each query()/pipeline() await (default 30 s).
    void set_operation_timeout(std::chrono::milliseconds timeout) { operation_timeout_ = timeout; }
    std::chrono::milliseconds operation_timeout() const { return operation_timeout_; }

    int backend_pid() const;        // server process id, e.g. for pg_terminate_backend in tests
    bool in_pipeline_mode() const;  // false except during pipeline()
    const std::string& description() const { return description_; }  // describe_conninfo()

private:
    enum class io_outcome { ready, timed_out };
    enum class io_want { read, write, read_write };

    explicit pg_connection(boost::asio::any_io_executor ex);

    boost::asio::awaitable<void> start(std::string conninfo, clock::time_point deadline);
    void adopt_socket();
    boost::asio::awaitable<io_outcome> wait_io(io_want want, clock::time_point until);
    boost::asio::awaitable<io_outcome> wait_readable(clock::time_point until);
    boost::asio::awaitable<io_outcome> wait_writable(bool or_readable, clock::time_point until);
    boost::asio::awaitable<void> wait_for_operation(io_want want);
    boost::asio::awaitable<void> flush_output();
    boost::asio::awaitable<::PGresult*> next_result();
    void begin_operation();
    const std::string* prepared_name(std::string_view sql) const;
    void send_unnamed(std::string_view sql, const pg_params& params);
    void send_prepare(const std::string& name, const pg_statement& stmt);
    void send_prepared(const std::string& name, const pg_params& params);
    [[noreturn]] void fail(std::string_view context);

    // Heterogeneous lookup, so query(std::string_view) finds its SQL without a copy.
    struct sql_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view sql) const noexcept {
            return std::hash<std::string_view>{}(sql);
        }
    };

    boost::asio::any_io_executor ex_;
    ::PGconn* conn_ = nullptr;
    // A dup() of libpq's socket, used only to wait for readiness; libpq does all reads/writes.
    boost::asio::generic::stream_protocol::socket socket_;
    int libpq_fd_ = -1;     // the descriptor libpq reported when socket_ was adopted
    ino_t socket_ino_ = 0;  // its inode, to notice libpq replacing a socket during connect
    boost::asio::steady_timer timer_;
    char peek_byte_ = 0;
    bool broken_ = false;
    clock::time_point deadline_{};
    std::chrono::milliseconds operation_timeout_{30000};
    std::string description_;
    std::vector<pg_statement> deferred_;
    // SQL text → name of the statement prepared for it on this session.
    std::unordered_map<std::string, std::string, sql_hash, std::equal_to<>> prepared_;
    std::size_t statements_named_ = 0;  // names are never reused, even after a failed prepare
};

}  // namespace ptool::platform
