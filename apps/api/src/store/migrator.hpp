#pragma once
// Applies the forward-only SQL migrations of apps/api/migrations to a database, and tells whether
// a database is current with the migrations built into this binary (for /readyz).
//
// Contract of the migration set: files are named NNNN_name.sql and applied in name order, each in
// its own transaction together with its row in schema_migrations(version, checksum, applied_at);
// a file is never edited once applied (its SHA-256 is recorded and compared on every run); the
// files must not contain BEGIN/COMMIT nor statements that cannot run inside a transaction.

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/embedded_migrations.hpp"

namespace ptool::store {

// What one migrate() call did, in order.
struct migrate_result {
    std::vector<std::string> applied;  // applied by this call
    std::vector<std::string> skipped;  // already applied earlier with an equal checksum
};

// Lower-case hex SHA-256 of the migration text, as stored in schema_migrations.checksum.
std::string migration_checksum(std::string_view sql);

// Brings the database at `owner_conninfo` (a libpq conninfo string or postgresql:// URL of the
// role that owns, or will own, the schema) up to date with `migrations`.
//
// Blocking (libpq); meant for the CLI and tests, never for the server's event loop. Holds a
// session-level advisory lock for its whole run, so concurrent calls against one database are
// safe: the later one waits, then finds everything applied. Creates schema_migrations if missing.
// Before applying anything it checks the recorded history and refuses when
//   - a recorded migration is not in `migrations` (the database is newer than this binary),
//   - a recorded migration's checksum differs from the file's (the file was edited after it was
//     applied; the message names the file and both checksums),
//   - a migration not yet applied sorts before one that is (a file was inserted into history),
//   - `migrations` is not strictly ordered by name.
// Then applies each pending migration in its own transaction with its schema_migrations row; if
// one fails, its transaction is rolled back and nothing after it is applied.
// Progress lines go to `log`. Throws std::runtime_error on refusal, connection or SQL failure
// (the message names the migration and carries the server's error text and SQLSTATE).
migrate_result migrate(
    const std::string& owner_conninfo,
    const std::vector<embedded_migration>& migrations,
    std::ostream& log
);

// What /readyz queries (as the application role) to feed migrations_current().
inline constexpr std::string_view migration_status_sql =
    "SELECT version, checksum FROM schema_migrations ORDER BY version";

// True when every one of `migrations` is recorded in `applied` (version, checksum) with an equal
// checksum and `applied` records nothing else. Pure; computes the embedded checksums.
bool migrations_current(
    const std::vector<std::pair<std::string, std::string>>& applied,
    const std::vector<embedded_migration>& migrations
);

}  // namespace ptool::store
