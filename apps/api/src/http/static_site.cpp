// Serves the web app's build output from memory. Loaded once in cli/serve.cpp; the files are
// few and small (an index.html and hashed assets), so copying a body per request is cheap.

#include "http/static_site.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;

namespace {

// The page may run scripts and open connections (fetch, Socket.IO) to its own origin only;
// inline style attributes are allowed because the calendar component positions with them.
constexpr const char* html_csp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// FNV-1a: deterministic across processes, so instances behind one balancer agree on ETags.
std::string etag_of(const std::string& body) {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : body) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016x}-{:x}\"", h, body.size());
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

bool hidden(const fs::path& relative) {
    return std::any_of(relative.begin(), relative.end(), [](const fs::path& part) {
        return !part.empty() && part.native().front() == '.';
    });
}

// Whether the request's If-None-Match lists `etag` (or is "*").
bool not_modified(const request& req, const std::string& etag) {
    auto it = req.find(bhttp::field::if_none_match);
    if (it == req.end()) return false;
    std::string_view list = it->value();
    if (list == "*") return true;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
        if (item == etag) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

response serve_file(const request_context& ctx, const static_file& f) {
    bool fresh = not_modified(ctx.req, f.etag);
    response res{fresh ? bhttp::status::not_modified : bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::etag, f.etag);
    res.set(bhttp::field::cache_control, f.cache_control);
    res.set("X-Content-Type-Options", "nosniff");
    if (f.content_type.starts_with("text/html")) {
        res.set("Content-Security-Policy", html_csp);
        res.set("Referrer-Policy", "no-referrer");
    }
    res.keep_alive(ctx.req.keep_alive());
    if (fresh) return res;  // no body, no Content-Type (RFC 9110 15.4.5)
    res.set(bhttp::field::content_type, f.content_type);
    res.body() = f.body;
    res.prepare_payload();
    return res;
}

asio::awaitable<response> get_file(
    request_context& ctx, std::shared_ptr<const static_site> site, std::size_t i
) {
    co_return serve_file(ctx, site->files()[i]);
}

}  // namespace

std::string content_type_for(const fs::path& file) {
    static const std::pair<const char*, const char*> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
    };
    auto ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    for (const auto& [e, type] : types) {
        if (ext == e) return type;
    }
    return "application/octet-stream";
}

std::shared_ptr<const static_site> static_site::load(const fs::path& root) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        throw std::runtime_error("web root " + root.string() + " is not a directory");
    }
    if (!fs::is_regular_file(root / "index.html", ec)) {
        throw std::runtime_error(
            "web root " + root.string() + " has no index.html (build it: npm -w apps/web run build)"
        );
    }
    auto site = std::make_shared<static_site>();
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        auto relative = fs::relative(entry.path(), root);
        if (hidden(relative)) continue;
        static_file f;
        f.path = "/" + relative.generic_string();
        f.content_type = content_type_for(entry.path());
        f.body = read_file(entry.path());
        f.etag = etag_of(f.body);
        bool hashed = relative.begin()->string() == "assets";
        f.cache_control = hashed ? "public, max-age=31536000, immutable" : "no-cache";
        if (f.path == "/index.html") {
            static_file at_root = f;
            at_root.path = "/";
            site->files_.push_back(std::move(at_root));
        }
        site->files_.push_back(std::move(f));
    }
    std::sort(site->files_.begin(), site->files_.end(), [](const auto& a, const auto& b) {
        return a.path < b.path;
    });
    return site;
}

std::size_t static_site::total_bytes() const {
    std::size_t n = 0;
    for (const auto& f : files_) n += f.body.size();
    return n;
}

void add_static_routes(router& r, std::shared_ptr<const static_site> site) {
    for (std::size_t i = 0; i < site->files().size(); ++i) {
        r.add(bhttp::verb::get, site->files()[i].path, [site, i](request_context& ctx) {
            return get_file(ctx, site, i);
        });
    }
}

}  // namespace ptool::http
