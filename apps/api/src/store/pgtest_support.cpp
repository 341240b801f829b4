// Test-only helpers over blocking libpq for the *_pgtest suites: exceptions carrying SQLSTATE,
// tenant fixtures, scratch databases and a once-per-process "test database is migrated" check.

#include "store/pgtest_support.hpp"

#include <poll.h>

#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>
#include <utility>

#include "store/embedded_migrations.hpp"
#include "store/migrator.hpp"

namespace ptool::store::pgtest {
namespace {

std::string trim_newlines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

[[noreturn]] void throw_result_error(const PGresult* res, PGconn* conn) {
    if (res == nullptr) {
        throw pg_error(trim_newlines(PQerrorMessage(conn)), "", "");
    }
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    std::string sqlstate = state == nullptr ? "" : state;
    std::string message = primary == nullptr ? trim_newlines(PQresultErrorMessage(res)) : primary;
    throw pg_error(message + " (SQLSTATE " + sqlstate + ")", sqlstate, message);
}

std::mt19937_64& rng() {
    thread_local std::mt19937_64 engine{[] {
        std::random_device device;
        std::seed_seq seq{device(), device(), device(), device()};
        return std::mt19937_64{seq};
    }()};
    return engine;
}

// Quotes a libpq keyword/value conninfo value.
std::string quote_conninfo_value(const std::string& value) {
    std::string out = "'";
    for (const char ch : value) {
        if (ch == '\'' || ch == '\\') {
            out.push_back('\\');
        }
        out.push_back(ch);
    }
    out.push_back('\'');
    return out;
}

// Once per process: the test database is migrated to this build's migrations.
void ensure_test_database_ready() {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        try {
            const std::string app = app_url();
            // Test set-up reads the environment before any thread of its own starts.
            // NOLINTNEXTLINE(concurrency-mt-unsafe)
            if (const char* owner = std::getenv("TEST_DATABASE_OWNER_URL");
                owner != nullptr && *owner != '\0') {
                std::ostringstream log;
                migrate(owner, embedded_migrations(), log);
            }
            pg_connection conn{app};
            const pg_result res = conn.exec(migration_status_sql);
            std::vector<std::pair<std::string, std::string>> applied;
            applied.reserve(static_cast<std::size_t>(res.rows()));
            for (int row = 0; row < res.rows(); ++row) {
                applied.emplace_back(res.value(row, 0), res.value(row, 1));
            }
            if (!migrations_current(applied, embedded_migrations())) {
                failure =
                    "the test database (TEST_DATABASE_URL) is not migrated to this build's "
                    "migrations; run `ptool migrate` or set TEST_DATABASE_OWNER_URL";
            }
        } catch (const std::exception& e) {
            failure = std::string{"test database not ready: "} + e.what();
        }
    });
    if (!failure.empty()) {
        throw std::runtime_error(failure);
    }
}

}  // namespace

pg_error::pg_error(const std::string& what, std::string sqlstate, std::string primary)
    : std::runtime_error(what), sqlstate_(std::move(sqlstate)), primary_(std::move(primary)) {}

int pg_result::rows() const noexcept { return PQntuples(res_.get()); }

int pg_result::columns() const noexcept { return PQnfields(res_.get()); }

bool pg_result::is_null(int row, int column) const {
    if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
        throw std::out_of_range("pg_result: no such row/column");
    }
    return PQgetisnull(res_.get(), row, column) != 0;
}

std::string pg_result::value(int row, int column) const {
    if (is_null(row, column)) {
        throw std::runtime_error("pg_result: unexpected NULL");
    }
    return PQgetvalue(res_.get(), row, column);
}

std::optional<std::string> pg_result::get(int row, int column) const {
    if (is_null(row, column)) {
        return std::nullopt;
    }
    return std::string{PQgetvalue(res_.get(), row, column)};
}

long pg_result::affected() const {
    const char* tuples = PQcmdTuples(res_.get());
    return (tuples == nullptr || *tuples == '\0') ? 0 : std::stol(tuples);
}

pg_connection::pg_connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
        throw std::runtime_error(
            "cannot connect to the test database: " +
            (conn_ ? trim_newlines(PQerrorMessage(conn_.get())) : std::string{"out of memory"})
        );
    }
    // Quiet: tests look at errors, not notices.
    pg_result{PQexec(conn_.get(), "SET client_min_messages = warning")};
}

pg_result pg_connection::exec(std::string_view sql, const std::vector<pg_param>& params) {
    const std::string text{sql};
    PGresult* raw_result = nullptr;
    if (params.empty()) {
        raw_result = PQexec(conn_.get(), text.c_str());
    } else {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) {
            values.push_back(p ? p->c_str() : nullptr);
        }
        raw_result = PQexecParams(
            conn_.get(),
            text.c_str(),
            static_cast<int>(values.size()),
            nullptr,
            values.data(),
            nullptr,
            nullptr,
            0
        );
    }
    pg_result res{raw_result};
    const auto status = raw_result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw_result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw_result_error(raw_result, conn_.get());
    }
    return res;
}

std::optional<std::string> pg_connection::scalar(
    std::string_view sql, const std::vector<pg_param>& params
) {
    const pg_result res = exec(sql, params);
    if (res.rows() < 1 || res.columns() < 1) {
        throw std::runtime_error("scalar: no row from: " + std::string{sql});
    }
    return res.get(0, 0);
}

std::string pg_connection::value(std::string_view sql, const std::vector<pg_param>& params) {
    auto v = scalar(sql, params);
    if (!v) {
        throw std::runtime_error("value: NULL from: " + std::string{sql});
    }
    return *v;
}

std::string pg_connection::error_of(std::string_view sql, const std::vector<pg_param>& params) {
    try {
        exec(sql, params);
        last_error_.clear();
        return "";
    } catch (const pg_error& e) {
        last_error_ = e.what();
        return e.sqlstate().empty() ? "connection" : e.sqlstate();
    }
}

void pg_connection::send(std::string_view sql, const std::vector<pg_param>& params) {
    const std::string text{sql};
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    const int sent = PQsendQueryParams(
        conn_.get(),
        text.c_str(),
        static_cast<int>(values.size()),
        nullptr,
        values.data(),
        nullptr,
        nullptr,
        0
    );
    if (sent == 0) {
        throw std::runtime_error("send: " + trim_newlines(PQerrorMessage(conn_.get())));
    }
}

std::string pg_connection::finish_sent() {
    std::string outcome;
    last_error_.clear();
    // Drain every result: libpq accepts no new command until PQgetResult returned null.
    while (PGresult* raw_result = PQgetResult(conn_.get())) {
        const pg_result res{raw_result};
        const auto status = PQresultStatus(raw_result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && outcome.empty()) {
            const char* state = PQresultErrorField(raw_result, PG_DIAG_SQLSTATE);
            outcome = state == nullptr ? "connection" : state;
            last_error_ = trim_newlines(PQresultErrorMessage(raw_result));
        }
    }
    return outcome;
}

int pg_connection::backend_pid() const noexcept { return PQbackendPID(conn_.get()); }

bool pg_connection::is_waiting_for_lock(int pid) {
    return value(
               "SELECT coalesce(bool_or(wait_event_type = 'Lock'), false) FROM pg_stat_activity "
               "WHERE pid = $1",
               {std::to_string(pid)}
           ) == "t";
}

void pg_connection::set_tenant(const std::string& tenant_id) {
    exec("SELECT set_config('app.tenant_id', $1, false)", {tenant_id});
}

void pg_connection::listen(std::string_view channel) {
    const std::unique_ptr<char, decltype(&PQfreemem)> quoted{
        PQescapeIdentifier(conn_.get(), channel.data(), channel.size()), &PQfreemem};
    if (!quoted) {
        throw std::runtime_error("listen: cannot quote the channel name");
    }
    exec("LISTEN " + std::string{quoted.get()});
}

std::optional<pg_notification> pg_connection::wait_notification(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (PQconsumeInput(conn_.get()) == 0) {
            throw std::runtime_error(
                "wait_notification: " + trim_newlines(PQerrorMessage(conn_.get()))
            );
        }
        if (PGnotify* n = PQnotifies(conn_.get()); n != nullptr) {
            pg_notification out{n->relname, n->extra};
            PQfreemem(n);
            return out;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()
        );
        if (left.count() <= 0) {
            return std::nullopt;
        }
        pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
        ::poll(&fd, 1, static_cast<int>(left.count()));
    }
}

std::string require_env(const char* name) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): nobody calls setenv
    if (v == nullptr || *v == '\0') {
        throw std::runtime_error(
            std::string{name} +
            " is not set: the PostgreSQL suites need a database (see scripts/test)"
        );
    }
    return v;
}

std::string app_url() { return require_env("TEST_DATABASE_URL"); }

std::string owner_url() { return require_env("TEST_DATABASE_OWNER_URL"); }

pg_connection connect_app() {
    ensure_test_database_ready();
    return pg_connection{app_url()};
}

pg_connection connect_owner() {
    const std::string url = owner_url();
    ensure_test_database_ready();
    return pg_connection{url};
}

std::string random_hex(std::size_t n) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::uniform_int_distribution<std::size_t> pick{0, digits.size() - 1};
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits.at(pick(rng())));
    }
    return out;
}

std::string random_uuid() {
    std::string hex = random_hex(32);
    hex[12] = '4';                                                                    // version 4
    hex[16] = std::string_view{"89ab"}.at(static_cast<unsigned char>(hex[16]) % 4U);  // variant
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
           hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

std::string create_tenant(pg_connection& app, const std::string& name) {
    std::string id = random_uuid();
    app.set_tenant(id);
    app.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {id, name});
    return id;
}

std::string create_artist(
    pg_connection& conn,
    const std::string& tenant_id,
    const std::string& name,
    std::optional<std::string> id
) {
    std::string artist_id = id ? std::move(*id) : random_uuid();
    conn.exec(
        "INSERT INTO artists (tenant_id, id, name, timezone) VALUES ($1, $2, $3, 'Europe/Berlin')",
        {tenant_id, artist_id, name}
    );
    return artist_id;
}

std::string create_project(
    pg_connection& conn, const std::string& tenant_id, const std::string& name
) {
    std::string project_id = random_uuid();
    conn.exec(
        "INSERT INTO projects (tenant_id, id, name) VALUES ($1, $2, $3)",
        {tenant_id, project_id, name}
    );
    return project_id;
}

std::string with_dbname(const std::string& conninfo, const std::string& dbname) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        std::string message = error == nullptr ? "out of memory" : trim_newlines(error);
        PQfreemem(error);
        throw std::runtime_error("with_dbname: invalid conninfo: " + message);
    }
    std::string out;
    // libpq's option array ends with a null keyword.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr || std::string_view{o->keyword} == "dbname") {
            continue;
        }
        out += std::string{o->keyword} + '=' + quote_conninfo_value(o->val) + ' ';
    }
    PQconninfoFree(options);
    return out + "dbname=" + quote_conninfo_value(dbname);
}

scratch_database::scratch_database(std::string owner_conninfo, std::string_view prefix)
    : admin_conninfo_(std::move(owner_conninfo)), name_(std::string{prefix} + random_hex(12)) {
    pg_connection admin{admin_conninfo_};
    // name_ is a prefix plus hex digits: safe to splice into the statement.
    admin.exec("CREATE DATABASE " + name_);
    conninfo_ = with_dbname(admin_conninfo_, name_);
}

scratch_database::~scratch_database() {
    try {
        pg_connection admin{admin_conninfo_};
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the header
    }
}

}  // namespace ptool::store::pgtest
