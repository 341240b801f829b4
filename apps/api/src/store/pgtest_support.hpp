#pragma once
// Helpers for the PostgreSQL test suites (*_pgtest.cpp): blocking libpq connections with
// exceptions, tenant set-up, scratch databases. Test code only; no GoogleTest dependency here
// (failures throw, which GoogleTest reports as a failed test).
//
// Environment:
//   TEST_DATABASE_URL        the application role (ptool_app) on a migrated test database;
//                            required: its absence is an error, never a skip.
//   TEST_DATABASE_OWNER_URL  the owner role (ptool_owner, CREATEDB) on the same database; needed
//                            by suites that act as the owner. When set, the first connection
//                            also brings the test database up to date with the embedded
//                            migrations.
// Not thread-safe per object: one pg_connection per thread.

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ptool::store::pgtest {

// A failed statement: what() is "<message> (SQLSTATE xxxxx)".
class pg_error : public std::runtime_error {
public:
    pg_error(const std::string& what, std::string sqlstate, std::string primary);
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    const std::string& primary() const noexcept { return primary_; }

private:
    std::string sqlstate_;
    std::string primary_;
};

// Owns one PGresult.
class pg_result {
public:
    explicit pg_result(PGresult* res) noexcept : res_(res) {}

    int rows() const noexcept;
    int columns() const noexcept;
    bool is_null(int row, int column) const;
    // The text value; throws std::out_of_range outside the result, std::runtime_error on NULL.
    std::string value(int row, int column) const;
    std::optional<std::string> get(int row, int column) const;
    // Rows affected by INSERT/UPDATE/DELETE (0 for other commands).
    long affected() const;
    PGresult* raw() const noexcept { return res_.get(); }

private:
    struct deleter {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };
    std::unique_ptr<PGresult, deleter> res_;
};

// A statement parameter in text form; std::nullopt is SQL NULL.
using pg_param = std::optional<std::string>;

struct pg_notification {
    std::string channel;
    std::string payload;
};

// One blocking libpq connection. Throws std::runtime_error if it cannot connect.
class pg_connection {
public:
    explicit pg_connection(const std::string& conninfo);

    // Runs one statement (or, without params, several separated by ';'); throws pg_error.
    pg_result exec(std::string_view sql, const std::vector<pg_param>& params = {});
    // First column of the first row; throws if there is no row; nullopt for NULL.
    std::optional<std::string> scalar(
        std::string_view sql, const std::vector<pg_param>& params = {}
    );
    // Like scalar(), but a NULL or a missing row throws.
    std::string value(std::string_view sql, const std::vector<pg_param>& params = {});
    // Runs the statement and returns the SQLSTATE it failed with, or "" if it succeeded.
    std::string error_of(std::string_view sql, const std::vector<pg_param>& params = {});
    // Full text of the last error_of() failure ("" after a success).
    const std::string& last_error() const noexcept { return last_error_; }

    // Races: send() starts a statement without waiting (it may block in the server, e.g. on a
    // conflicting uncommitted row); finish_sent() waits for it and returns "" on success or the
    // SQLSTATE it failed with. One statement in flight at a time; nothing else in between.
    void send(std::string_view sql, const std::vector<pg_param>& params = {});
    std::string finish_sent();
    // The server process id of this session (pg_stat_activity.pid).
    int backend_pid() const noexcept;
    // Whether the session `pid` is currently waiting for a lock (seen from this session).
    bool is_waiting_for_lock(int pid);

    // Session-level app.tenant_id (what row-level security reads); "" clears it.
    void set_tenant(const std::string& tenant_id);

    // LISTEN helpers: waits up to `timeout` for one notification.
    void listen(std::string_view channel);
    std::optional<pg_notification> wait_notification(std::chrono::milliseconds timeout);

    PGconn* raw() const noexcept { return conn_.get(); }

private:
    struct deleter {
        void operator()(PGconn* c) const noexcept { PQfinish(c); }
    };
    std::unique_ptr<PGconn, deleter> conn_;
    std::string last_error_;
};

// The environment variable's value; throws naming it when unset or empty.
std::string require_env(const char* name);

// TEST_DATABASE_URL (required) and TEST_DATABASE_OWNER_URL (required by owner_url()).
std::string app_url();
std::string owner_url();

// Connections for the suites. The first call checks, once per process, that the test database
// is migrated to the embedded migrations (migrating it first when the owner URL is set) and
// throws with the reason if not.
pg_connection connect_app();
pg_connection connect_owner();

// A random version-4 UUID in canonical text form.
std::string random_uuid();
// `n` random lower-case hex digits.
std::string random_hex(std::size_t n);

// Creates a tenant with a fresh id as `app` (the application role), leaving the session's
// app.tenant_id set to it; returns the id.
std::string create_tenant(pg_connection& app, const std::string& name = "test tenant");
// Inserts an artist (fresh id unless given) into the session's current tenant; returns its id.
std::string create_artist(
    pg_connection& conn,
    const std::string& tenant_id,
    const std::string& name = "test artist",
    std::optional<std::string> id = std::nullopt
);
// Inserts a project into the session's current tenant; returns its id.
std::string create_project(
    pg_connection& conn, const std::string& tenant_id, const std::string& name = "test project"
);

// The conninfo `conninfo` (keyword/value or URL) with its database replaced by `dbname`.
std::string with_dbname(const std::string& conninfo, const std::string& dbname);

// A throwaway database (CREATE DATABASE ptool_mig_<random>) owned by the owner role, dropped
// WITH (FORCE) on destruction (errors there are swallowed: a leaked scratch database must not
// hide the test's own failure).
class scratch_database {
public:
    explicit scratch_database(std::string owner_conninfo, std::string_view prefix = "ptool_mig_");
    ~scratch_database();
    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;
    scratch_database(scratch_database&&) = delete;
    scratch_database& operator=(scratch_database&&) = delete;

    const std::string& name() const noexcept { return name_; }
    // Conninfo of the owner role on the scratch database.
    const std::string& conninfo() const noexcept { return conninfo_; }

private:
    std::string admin_conninfo_;
    std::string name_;
    std::string conninfo_;
};

}  // namespace ptool::store::pgtest
