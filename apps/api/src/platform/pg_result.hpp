#pragma once

// pg_result: move-only owner of one libpq PGresult holding a successful statement's outcome,
// with every value in text format. Errors never reach a pg_result: pg_connection throws them.
//
// Not synchronised; a result may be moved to and read from any thread, one at a time. Views
// returned by get()/opt()/column_name() point into the result and die with it.

#include <optional>
#include <string_view>

// libpq's own handle type (from libpq-fe.h), declared here so callers need not include libpq.
typedef struct pg_result PGresult;  // NOLINT(modernize-use-using): must match libpq's C typedef

namespace ptool::platform {

class pg_result {
public:
    pg_result() = default;  // holds nothing: 0 rows, 0 columns
    // Takes ownership; PQclear runs on destruction. nullptr is allowed (an empty result).
    explicit pg_result(::PGresult* res) noexcept : res_(res) {}
    pg_result(pg_result&& other) noexcept;
    pg_result& operator=(pg_result&& other) noexcept;
    pg_result(const pg_result&) = delete;
    pg_result& operator=(const pg_result&) = delete;
    ~pg_result();

    int rows() const;
    int columns() const;
    // Index of the column with exactly this name (case-sensitive, no identifier folding);
    // -1 when absent.
    int column(std::string_view name) const;
    // Name of column `col`. Throws std::out_of_range for a bad index.
    std::string_view column_name(int col) const;

    // Cell accessors. Throw std::out_of_range when row or col is outside the result.
    bool is_null(int row, int col) const;
    std::string_view get(int row, int col) const;  // "" when NULL
    std::optional<std::string_view> opt(int row, int col) const;

    // Rows affected by INSERT/UPDATE/DELETE/SELECT/MOVE/FETCH/COPY (PQcmdTuples); 0 if none.
    long affected() const;
    // The command tag, e.g. "INSERT 0 1", "" when none.
    std::string_view command_tag() const;

    ::PGresult* native_handle() const noexcept { return res_; }

private:
    void check_cell(int row, int col) const;

    ::PGresult* res_ = nullptr;
};

}  // namespace ptool::platform
