// The migration runner against a real PostgreSQL, as the owner role, each test in its own
// scratch database: fresh apply, no-op re-apply, refusals (edited, unknown, inserted, failing
// file) and two concurrent runs.

#include "store/migrator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/embedded_migrations.hpp"
#include "store/pgtest_support.hpp"

namespace ptool::store {
namespace {

using pgtest::pg_connection;
using pgtest::scratch_database;

// Migration lists built by tests; owns the text the string_views point to.
class migration_list {
public:
    migration_list() : list_(embedded_migrations()) {}

    migration_list& add(std::string name, std::string sql) {
        const auto& n = texts_.emplace_back(std::move(name));
        const auto& s = texts_.emplace_back(std::move(sql));
        list_.push_back({n, s});
        std::sort(list_.begin(), list_.end(), [](const auto& a, const auto& b) {
            return a.name < b.name;
        });
        return *this;
    }

    migration_list& replace_sql(std::string_view name, std::string sql) {
        const auto& s = texts_.emplace_back(std::move(sql));
        for (auto& m : list_) {
            if (m.name == name) {
                m.sql = s;
            }
        }
        return *this;
    }

    [[nodiscard]] const std::vector<embedded_migration>& get() const { return list_; }

private:
    std::deque<std::string> texts_;  // stable addresses
    std::vector<embedded_migration> list_;
};

std::vector<std::string> embedded_names() {
    std::vector<std::string> names;
    for (const auto& m : embedded_migrations()) {
        names.emplace_back(m.name);
    }
    return names;
}

// The message of the std::runtime_error `f` throws; fails the test if it does not throw.
template <class F>
std::string refusal_of(F&& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected migrate() to refuse";
    return "";
}

bool table_exists(pg_connection& conn, const std::string& name) {
    return conn.scalar("SELECT to_regclass($1)", {"public." + name}).has_value();
}

using strings = std::vector<std::string>;

// The tables of `names` that do not exist.
strings missing_tables(pg_connection& conn, const strings& names) {
    strings missing;
    std::copy_if(names.begin(), names.end(), std::back_inserter(missing), [&](const auto& n) {
        return !table_exists(conn, n);
    });
    return missing;
}

// The parts of `parts` that `text` does not contain.
strings missing_from(const std::string& text, const strings& parts) {
    strings missing;
    std::copy_if(parts.begin(), parts.end(), std::back_inserter(missing), [&](const auto& p) {
        return text.find(p) == std::string::npos;
    });
    return missing;
}

using history = std::vector<std::pair<std::string, std::string>>;

// schema_migrations as /readyz reads it.
history read_history(pg_connection& conn) {
    const auto res = conn.exec(migration_status_sql);
    history out;
    out.reserve(static_cast<std::size_t>(res.rows()));
    for (int row = 0; row < res.rows(); ++row) {
        out.emplace_back(res.value(row, 0), res.value(row, 1));
    }
    return out;
}

// What schema_migrations holds after applying exactly `migrations`.
history expected_history(const std::vector<embedded_migration>& migrations) {
    history out;
    out.reserve(migrations.size());
    for (const auto& m : migrations) {
        out.emplace_back(std::string{m.name}, migration_checksum(m.sql));
    }
    return out;
}

struct migrator : ::testing::Test {
    scratch_database db_{pgtest::owner_url()};
    std::ostringstream log_;

    migrate_result run(const std::vector<embedded_migration>& migrations) {
        return migrate(db_.conninfo(), migrations, log_);
    }
};

TEST_F(migrator, fresh_apply_creates_every_table_and_records_every_file) {
    const migrate_result result = run(embedded_migrations());
    EXPECT_EQ(result.applied, embedded_names());
    EXPECT_TRUE(result.skipped.empty());

    pg_connection conn{db_.conninfo()};
    EXPECT_EQ(
        missing_tables(
            conn,
            {"tenants",
             "artists",
             "projects",
             "bookings",
             "booking_events",
             "artist_availability",
             "idempotency_keys",
             "schema_migrations"}
        ),
        strings{}
    );
    EXPECT_EQ(read_history(conn), expected_history(embedded_migrations()));
    EXPECT_TRUE(migrations_current(read_history(conn), embedded_migrations()));
    EXPECT_NE(log_.str().find("applied " + embedded_names().front()), std::string::npos);
}

TEST_F(migrator, the_app_role_can_read_the_history_for_readyz) {
    run(embedded_migrations());
    pg_connection app{pgtest::with_dbname(pgtest::app_url(), db_.name())};
    EXPECT_TRUE(migrations_current(read_history(app), embedded_migrations()));
    EXPECT_EQ(app.error_of("DELETE FROM schema_migrations"), "42501");
}

TEST_F(migrator, reapply_is_a_no_op) {
    run(embedded_migrations());
    pg_connection conn{db_.conninfo()};
    const std::string before = conn.value("SELECT max(applied_at)::text FROM schema_migrations");

    const migrate_result again = run(embedded_migrations());
    EXPECT_TRUE(again.applied.empty());
    EXPECT_EQ(again.skipped, embedded_names());
    EXPECT_EQ(
        conn.value("SELECT count(*) FROM schema_migrations"),
        std::to_string(embedded_migrations().size())
    );
    EXPECT_EQ(conn.value("SELECT max(applied_at)::text FROM schema_migrations"), before);
}

TEST_F(migrator, a_new_migration_is_applied_after_the_existing_ones) {
    run(embedded_migrations());
    migration_list list;
    list.add("9000_added.sql", "CREATE TABLE added_marker (id integer);\n");
    const migrate_result result = run(list.get());
    EXPECT_EQ(result.applied, std::vector<std::string>{"9000_added.sql"});
    pg_connection conn{db_.conninfo()};
    EXPECT_TRUE(table_exists(conn, "added_marker"));
}

TEST_F(migrator, an_edited_migration_is_refused_naming_the_file) {
    run(embedded_migrations());
    const std::string first{embedded_migrations().front().name};
    migration_list list;
    list.replace_sql(first, std::string{embedded_migrations().front().sql} + "\n-- edited\n")
        .add("9000_after_edit.sql", "CREATE TABLE after_edit_marker (id integer);\n");

    const std::string message = refusal_of([&] { run(list.get()); });
    EXPECT_EQ(
        missing_from(
            message,
            {"migration " + first + " was edited after it was applied",
             migration_checksum(embedded_migrations().front().sql),
             "add a new migration instead"}
        ),
        strings{}
    ) << message;

    pg_connection conn{db_.conninfo()};
    EXPECT_FALSE(table_exists(conn, "after_edit_marker")) << "nothing further may be applied";
    EXPECT_EQ(
        conn.value("SELECT count(*) FROM schema_migrations"),
        std::to_string(embedded_migrations().size())
    );
}

TEST_F(migrator, a_recorded_migration_missing_from_the_binary_is_refused) {
    migration_list newer;
    newer.add("9999_future.sql", "CREATE TABLE future_marker (id integer);\n");
    run(newer.get());

    migration_list older;
    older.add("9000_pending.sql", "CREATE TABLE pending_marker (id integer);\n");
    const std::string message = refusal_of([&] { run(older.get()); });
    EXPECT_NE(message.find("9999_future.sql"), std::string::npos) << message;
    EXPECT_NE(message.find("newer than the binary"), std::string::npos) << message;
    pg_connection conn{db_.conninfo()};
    EXPECT_FALSE(table_exists(conn, "pending_marker"));
}

TEST_F(migrator, a_migration_inserted_before_an_applied_one_is_refused) {
    migration_list applied;
    applied.add("9999_last.sql", "CREATE TABLE last_marker (id integer);\n");
    run(applied.get());

    migration_list inserted;
    inserted.add("9999_last.sql", "CREATE TABLE last_marker (id integer);\n")
        .add("9000_inserted.sql", "CREATE TABLE inserted_marker (id integer);\n");
    const std::string message = refusal_of([&] { run(inserted.get()); });
    EXPECT_NE(message.find("9000_inserted.sql"), std::string::npos) << message;
    pg_connection conn{db_.conninfo()};
    EXPECT_FALSE(table_exists(conn, "inserted_marker"));
}

TEST_F(migrator, a_failing_migration_is_rolled_back_and_stops_the_run) {
    migration_list list;
    list.add(
            "9000_bad.sql",
            "CREATE TABLE bad_marker (id integer);\nSELECT no_such_column FROM tenants;\n"
    )
        .add("9001_after_bad.sql", "CREATE TABLE after_bad_marker (id integer);\n");
    const std::string message = refusal_of([&] { run(list.get()); });
    EXPECT_EQ(
        missing_from(message, {"migration 9000_bad.sql failed", "SQLSTATE 42703", "at line 2"}),
        strings{}
    ) << message;

    pg_connection conn{db_.conninfo()};
    // The failed file leaves no trace, nothing after it runs, the ones before it stay applied.
    EXPECT_EQ(
        missing_tables(conn, {"bad_marker", "after_bad_marker"}),
        (strings{"bad_marker", "after_bad_marker"})
    );
    EXPECT_EQ(read_history(conn), expected_history(embedded_migrations()));
}

TEST_F(migrator, a_migration_ending_its_own_transaction_is_refused) {
    migration_list list;
    list.add("9000_commits.sql", "CREATE TABLE commits_marker (id integer);\nCOMMIT;\n");
    const std::string message = refusal_of([&] { run(list.get()); });
    EXPECT_NE(message.find("9000_commits.sql"), std::string::npos) << message;
    EXPECT_NE(message.find("BEGIN/COMMIT"), std::string::npos) << message;
    pg_connection conn{db_.conninfo()};
    EXPECT_EQ(
        conn.value("SELECT count(*) FROM schema_migrations WHERE version = '9000_commits.sql'"), "0"
    );
}

TEST_F(migrator, an_unordered_list_is_refused_before_connecting) {
    std::vector<embedded_migration> list{
        {"0002_b.sql", "SELECT 1;"},
        {"0001_a.sql", "SELECT 1;"},
    };
    const std::string message = refusal_of([&] { migrate("dbname=does_not_matter", list, log_); });
    EXPECT_NE(message.find("not strictly ordered"), std::string::npos) << message;
}

TEST_F(migrator, a_bad_connection_is_a_clear_error) {
    const std::string message = refusal_of([&] {
        migrate(pgtest::with_dbname(db_.conninfo(), db_.name() + "_missing"), {}, log_);
    });
    EXPECT_NE(message.find("cannot connect"), std::string::npos) << message;
}

TEST_F(migrator, concurrent_runs_both_succeed_and_apply_each_file_once) {
    std::array<migrate_result, 2> results;
    std::array<std::string, 2> errors;
    std::array<std::ostringstream, 2> logs;
    std::vector<std::thread> threads;
    threads.reserve(results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                results.at(i) = migrate(db_.conninfo(), embedded_migrations(), logs.at(i));
            } catch (const std::exception& e) {
                errors.at(i) = e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");

    std::multiset<std::string> applied;
    for (const auto& r : results) {
        applied.insert(r.applied.begin(), r.applied.end());
    }
    const auto names = embedded_names();
    EXPECT_EQ(applied, std::multiset<std::string>(names.begin(), names.end()))
        << "every file applied exactly once across both runs";

    pg_connection conn{db_.conninfo()};
    EXPECT_EQ(conn.value("SELECT count(*) FROM schema_migrations"), std::to_string(names.size()));
}

// The binary embeds the files as they are in the tree (a stale build would migrate old text).
TEST(embedded_migrations_pg, match_the_files_in_the_migrations_directory) {
    namespace fs = std::filesystem;
    history files;  // (name, checksum) of each file on disk
    for (const auto& entry : fs::directory_iterator(PTOOL_MIGRATIONS_DIR)) {
        if (entry.path().extension() == ".sql") {
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string text(
                std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{}
            );
            files.emplace_back(entry.path().filename().string(), migration_checksum(text));
        }
    }
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, expected_history(embedded_migrations()))
        << "the migrations directory differs from the embedded copies; rebuild";
}

}  // namespace
}  // namespace ptool::store
