// Column readers shared by the row stores; see rows.hpp for the select shapes they expect.

#include "store/rows.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace ptool::store {

long long int8_value(std::string_view s) {
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) {
        throw std::runtime_error("not an int8: " + std::string(s));
    }
    return v;
}

domain::instant us_to_instant(std::string_view s) {
    return domain::instant(std::chrono::microseconds(int8_value(s)));
}

std::optional<std::string> opt_string(const platform::pg_result& r, int row, int col) {
    auto v = r.opt(row, col);
    if (!v) {
        return std::nullopt;
    }
    return std::string(*v);
}

}  // namespace ptool::store
