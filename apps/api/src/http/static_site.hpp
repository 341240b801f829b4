#pragma once
// The built web app (apps/web/dist) served at "/": every file is read into memory once at
// startup and registered as a GET/HEAD route of its own, so a request never touches the file
// system (no path traversal is possible) and 404/405 come from the route table as for the API.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"

namespace ptool::http {

struct static_file {
    std::string path;          // URL path, e.g. "/assets/index-3f2a.js"; "/" for index.html
    std::string content_type;  // from the file name's extension
    std::string etag;          // strong validator: a hash of the content, quoted
    std::string cache_control;
    std::string body;
};

class static_site {
public:
    // Reads every regular file under `root` (recursively; dot files skipped). index.html is
    // also served at "/". Files under assets/ (content-hashed names from Vite) are cached for
    // a year as immutable; everything else must be revalidated (ETag, 304).
    // Throws std::runtime_error when `root` is not a directory or has no index.html.
    static std::shared_ptr<const static_site> load(const std::filesystem::path& root);

    const std::vector<static_file>& files() const { return files_; }
    std::size_t total_bytes() const;

private:
    std::vector<static_file> files_;
};

// Registers GET and HEAD for every file of `site` (the router keeps `site` alive). Responses
// carry Content-Type, ETag, Cache-Control, X-Content-Type-Options: nosniff and, for HTML, a
// Content-Security-Policy (scripts and connections to this origin only) and
// Referrer-Policy: no-referrer. If-None-Match with the current ETag answers 304.
void add_static_routes(router& r, std::shared_ptr<const static_site> site);

// "text/javascript; charset=utf-8" for "x.js" etc.; "application/octet-stream" when unknown.
std::string content_type_for(const std::filesystem::path& file);

}  // namespace ptool::http
