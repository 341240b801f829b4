#pragma once
// Route table keyed by path pattern and method: "/api/v1/bookings/{id}/confirm". A path that
// matches a pattern under another method yields 405 with the allowed methods (SPEC §10).

#include <boost/beast/http/verb.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/types.hpp"

namespace ptool::http {

class router {
public:
    // Registers `h` for `method` on `pattern`. Segments "{name}" match one non-empty segment.
    // Not thread-safe: build the table before serving.
    void add(boost::beast::http::verb method, std::string pattern, handler h);

    struct match {
        const handler* target = nullptr;   // null when nothing matched
        std::string route;                 // the pattern (for metrics/logs), "" when none
        std::vector<std::pair<std::string, std::string>> params;
        std::string allow;                 // set when the path exists under other methods
    };

    // Finds the handler for method + path (path without query). Thread-safe (read-only).
    match find(boost::beast::http::verb method, std::string_view path) const;

private:
    struct entry {
        boost::beast::http::verb method;
        std::string pattern;
        std::vector<std::string> segments;
        handler h;
    };
    std::vector<entry> routes_;
};

// Splits "/a/b/c" into {"a","b","c"}; an empty path or "/" gives {}.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace ptool::http
