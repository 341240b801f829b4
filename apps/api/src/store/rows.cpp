// Column readers shared by the row stores; see rows.hpp for the select shapes they expect.

#include "store/rows.hpp"

#include <charconv>
#include <chrono>

namespace ptool::store {

domain::instant us_to_instant(std::string_view s) {
    long long v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return domain::instant(std::chrono::microseconds(v));
}

std::optional<std::string> opt_string(const platform::pg_result& r, int row, int col) {
    auto v = r.opt(row, col);
    if (!v) {
        return std::nullopt;
    }
    return std::string(*v);
}

}  // namespace ptool::store
