// The migration runner behind `ptool migrate` and the pg test fixtures: blocking libpq, one
// transaction per migration file, history checked against SHA-256 checksums before any change.

#include "store/migrator.hpp"

#include <libpq-fe.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <span>
#include <stdexcept>

namespace ptool::store {
namespace {

// Session-level advisory lock held while migrating ("ptoolmig" as a big-endian int64).
constexpr std::string_view lock_sql = "SELECT pg_advisory_lock(8103224153897527655)";
constexpr std::string_view unlock_sql = "SELECT pg_advisory_unlock(8103224153897527655)";

constexpr std::string_view create_history_sql = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text        NOT NULL PRIMARY KEY,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS
    'Migrations applied by ptool migrate: file name and SHA-256 (hex) of its text. Never edit an '
    'applied file; /readyz compares this table with the migrations built into the binary.';
)sql";

struct conn_deleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct result_deleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

// 1-based line of a 1-based character position (PG_DIAG_STATEMENT_POSITION counts characters,
// not bytes; the server encoding is UTF-8).
int line_of_position(std::string_view text, long position) {
    int line = 1;
    long chars = 0;
    for (const char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if ((byte & 0xC0U) != 0x80U) {  // not a UTF-8 continuation byte: a new character
            ++chars;
            if (chars >= position) {
                break;
            }
        }
        if (ch == '\n') {
            ++line;
        }
    }
    return line;
}

// "<primary message> (SQLSTATE xxxxx)[ at line N][: detail][; context]".
std::string describe_error(const PGresult* res, PGconn* conn, std::string_view sql_for_position) {
    if (res == nullptr) {
        return PQerrorMessage(conn);
    }
    auto field = [res](int code) -> std::string {
        const char* v = PQresultErrorField(res, code);
        return v == nullptr ? std::string{} : std::string{v};
    };
    std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
    if (primary.empty()) {
        primary = PQresultErrorMessage(res);
        while (!primary.empty() && primary.back() == '\n') {
            primary.pop_back();
        }
    }
    std::string out = primary;
    if (const std::string state = field(PG_DIAG_SQLSTATE); !state.empty()) {
        out += " (SQLSTATE " + state + ")";
    }
    if (const std::string pos = field(PG_DIAG_STATEMENT_POSITION);
        !pos.empty() && !sql_for_position.empty()) {
        out += " at line " + std::to_string(line_of_position(sql_for_position, std::stol(pos)));
    }
    if (const std::string detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty()) {
        out += ": " + detail;
    }
    if (const std::string context = field(PG_DIAG_CONTEXT); !context.empty()) {
        out += "; " + context;
    }
    return out;
}

class session {
public:
    explicit session(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (!conn_) {
            throw std::runtime_error("migrate: out of memory creating a database connection");
        }
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            std::string msg = PQerrorMessage(conn_.get());
            while (!msg.empty() && msg.back() == '\n') {
                msg.pop_back();
            }
            throw std::runtime_error("migrate: cannot connect to the database: " + msg);
        }
    }

    [[nodiscard]] PGconn* get() const { return conn_.get(); }

    // Runs `sql` (possibly several statements) and throws with `what` on failure.
    result_ptr exec(std::string_view sql, const std::string& what) {
        result_ptr res{PQexec(conn_.get(), std::string{sql}.c_str())};
        check(res, what, sql);
        return res;
    }

    result_ptr exec_params(
        std::string_view sql, const std::vector<std::string>& params, const std::string& what
    ) {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) {
            values.push_back(p.c_str());
        }
        result_ptr res{PQexecParams(
            conn_.get(),
            std::string{sql}.c_str(),
            static_cast<int>(values.size()),
            nullptr,
            values.data(),
            nullptr,
            nullptr,
            0
        )};
        check(res, what, {});
        return res;
    }

    // Best effort, used on error paths: a failure here must not hide the original error.
    void exec_quietly(std::string_view sql) noexcept {
        const result_ptr res{PQexec(conn_.get(), std::string{sql}.c_str())};
    }

private:
    void check(const result_ptr& res, const std::string& what, std::string_view sql) {
        const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw std::runtime_error(what + ": " + describe_error(res.get(), conn_.get(), sql));
        }
    }

    conn_ptr conn_;
};

void route_notice(void* arg, const char* message) {
    auto* log = static_cast<std::ostream*>(arg);
    std::string text = message;
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    *log << "  " << text << '\n';
}

void check_order(const std::vector<embedded_migration>& migrations) {
    for (std::size_t i = 1; i < migrations.size(); ++i) {
        if (!(migrations[i - 1].name < migrations[i].name)) {
            throw std::runtime_error(
                "migrate: migrations are not strictly ordered by name: " +
                std::string{migrations[i - 1].name} + " then " + std::string{migrations[i].name}
            );
        }
    }
}

// Refuses (throws) unless the recorded history is a prefix-compatible subset of `migrations`.
void check_history(
    const std::map<std::string, std::string>& recorded,
    const std::vector<embedded_migration>& migrations
) {
    std::set<std::string, std::less<>> known;
    for (const auto& m : migrations) {
        known.emplace(m.name);
    }
    for (const auto& [version, checksum] : recorded) {
        if (!known.contains(version)) {
            throw std::runtime_error(
                "migrate: the database has migration " + version +
                " applied, which this binary does not know; the database is newer than the "
                "binary (build from a newer checkout)"
            );
        }
    }
    std::string first_pending;
    for (const auto& m : migrations) {
        const std::string name{m.name};
        const auto it = recorded.find(name);
        if (it == recorded.end()) {
            if (first_pending.empty()) {
                first_pending = name;
            }
            continue;
        }
        const std::string sum = migration_checksum(m.sql);
        if (it->second != sum) {
            std::string message = "migrate: migration ";
            message += name;
            message += " was edited after it was applied (checksum ";
            message += it->second;
            message += " != ";
            message += sum;
            message += "); add a new migration instead";
            throw std::runtime_error(message);
        }
        if (!first_pending.empty()) {
            std::string message = "migrate: migration ";
            message += first_pending;
            message += " is not applied but the later ";
            message += name;
            message += " is; new migrations must sort after every applied one (rename it)";
            throw std::runtime_error(message);
        }
    }
}

void apply_one(session& db, const embedded_migration& m, std::ostream& log) {
    const std::string name{m.name};
    const auto started = std::chrono::steady_clock::now();
    db.exec("BEGIN", "migrate: " + name + ": cannot begin a transaction");
    try {
        db.exec(m.sql, "migrate: migration " + name + " failed");
        if (PQtransactionStatus(db.get()) != PQTRANS_INTRANS) {
            throw std::runtime_error(
                "migrate: migration " + name +
                " ended its transaction itself; remove BEGIN/COMMIT/ROLLBACK from the file"
            );
        }
        db.exec_params(
            "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
            {name, migration_checksum(m.sql)},
            "migrate: " + name + ": cannot record the migration"
        );
        db.exec("COMMIT", "migrate: " + name + ": commit failed");
    } catch (...) {
        db.exec_quietly("ROLLBACK");
        throw;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started
    );
    log << "applied " << name << " (" << ms.count() << " ms)\n";
}

}  // namespace

std::string migration_checksum(std::string_view sql) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(sql.data(), sql.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("migration_checksum: SHA-256 failed");
    }
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    out.reserve(static_cast<std::size_t>(length) * 2);
    for (const unsigned char byte : std::span(digest).first(length)) {
        out.push_back(hex.at(byte >> 4U));
        out.push_back(hex.at(byte & 0x0FU));
    }
    return out;
}

migrate_result migrate(
    const std::string& owner_conninfo,
    const std::vector<embedded_migration>& migrations,
    std::ostream& log
) {
    check_order(migrations);
    session db{owner_conninfo};
    PQsetNoticeProcessor(db.get(), route_notice, &log);
    // Deterministic placement of unqualified names, whatever schemas the owner role has; and no
    // "already exists, skipping" chatter.
    db.exec(
        "SET search_path = public; SET client_min_messages = warning",
        "migrate: cannot configure the session"
    );
    db.exec(lock_sql, "migrate: cannot take the migration lock");
    // The lock is released explicitly below, and by the server when the connection closes (also
    // on every error path, as `db` is destroyed).
    db.exec(create_history_sql, "migrate: cannot create schema_migrations");

    std::map<std::string, std::string> recorded;
    {
        const result_ptr res =
            db.exec(migration_status_sql, "migrate: cannot read schema_migrations");
        for (int row = 0; row < PQntuples(res.get()); ++row) {
            recorded.emplace(PQgetvalue(res.get(), row, 0), PQgetvalue(res.get(), row, 1));
        }
    }
    check_history(recorded, migrations);

    migrate_result result;
    for (const auto& m : migrations) {
        const std::string name{m.name};
        if (recorded.contains(name)) {
            result.skipped.push_back(name);
            continue;
        }
        apply_one(db, m, log);
        result.applied.push_back(name);
    }
    db.exec(unlock_sql, "migrate: cannot release the migration lock");
    if (result.applied.empty()) {
        log << "database is up to date (" << result.skipped.size() << " migrations applied)\n";
    }
    return result;
}

bool migrations_current(
    const std::vector<std::pair<std::string, std::string>>& applied,
    const std::vector<embedded_migration>& migrations
) {
    if (applied.size() != migrations.size()) {
        return false;
    }
    std::map<std::string, std::string, std::less<>> recorded;
    for (const auto& [version, checksum] : applied) {
        if (!recorded.emplace(version, checksum).second) {
            return false;
        }
    }
    return std::all_of(migrations.begin(), migrations.end(), [&](const embedded_migration& m) {
        const auto it = recorded.find(m.name);
        return it != recorded.end() && it->second == migration_checksum(m.sql);
    });
}

}  // namespace ptool::store
