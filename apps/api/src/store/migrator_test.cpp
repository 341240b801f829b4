// Unit tests of the migration bookkeeping that needs no database: checksums and the /readyz
// "migrations current" decision.

#include "store/migrator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptool::store {
namespace {

using applied_list = std::vector<std::pair<std::string, std::string>>;

const std::vector<embedded_migration>& two_migrations() {
    static const std::vector<embedded_migration> all{
        {"0001_core.sql", "CREATE TABLE a (id int);\n"},
        {"0002_more.sql", "CREATE TABLE b (id int);\n"},
    };
    return all;
}

applied_list applied_as_built(const std::vector<embedded_migration>& migrations) {
    applied_list out;
    for (const auto& m : migrations) {
        out.emplace_back(std::string{m.name}, migration_checksum(m.sql));
    }
    return out;
}

TEST(migration_checksum, is_lower_case_hex_sha256) {
    EXPECT_EQ(
        migration_checksum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    EXPECT_EQ(
        migration_checksum("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

TEST(migration_checksum, sees_every_byte) {
    EXPECT_NE(migration_checksum("SELECT 1;\n"), migration_checksum("SELECT 1;\r\n"));
    EXPECT_NE(migration_checksum("SELECT 1;"), migration_checksum("SELECT 1; "));
}

TEST(migrations_current, true_when_all_applied_with_equal_checksums) {
    EXPECT_TRUE(migrations_current(applied_as_built(two_migrations()), two_migrations()));
}

TEST(migrations_current, true_for_no_migrations_and_empty_history) {
    EXPECT_TRUE(migrations_current({}, {}));
}

TEST(migrations_current, false_when_one_is_pending) {
    applied_list applied = applied_as_built(two_migrations());
    applied.pop_back();
    EXPECT_FALSE(migrations_current(applied, two_migrations()));
    EXPECT_FALSE(migrations_current({}, two_migrations()));
}

TEST(migrations_current, false_when_a_checksum_differs) {
    applied_list applied = applied_as_built(two_migrations());
    applied[0].second = migration_checksum("edited");
    EXPECT_FALSE(migrations_current(applied, two_migrations()));
}

TEST(migrations_current, false_when_the_database_knows_more) {
    applied_list applied = applied_as_built(two_migrations());
    applied.emplace_back("0003_future.sql", migration_checksum("x"));
    EXPECT_FALSE(migrations_current(applied, two_migrations()));
}

TEST(migrations_current, false_when_an_unknown_replaces_a_known) {
    applied_list applied = applied_as_built(two_migrations());
    applied[1] = {"0002_other.sql", applied[1].second};
    EXPECT_FALSE(migrations_current(applied, two_migrations()));
}

TEST(migrations_current, false_on_duplicate_history_rows) {
    applied_list applied = applied_as_built(two_migrations());
    applied[1] = applied[0];
    EXPECT_FALSE(migrations_current(applied, two_migrations()));
}

TEST(migrations_current, ignores_history_order) {
    applied_list applied = applied_as_built(two_migrations());
    std::swap(applied[0], applied[1]);
    EXPECT_TRUE(migrations_current(applied, two_migrations()));
}

// Why `name` is not of the form NNNN_name.sql, or "".
std::string naming_problem(std::string_view name) {
    if (name.size() < 10 || !name.ends_with(".sql")) {
        return "not NNNN_name.sql";
    }
    if (name.find_first_not_of("0123456789") != 4 || name[4] != '_') {
        return "no four-digit number and underscore";
    }
    return "";
}

TEST(embedded_migrations, are_named_nnnn_and_strictly_ordered) {
    const auto& all = embedded_migrations();
    ASSERT_FALSE(all.empty());
    std::set<std::string_view> numbers;
    for (const auto& m : all) {
        EXPECT_EQ(naming_problem(m.name), "") << m.name;
        EXPECT_FALSE(m.sql.empty()) << m.name;
        numbers.insert(m.name.substr(0, 4));
    }
    EXPECT_EQ(numbers.size(), all.size()) << "two migrations share a number";
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.name < b.name;
    }));
}

}  // namespace
}  // namespace ptool::store
