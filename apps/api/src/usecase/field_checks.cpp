// Field rules shared by the use cases: lengths in code points, blankness, merging error lists
// so that one 422 names each member once.

#include "usecase/field_checks.hpp"

#include <algorithm>

namespace ptool::usecase {

std::size_t utf8_length(std::string_view s) {
    // Count every byte that is not a continuation byte (10xxxxxx).
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

bool is_blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void merge_field_errors(domain::field_errors& errs, const domain::field_errors& extra) {
    const std::size_t reported = errs.size();
    const auto covered = [&errs, reported](const std::string& path) {
        for (std::size_t i = 0; i < reported; ++i) {
            const auto& p = errs[i].path;
            if (path == p) return true;
            // Below a member already reported wrong (e.g. /weekly/0 is not an object): the
            // details of a broken parent are noise. "" (the whole body) hides nothing.
            if (!p.empty() && path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
                path[p.size()] == '/') {
                return true;
            }
        }
        return false;
    };
    for (const auto& e : extra) {
        if (!covered(e.path)) errs.push_back(e);
    }
}

}  // namespace ptool::usecase
