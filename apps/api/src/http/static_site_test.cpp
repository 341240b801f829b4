#include "http/static_site.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>
#include <fstream>
#include <random>

namespace ptool::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;

class static_site_test : public ::testing::Test {
protected:
    void SetUp() override {
        root_ =
            fs::temp_directory_path() / ("ptool-static-" + std::to_string(std::random_device{}()));
        fs::create_directories(root_ / "assets");
        fs::create_directories(root_ / ".cache");
        write("index.html", "<!doctype html><title>Board</title>");
        write("assets/index-3f2a.js", "console.log(1)");
        write("assets/index-9c1d.css", "body{}");
        write("favicon.svg", "<svg/>");
        write(".cache/secret", "x");
        write(".env", "x");
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const std::string& rel, const std::string& body) {
        std::ofstream(root_ / rel, std::ios::binary) << body;
    }

    // Serves one request through the route table, as dispatch() would.
    response get(const router& r, const std::string& path, const std::string& if_none_match = {}) {
        request req{bhttp::verb::get, path, 11};
        if (!if_none_match.empty()) req.set(bhttp::field::if_none_match, if_none_match);
        auto m = r.find(bhttp::verb::get, path);
        if (m.target == nullptr) return response{bhttp::status::not_found, 11};
        asio::io_context ioc;
        auto fut = asio::co_spawn(ioc, serve(r, req, path), asio::use_future);
        ioc.run();
        return fut.get();
    }

    static asio::awaitable<response> serve(const router& r, const request& req, std::string path) {
        auto m = r.find(req.method(), path);
        request_context ctx{req, "rid", path, {}, {}};
        co_return co_await (*m.target)(ctx);
    }

    fs::path root_;
};

TEST_F(static_site_test, loads_every_visible_file_and_index_at_root) {
    auto site = static_site::load(root_);
    std::vector<std::string> paths;
    for (const auto& f : site->files()) paths.push_back(f.path);
    EXPECT_EQ(
        paths,
        (std::vector<std::string>{
            "/", "/assets/index-3f2a.js", "/assets/index-9c1d.css", "/favicon.svg", "/index.html"})
    );
}

TEST_F(static_site_test, refuses_a_root_without_index) {
    fs::remove(root_ / "index.html");
    EXPECT_THROW(static_site::load(root_), std::runtime_error);
    EXPECT_THROW(static_site::load(root_ / "missing"), std::runtime_error);
}

TEST_F(static_site_test, serves_with_type_cache_policy_and_security_headers) {
    router r;
    add_static_routes(r, static_site::load(root_));

    auto index = get(r, "/");
    EXPECT_EQ(index.result(), bhttp::status::ok);
    EXPECT_EQ(index.body(), "<!doctype html><title>Board</title>");
    EXPECT_EQ(index[bhttp::field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(index[bhttp::field::cache_control], "no-cache");
    EXPECT_NE(index["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(index["Referrer-Policy"], "no-referrer");
    EXPECT_EQ(index["X-Content-Type-Options"], "nosniff");

    auto js = get(r, "/assets/index-3f2a.js");
    EXPECT_EQ(js.body(), "console.log(1)");
    EXPECT_EQ(js[bhttp::field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(js[bhttp::field::cache_control], "public, max-age=31536000, immutable");
    EXPECT_TRUE(js["Content-Security-Policy"].empty());

    EXPECT_EQ(get(r, "/.env").result(), bhttp::status::not_found);
    EXPECT_EQ(get(r, "/.cache/secret").result(), bhttp::status::not_found);
    EXPECT_EQ(get(r, "/assets/../index.html").result(), bhttp::status::not_found);
}

TEST_F(static_site_test, if_none_match_with_the_current_etag_answers_304) {
    router r;
    add_static_routes(r, static_site::load(root_));
    auto first = get(r, "/assets/index-9c1d.css");
    std::string etag(first[bhttp::field::etag]);
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(etag.front(), '"');

    auto again = get(r, "/assets/index-9c1d.css", "\"other\", W/" + etag);
    EXPECT_EQ(again.result(), bhttp::status::not_modified);
    EXPECT_TRUE(again.body().empty());
    EXPECT_EQ(again[bhttp::field::etag], etag);

    EXPECT_EQ(get(r, "/assets/index-9c1d.css", "\"stale\"").result(), bhttp::status::ok);
    // Same content, same validator: instances behind one balancer agree.
    EXPECT_EQ(static_site::load(root_)->files()[2].etag, etag);
}

TEST(static_site, content_types_by_extension) {
    EXPECT_EQ(content_type_for("a/B.HTML"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("x.mjs"), "text/javascript; charset=utf-8");
    EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
    EXPECT_EQ(content_type_for("x.map"), "application/json");
    EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
}

}  // namespace
}  // namespace ptool::http
