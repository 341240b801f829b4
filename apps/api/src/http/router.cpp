// Linear route matching: the table has a few dozen entries, so a scan beats a trie in
// simplicity and is not measurable next to a database round trip.

#include "http/router.hpp"

#include <boost/beast/http/verb.hpp>

namespace ptool::http {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

void router::add(boost::beast::http::verb method, std::string pattern, handler h) {
    std::vector<std::string> segs;
    for (auto s : split_path(pattern)) {
        segs.emplace_back(s);
    }
    routes_.push_back(entry{method, std::move(pattern), std::move(segs), std::move(h)});
}

router::match router::find(boost::beast::http::verb method, std::string_view path) const {
    match m;
    auto segs = split_path(path);
    // a trailing slash names a different resource, except the root
    if (path.size() > 1 && path.back() == '/') {
        return m;
    }
    for (const auto& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        std::vector<std::pair<std::string, std::string>> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const auto& p = r.segments[i];
            if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
                params.emplace_back(p.substr(1, p.size() - 2), std::string(segs[i]));
            } else {
                ok = p == segs[i];
            }
        }
        if (!ok) continue;
        if (r.method == method ||
            (method == boost::beast::http::verb::head && r.method == boost::beast::http::verb::get)) {
            m.target = &r.h;
            m.route = r.pattern;
            m.params = std::move(params);
            m.allow.clear();
            return m;
        }
        if (m.allow.find(std::string(to_string(r.method))) == std::string::npos) {
            if (!m.allow.empty()) m.allow += ", ";
            m.allow += std::string(to_string(r.method));
        }
        m.route = r.pattern;
    }
    return m;
}

}  // namespace ptool::http
