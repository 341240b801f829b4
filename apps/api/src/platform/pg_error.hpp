#pragma once

// Errors raised by the asynchronous PostgreSQL client (pg_connection, pg_pool, transactions).
//
// Two kinds, mapped differently by callers:
//   db_unavailable  the database cannot be reached, the connection broke, an await ran past its
//                   deadline, or the pool had no connection within acquire_timeout. The HTTP layer
//                   answers 503 + Retry-After. The connection involved is marked broken.
//   db_error        the server executed the statement and reported an error (SQLSTATE). The
//                   connection stays usable. Use kind() / classify() to pick a domain outcome.
//
// Pure code: no I/O, safe from any thread.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ptool::platform {

// SQLSTATEs the application distinguishes; everything else is `other`.
enum class sql_class {
    exclusion_violation,     // 23P01
    unique_violation,        // 23505
    foreign_key_violation,   // 23503
    check_violation,         // 23514
    not_null_violation,      // 23502
    serialization_failure,   // 40001
    deadlock,                // 40P01
    insufficient_privilege,  // 42501
    query_canceled,          // 57014 (statement_timeout, pg_cancel_backend)
    other,
};

// Maps a five-character SQLSTATE to its class; unknown or malformed codes give `other`.
sql_class classify(std::string_view sqlstate);

// True for 40001 and 40P01: rerunning the whole transaction may succeed.
bool is_retryable(sql_class kind);

// Stable lower-case name of the class, for logs and metrics ("exclusion_violation").
std::string_view to_string(sql_class kind);

// True when an error the server reported means this session is gone or unusable: SQLSTATE class
// 08 (connection exception) and 57P01..57P03 (shutdown, crash, cannot connect now).
bool is_connection_sqlstate(std::string_view sqlstate);

// Thrown when the database cannot be reached or the connection broke (the server maps it to 503).
// what() never contains a password; it may contain host, port and database names.
struct db_unavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown for an error the server reported. what() is "<message> (SQLSTATE <code>)"; `detail` may
// contain row values and must not be shown to clients.
struct db_error : std::runtime_error {
    db_error(
        std::string code, std::string primary, std::string detail_text, std::string constraint_name
    );

    std::string sqlstate;    // PG_DIAG_SQLSTATE, e.g. "23P01"
    std::string constraint;  // PG_DIAG_CONSTRAINT_NAME, "" when none
    std::string detail;      // PG_DIAG_MESSAGE_DETAIL, "" when none
    std::string message;     // PG_DIAG_MESSAGE_PRIMARY
    // Position of the failing statement inside a pipeline() call; -1 for query().
    int statement_index = -1;

    sql_class kind() const { return classify(sqlstate); }
};

// Exponential backoff with "equal jitter": the delay for the n-th consecutive failure
// (attempt >= 1) is d/2 + jitter * d/2 where d = min(cap, base * 2^(attempt-1)), and
// jitter is in [0, 1). Pure so it can be tested; attempt < 1 is treated as 1.
std::chrono::milliseconds backoff_delay(
    int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap, double jitter
);

// backoff_delay() with jitter drawn from a thread-local PRNG. Thread-safe.
std::chrono::milliseconds jittered_backoff(
    int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap
);

}  // namespace ptool::platform
