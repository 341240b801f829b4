// Accessors over a libpq PGresult. Bounds are checked here because libpq answers a bad index
// with a null pointer and a stderr message, which would turn a caller bug into a crash.

#include "platform/pg_result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <stdexcept>
#include <string>
#include <utility>

namespace ptool::platform {

pg_result::pg_result(pg_result&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}

pg_result& pg_result::operator=(pg_result&& other) noexcept {
    if (this != &other) {
        if (res_ != nullptr) {
            PQclear(res_);
        }
        res_ = std::exchange(other.res_, nullptr);
    }
    return *this;
}

pg_result::~pg_result() {
    if (res_ != nullptr) {
        PQclear(res_);
    }
}

int pg_result::rows() const { return res_ == nullptr ? 0 : PQntuples(res_); }

int pg_result::columns() const { return res_ == nullptr ? 0 : PQnfields(res_); }

int pg_result::column(std::string_view name) const {
    const int n = columns();
    for (int col = 0; col < n; ++col) {
        if (name == PQfname(res_, col)) {
            return col;
        }
    }
    return -1;
}

std::string_view pg_result::column_name(int col) const {
    if (col < 0 || col >= columns()) {
        throw std::out_of_range("pg_result: column " + std::to_string(col) + " out of range");
    }
    return PQfname(res_, col);
}

void pg_result::check_cell(int row, int col) const {
    if (row < 0 || row >= rows() || col < 0 || col >= columns()) {
        throw std::out_of_range(
            "pg_result: cell (" + std::to_string(row) + ", " + std::to_string(col) +
            ") out of range"
        );
    }
}

bool pg_result::is_null(int row, int col) const {
    check_cell(row, col);
    return PQgetisnull(res_, row, col) != 0;
}

std::string_view pg_result::get(int row, int col) const {
    check_cell(row, col);
    const auto len = static_cast<std::size_t>(PQgetlength(res_, row, col));
    return {PQgetvalue(res_, row, col), len};
}

std::optional<std::string_view> pg_result::opt(int row, int col) const {
    if (is_null(row, col)) {
        return std::nullopt;
    }
    return get(row, col);
}

long pg_result::affected() const {
    if (res_ == nullptr) {
        return 0;
    }
    const std::string_view text = PQcmdTuples(res_);
    long value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && ptr == text.data() + text.size() ? value : 0;
}

std::string_view pg_result::command_tag() const {
    if (res_ == nullptr) {
        return {};
    }
    const char* tag = PQcmdStatus(res_);
    return tag == nullptr ? std::string_view{} : std::string_view{tag};
}

}  // namespace ptool::platform
