// redis_cache against a real Redis: TEST_REDIS_URL (skipped when unset) for the cache semantics,
// and redis-server children of the test for outages, slowness, passwords and shutdown paths.

#include "platform/redis_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <spawn.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "platform/metrics.hpp"
#include "platform/pg_test_support.hpp"

extern char** environ;  // NOLINT: posix_spawn's environment

namespace ptool::platform {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using testing::run_test;
using testing::test_loop;

// ---- helpers --------------------------------------------------------------------------------

std::string test_redis_url() {
    const char* v = std::getenv("TEST_REDIS_URL");  // NOLINT(concurrency-mt-unsafe)
    return v == nullptr ? std::string() : std::string(v);
}

// A macro because GTEST_SKIP must return from the test body itself.
// NOLINTBEGIN(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)
#define PTOOL_REQUIRE_REDIS(url)                                       \
    const std::string url = test_redis_url();                          \
    if (url.empty()) {                                                 \
        GTEST_SKIP() << "TEST_REDIS_URL is not set: no Redis to test"; \
    }
// NOLINTEND(cppcoreguidelines-macro-usage,bugprone-macro-parentheses)

std::string unique_prefix() {
    std::random_device rd;
    return fmt::format("ptooltest:{:08x}{:08x}:", rd(), rd());
}

redis_cache::options options_for(std::string url, std::string prefix) {
    redis_cache::options o;
    o.url = std::move(url);
    o.prefix = std::move(prefix);
    return o;
}

// The value of counter/gauge `name{result="<result>"}` (or `name` when result is empty) in
// the rendered metrics; 0 when absent.
double metric(const metrics& m, const std::string& name, const std::string& result = {}) {
    const std::string series = result.empty() ? name + " " : name + "{result=\"" + result + "\"} ";
    std::istringstream in(m.render());
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(series)) {
            return std::stod(line.substr(series.size()));
        }
    }
    return 0;
}

// GCC 12 rejects a braced list of string literals inside a co_await expression ("array used as
// initializer"), so scope lists are built by plain calls.
std::vector<std::string> scope_list(const char* a) { return {a}; }
std::vector<std::string> scope_list(const char* a, const char* b) { return {a, b}; }

asio::awaitable<void> sleep_for(clock_type::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// Polls `pred` every 10 ms (these wait for another process or the network, not for a clock).
asio::awaitable<bool> eventually(std::function<bool()> pred, clock_type::duration limit) {
    const auto deadline = clock_type::now() + limit;
    while (!pred()) {
        if (clock_type::now() > deadline) {
            co_return false;
        }
        co_await sleep_for(10ms);
    }
    co_return true;
}

// A blocking hiredis connection for setting up and inspecting Redis beside the cache.
class sync_redis {
public:
    sync_redis(const std::string& host, int port) {
        const timeval tv{2, 0};
        c_ = redisConnectWithTimeout(host.c_str(), port, tv);
        if (c_ == nullptr || c_->err != 0) {
            const std::string why =
                c_ == nullptr ? "out of memory" : static_cast<const char*>(c_->errstr);
            if (c_ != nullptr) {
                redisFree(c_);
            }
            throw std::runtime_error("sync_redis: " + why);
        }
    }
    explicit sync_redis(const std::string& url) : sync_redis(host_of(url), port_of(url)) {
        auto u = boost::urls::parse_uri(url).value();
        if (u.has_password()) {
            cmd({"AUTH", u.password()});
        }
        const std::string path = u.path();
        if (path.size() > 1) {
            cmd({"SELECT", path.substr(1)});
        }
    }
    ~sync_redis() { redisFree(c_); }
    sync_redis(const sync_redis&) = delete;
    sync_redis& operator=(const sync_redis&) = delete;
    sync_redis(sync_redis&&) = delete;
    sync_redis& operator=(sync_redis&&) = delete;

    // The reply as text: strings/status as is, integers in decimal, "(nil)", "(error) ...",
    // arrays as comma-separated elements.
    std::string cmd(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lens.data())
        );
        if (r == nullptr) {
            throw std::runtime_error(
                std::string("sync_redis: ") + static_cast<const char*>(c_->errstr)
            );
        }
        std::string out = text(r);
        freeReplyObject(r);
        return out;
    }

    // Deletes every key starting with `prefix` (test hygiene on the shared Redis).
    void delete_prefix(const std::string& prefix) {
        cmd(
            {"EVAL",
             "local k = redis.call('KEYS', ARGV[1]) "
             "for i = 1, #k do redis.call('DEL', k[i]) end return #k",
             "0",
             prefix + "*"}
        );
    }

    static std::string host_of(const std::string& url) {
        return boost::urls::parse_uri(url).value().host_address();
    }
    static int port_of(const std::string& url) {
        auto u = boost::urls::parse_uri(url).value();
        return u.has_port() ? u.port_number() : 6379;
    }

private:
    static std::string text(const redisReply* r) {  // NOLINT(misc-no-recursion): arrays
        switch (r->type) {
            case REDIS_REPLY_STRING:
            case REDIS_REPLY_STATUS:
                return {r->str, r->len};
            case REDIS_REPLY_ERROR:
                return "(error) " + std::string(r->str, r->len);
            case REDIS_REPLY_INTEGER:
                return std::to_string(r->integer);
            case REDIS_REPLY_NIL:
                return "(nil)";
            case REDIS_REPLY_ARRAY: {
                std::string out;
                for (std::size_t i = 0; i < r->elements; ++i) {
                    out += (i == 0 ? "" : ",") + text(r->element[i]);  // NOLINT
                }
                return out;
            }
            default:
                return "?";
        }
    }

    redisContext* c_ = nullptr;
};

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("free_port: cannot bind");
    }
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

// A redis-server child on a free port of 127.0.0.1, without persistence; killed at the end.
class redis_server {
public:
    explicit redis_server(std::vector<std::string> extra = {})
        : port_(free_port()), extra_(std::move(extra)) {
        start();
    }
    ~redis_server() { stop(); }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;
    redis_server(redis_server&&) = delete;
    redis_server& operator=(redis_server&&) = delete;

    // Starts it (again, on the same port) and waits until it accepts connections.
    void start() {
        std::vector<std::string> args{
            "redis-server",
            "--port",
            std::to_string(port_),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        const int rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            throw std::runtime_error("cannot start redis-server");
        }
        const auto deadline = clock_type::now() + 10s;
        while (!port_accepts(port_)) {
            if (clock_type::now() > deadline) {
                stop();
                throw std::runtime_error("redis-server did not start listening");
            }
            std::this_thread::sleep_for(5ms);
        }
    }

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string url(
        const std::string& auth = {}, const std::string& host = "127.0.0.1"
    ) const {
        return fmt::format("redis://{}{}:{}/0", auth, host, port_);
    }

private:
    pid_t pid_ = -1;
    std::uint16_t port_;
    std::vector<std::string> extra_;
};

// Captures what platform::log writes while alive (single-threaded use: read after the run).
class log_capture {
public:
    log_capture() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        auto logger = std::make_shared<spdlog::logger>("redis_cache_pgtest", sink);
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
    }
    ~log_capture() { spdlog::set_default_logger(previous_); }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;
    log_capture(log_capture&&) = delete;
    log_capture& operator=(log_capture&&) = delete;

    std::string text() const { return out_.str(); }
    int count(const std::string& needle) const {
        const std::string all = text();
        int n = 0;
        for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) {
            ++n;
        }
        return n;
    }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

asio::awaitable<bool> wait_up(const redis_cache& cache, clock_type::duration limit = 5s) {
    co_return co_await eventually([&cache] { return cache.up(); }, limit);
}

// ---- hit, miss, put -------------------------------------------------------------------------

asio::awaitable<void> miss_put_hit(asio::any_io_executor ex, redis_cache::options o, metrics& m) {
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    EXPECT_EQ(metric(m, "ptool_cache_up"), 1);

    auto first = co_await cache.lookup("t1:a1", "2024-01");
    EXPECT_FALSE(first.value);
    PTOOL_CO_ASSERT_TRUE(first.stamp.has_value());
    EXPECT_EQ(*first.stamp, "0:0");  // fresh prefix: no epoch, no version yet

    co_await cache.put("t1:a1", *first.stamp, "2024-01", "schedule-1", 60s);
    auto second = co_await cache.lookup("t1:a1", "2024-01");
    PTOOL_CO_ASSERT_TRUE(second.value.has_value());
    EXPECT_EQ(*second.value, "schedule-1");
    EXPECT_EQ(second.stamp, first.stamp);

    // Another key, another scope: misses.
    EXPECT_FALSE((co_await cache.lookup("t1:a1", "2024-02")).value);
    EXPECT_FALSE((co_await cache.lookup("t1:a2", "2024-01")).value);

    // Binary-safe values; a malformed stamp is ignored.
    const std::string binary("a\0b\r\n:c", 7);
    co_await cache.put("t1:a1", *first.stamp, "bin", binary, 60s);
    EXPECT_EQ((co_await cache.lookup("t1:a1", "bin")).value, binary);
    co_await cache.put("t1:a1", "garbage", "bad", "x", 60s);
    EXPECT_FALSE((co_await cache.lookup("t1:a1", "bad")).value);
}

TEST(RedisCacheTest, MissThenPutThenHitAndMetrics) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    metrics m;
    run_test(1, [&](asio::any_io_executor ex) {
        return miss_put_hit(std::move(ex), options_for(url, prefix), m);
    });
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "hit"), 2);
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "miss"), 4);
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_up"), 0);  // closed with the cache
    sync_redis(url).delete_prefix(prefix);
}

// ---- invalidation ---------------------------------------------------------------------------

asio::awaitable<void> invalidate_hides(
    asio::any_io_executor ex, redis_cache::options o, metrics& m
) {
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto before = co_await cache.lookup("t:a", "k");
    PTOOL_CO_ASSERT_TRUE(before.stamp.has_value());
    co_await cache.put("t:a", *before.stamp, "k", "old", 60s);
    const auto other_before = co_await cache.lookup("t:b", "k");
    PTOOL_CO_ASSERT_TRUE(other_before.stamp.has_value());
    co_await cache.put("t:b", *other_before.stamp, "k", "other", 60s);
    PTOOL_CO_ASSERT_EQ(
        (co_await cache.lookup("t:a", "k")).value, std::optional<std::string>("old")
    );

    // A reader takes its stamp, then a writer commits and invalidates, then the reader files
    // what it computed from the old data.
    const auto racing = co_await cache.lookup("t:a", "k2");
    PTOOL_CO_ASSERT_TRUE(racing.stamp.has_value());
    co_await cache.invalidate(scope_list("t:a"));

    const auto after = co_await cache.lookup("t:a", "k");
    EXPECT_FALSE(after.value);  // the old entry is unreachable
    PTOOL_CO_ASSERT_TRUE(after.stamp.has_value());
    EXPECT_NE(*after.stamp, *before.stamp);
    EXPECT_EQ(*after.stamp, "0:1");

    co_await cache.put("t:a", *racing.stamp, "k2", "stale", 60s);
    EXPECT_FALSE((co_await cache.lookup("t:a", "k2")).value);  // filed where nobody looks

    co_await cache.put("t:a", *after.stamp, "k", "new", 60s);
    EXPECT_EQ((co_await cache.lookup("t:a", "k")).value, std::optional<std::string>("new"));
    // Other scopes keep their entries.
    EXPECT_EQ((co_await cache.lookup("t:b", "k")).value, std::optional<std::string>("other"));

    // Several scopes in one call; an empty list is a no-op.
    co_await cache.invalidate(scope_list("t:a", "t:b"));
    co_await cache.invalidate(std::vector<std::string>());
    EXPECT_FALSE((co_await cache.lookup("t:a", "k")).value);
    EXPECT_FALSE((co_await cache.lookup("t:b", "k")).value);
    EXPECT_TRUE(cache.up());
}

TEST(RedisCacheTest, InvalidateMakesOlderEntriesAndStampsUnreachable) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    metrics m;
    run_test(1, [&](asio::any_io_executor ex) {
        return invalidate_hides(std::move(ex), options_for(url, prefix), m);
    });
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "ok"), 2);
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "error"), 0);
    sync_redis redis(url);
    EXPECT_EQ(redis.cmd({"GET", prefix + "v:t:a"}), "2");
    EXPECT_EQ(redis.cmd({"GET", prefix + "v:t:b"}), "1");
    redis.delete_prefix(prefix);
}

asio::awaitable<void> two_instances(asio::any_io_executor ex, redis_cache::options o) {
    metrics ma;
    metrics mb;
    redis_cache a(ex, o, ma);
    redis_cache b(ex, o, mb);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(a));
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(b));
    const auto miss = co_await a.lookup("t:x", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    co_await a.put("t:x", *miss.stamp, "k", "from-a", 60s);
    EXPECT_EQ((co_await b.lookup("t:x", "k")).value, std::optional<std::string>("from-a"));

    co_await b.invalidate(scope_list("t:x"));
    const auto after = co_await a.lookup("t:x", "k");
    EXPECT_FALSE(after.value);
    PTOOL_CO_ASSERT_TRUE(after.stamp.has_value());
    co_await a.put("t:x", *after.stamp, "k", "again", 60s);
    EXPECT_EQ((co_await b.lookup("t:x", "k")).value, std::optional<std::string>("again"));
    co_await a.invalidate(scope_list("t:x"));
    EXPECT_FALSE((co_await b.lookup("t:x", "k")).value);
}

TEST(RedisCacheTest, TwoInstancesSeeEachOthersInvalidations) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    run_test(1, [&](asio::any_io_executor ex) {
        return two_instances(std::move(ex), options_for(url, prefix));
    });
    sync_redis(url).delete_prefix(prefix);
}

// ---- expiry ---------------------------------------------------------------------------------

asio::awaitable<void> expires(asio::any_io_executor ex, redis_cache::options o, metrics& m) {
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto miss = co_await cache.lookup("t:e", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    const auto put_at = clock_type::now();
    co_await cache.put("t:e", *miss.stamp, "k", "v", 1s);
    co_await cache.put("t:e", *miss.stamp, "zero", "v", 0s);  // raised to the 1 s minimum
    EXPECT_TRUE((co_await cache.lookup("t:e", "k")).value);
    EXPECT_TRUE((co_await cache.lookup("t:e", "zero")).value);
    bool gone = false;
    while (!gone && clock_type::now() - put_at < 2500ms) {
        co_await sleep_for(100ms);
        gone = !(co_await cache.lookup("t:e", "k")).value;
    }
    EXPECT_TRUE(gone);
    EXPECT_GE(clock_type::now() - put_at, 900ms);
    EXPECT_FALSE((co_await cache.lookup("t:e", "zero")).value);
}

TEST(RedisCacheTest, EntriesExpireAfterTheirTtl) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    metrics m;
    run_test(1, [&](asio::any_io_executor ex) {
        return expires(std::move(ex), options_for(url, prefix), m);
    });
    sync_redis(url).delete_prefix(prefix);
}

// ---- disabled, unreachable, bad configuration -----------------------------------------------

asio::awaitable<void> disabled(asio::any_io_executor ex, metrics& m) {
    redis_cache cache(ex, redis_cache::options{}, m);
    EXPECT_FALSE(cache.up());
    for (int i = 0; i < 3; ++i) {
        const auto r = co_await cache.lookup("t:a", "k");
        EXPECT_FALSE(r.value);
        EXPECT_FALSE(r.stamp);
    }
    co_await cache.put("t:a", "0:0", "k", "v", 60s);
    co_await cache.invalidate(scope_list("t:a"));
    EXPECT_FALSE((co_await cache.lookup("t:a", "k")).value);
    cache.close();
    cache.close();
    EXPECT_FALSE((co_await cache.lookup("t:a", "k")).value);
}

TEST(RedisCacheTest, DisabledIsAlwaysAMissAndWritesAreNoOps) {
    metrics m;
    run_test(1, [&m](asio::any_io_executor ex) { return disabled(std::move(ex), m); });
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "miss"), 4);
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "ok"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "error"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_up"), 0);
}

asio::awaitable<void> unreachable(asio::any_io_executor ex, metrics& m) {
    redis_cache::options o = options_for("redis://127.0.0.1:1/0", unique_prefix());
    redis_cache cache(ex, o, m);
    for (int round = 0; round < 5; ++round) {
        const auto start = clock_type::now();
        const auto r = co_await cache.lookup("t:a", "k");
        EXPECT_LT(clock_type::now() - start, 50ms);
        EXPECT_FALSE(r.value);
        EXPECT_FALSE(r.stamp);
        co_await cache.put("t:a", "0:0", "k", "v", 60s);
        co_await cache.invalidate(scope_list("t:a"));
        EXPECT_LT(clock_type::now() - start, 100ms);
        EXPECT_FALSE(cache.up());
        co_await sleep_for(100ms);  // let reconnect attempts fail meanwhile
    }
}

TEST(RedisCacheTest, UnreachableRedisAnswersMissAtOnce) {
    log_capture logs;
    metrics m;
    run_test(1, [&m](asio::any_io_executor ex) { return unreachable(std::move(ex), m); });
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 5);
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "error"), 5);
    EXPECT_EQ(metric(m, "ptool_cache_up"), 0);
    // Several failed attempts, one warning.
    EXPECT_EQ(logs.count("redis unavailable"), 1) << logs.text();
    EXPECT_EQ(logs.count("serving from PostgreSQL"), 1) << logs.text();
}

TEST(RedisCacheTest, MalformedUrlThrowsWithoutQuotingIt) {
    asio::io_context ioc;
    metrics m;
    for (const std::string url :
         {"localhost:6379",
          "http://localhost:6379",
          "rediss://:hunter2@localhost",
          "redis://:hunter2@",
          "redis://:hunter2@host:99999",
          "redis://:hunter2@host/zero",
          "redis://:hunter2@host/0?ssl=true",
          "redis://hunter2@host"}) {
        try {
            redis_cache cache(ioc.get_executor(), options_for(url, "p:"), m);
            ADD_FAILURE() << "accepted " << url;
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
        }
    }
    // Accepted forms (nothing is running the io_context: they never connect).
    for (const std::string url :
         {"redis://localhost",
          "REDIS://127.0.0.1:6380",
          "redis://:pw@[::1]:6379/2",
          "redis://user:pw@host/",
          "redis://host:6379/15"}) {
        EXPECT_NO_THROW(redis_cache(ioc.get_executor(), options_for(url, "p:"), m)) << url;
    }
}

// ---- outages --------------------------------------------------------------------------------

asio::awaitable<void> restart(
    asio::any_io_executor ex, redis_server& server, std::string prefix, metrics& m
) {
    redis_cache::options o = options_for(server.url(), prefix);
    o.reconnect_max = 300ms;
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto miss = co_await cache.lookup("t:r", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    co_await cache.put("t:r", *miss.stamp, "k", "v", 60s);
    PTOOL_CO_ASSERT_TRUE((co_await cache.lookup("t:r", "k")).value.has_value());

    server.stop();
    // The first lookups may still go to the dead connection; none hangs, all miss.
    for (int i = 0; i < 10; ++i) {
        const auto start = clock_type::now();
        const auto r = co_await cache.lookup("t:r", "k");
        EXPECT_LT(clock_type::now() - start, 300ms);
        EXPECT_FALSE(r.value);
        EXPECT_FALSE(r.stamp);
    }
    EXPECT_FALSE(cache.up());
    EXPECT_GE(metric(m, "ptool_cache_requests_total", "error"), 10);
    co_await cache.invalidate(scope_list("t:r"));  // lost: owes an epoch bump
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "error"), 1);
    co_await sleep_for(500ms);  // a few failed reconnects
    EXPECT_FALSE(cache.up());

    server.start();
    const auto restarted = clock_type::now();
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache, 5s));
    EXPECT_LT(clock_type::now() - restarted, 2s);  // back-off capped at reconnect_max
    // A fresh server (no persistence): the epoch was bumped to 1 before serving.
    EXPECT_EQ(sync_redis("127.0.0.1", server.port()).cmd({"GET", prefix + "epoch"}), "1");
    const auto after = co_await cache.lookup("t:r", "k");
    EXPECT_FALSE(after.value);
    EXPECT_EQ(after.stamp, std::optional<std::string>("1:0"));
}

TEST(RedisCacheTest, ReconnectsAfterRedisRestartsAndBumpsTheEpoch) {
    PTOOL_REQUIRE_REDIS(url);
    redis_server server;
    log_capture logs;
    metrics m;
    const auto prefix = unique_prefix();
    run_test(1, [&](asio::any_io_executor ex) {
        return restart(std::move(ex), server, prefix, m);
    });
    EXPECT_EQ(logs.count("redis unavailable"), 1) << logs.text();
    EXPECT_EQ(logs.count("redis available again"), 1) << logs.text();
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "hit"), 1);
}

asio::awaitable<void> slow(
    asio::any_io_executor ex, redis_server& server, std::string prefix, metrics& m
) {
    redis_cache::options o = options_for(server.url(), prefix);
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto miss = co_await cache.lookup("t:s", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    EXPECT_EQ(*miss.stamp, "0:0");
    co_await cache.put("t:s", *miss.stamp, "k", "before", 60s);
    PTOOL_CO_ASSERT_TRUE((co_await cache.lookup("t:s", "k")).value.has_value());

    // Redis stalls for longer than command_timeout (100 ms) but keeps its data.
    sync_redis admin("127.0.0.1", server.port());
    PTOOL_CO_ASSERT_EQ(admin.cmd({"CLIENT", "PAUSE", "400"}), "OK");
    const auto start = clock_type::now();
    const auto stalled = co_await cache.lookup("t:s", "k");
    const auto waited = clock_type::now() - start;
    EXPECT_FALSE(stalled.value);
    EXPECT_FALSE(stalled.stamp);
    EXPECT_GE(waited, 90ms);
    EXPECT_LT(waited, 350ms);
    EXPECT_FALSE(cache.up());
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 1);
    // While down: misses at once, writes are dropped.
    const auto start2 = clock_type::now();
    EXPECT_FALSE((co_await cache.lookup("t:s", "k")).stamp);
    co_await cache.put("t:s", *miss.stamp, "k2", "during", 60s);
    EXPECT_LT(clock_type::now() - start2, 50ms);

    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache, 5s));
    // The entry filed before the failure is still in Redis, but under the old epoch.
    EXPECT_EQ(admin.cmd({"GET", prefix + "c:t:s:k"}), "0:0\nbefore");  // stamped with the old epoch
    EXPECT_EQ(admin.cmd({"GET", prefix + "epoch"}), "1");
    const auto after = co_await cache.lookup("t:s", "k");
    EXPECT_FALSE(after.value);
    EXPECT_EQ(after.stamp, std::optional<std::string>("1:0"));
    // A stamp from before the failure files a value nobody finds.
    co_await cache.put("t:s", *miss.stamp, "k", "stale", 60s);
    EXPECT_FALSE((co_await cache.lookup("t:s", "k")).value);
    co_await cache.put("t:s", *after.stamp, "k", "fresh", 60s);
    EXPECT_EQ((co_await cache.lookup("t:s", "k")).value, std::optional<std::string>("fresh"));
}

TEST(RedisCacheTest, SlowRedisCountsAsDownAndTheEpochIsBumpedBeforeServingAgain) {
    PTOOL_REQUIRE_REDIS(url);
    redis_server server;
    log_capture logs;
    metrics m;
    const auto prefix = unique_prefix();
    run_test(1, [&](asio::any_io_executor ex) { return slow(std::move(ex), server, prefix, m); });
    EXPECT_EQ(logs.count("redis unavailable"), 1) << logs.text();
    EXPECT_EQ(logs.count("redis available again"), 1) << logs.text();
}

asio::awaitable<void> cancelled(asio::any_io_executor ex, redis_server& server, metrics& m) {
    using namespace asio::experimental::awaitable_operators;
    redis_cache::options o = options_for(server.url(), unique_prefix());
    o.command_timeout = 2s;  // the pause below must not count as a failure
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto miss = co_await cache.lookup("t:q", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    co_await cache.put("t:q", *miss.stamp, "k", "v", 60s);

    sync_redis admin("127.0.0.1", server.port());
    PTOOL_CO_ASSERT_EQ(admin.cmd({"CLIENT", "PAUSE", "300"}), "OK");
    const auto start = clock_type::now();
    asio::steady_timer timer(ex, 20ms);
    auto raced = co_await (cache.lookup("t:q", "k") || timer.async_wait(asio::use_awaitable));
    EXPECT_EQ(raced.index(), 1U);  // the timer won; the lookup was cancelled
    EXPECT_LT(clock_type::now() - start, 250ms);
    EXPECT_TRUE(cache.up());  // a cancellation is not a Redis failure

    // After the pause the connection still works: the cancelled command's late reply is
    // dropped, the next lookup gets its own.
    const auto hit = co_await cache.lookup("t:q", "k");
    EXPECT_EQ(hit.value, std::optional<std::string>("v"));
    EXPECT_TRUE(cache.up());
}

TEST(RedisCacheTest, CancelledLookupReturnsAtOnceAndKeepsTheConnection) {
    PTOOL_REQUIRE_REDIS(url);
    redis_server server;
    metrics m;
    run_test(1, [&](asio::any_io_executor ex) { return cancelled(std::move(ex), server, m); });
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "hit"), 1);
}

// ---- authentication, database, host names ---------------------------------------------------

asio::awaitable<void> auth_db(asio::any_io_executor ex, redis_server& server, std::string prefix) {
    metrics m1;
    metrics m2;
    metrics m3;
    const auto base = fmt::format("localhost:{}/3", server.port());
    redis_cache good(ex, options_for("redis://:s3cret-pw@" + base, prefix), m1);
    redis_cache acl(ex, options_for("redis://default:s3cret-pw@" + base, prefix), m2);
    redis_cache wrong(ex, options_for("redis://:wrong-pw@" + base, prefix), m3);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(good));
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(acl));
    const auto miss = co_await good.lookup("t:p", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    co_await good.put("t:p", *miss.stamp, "k", "v", 60s);
    EXPECT_EQ((co_await acl.lookup("t:p", "k")).value, std::optional<std::string>("v"));

    sync_redis admin("127.0.0.1", server.port());
    EXPECT_EQ(admin.cmd({"AUTH", "s3cret-pw"}), "OK");
    EXPECT_EQ(admin.cmd({"SELECT", "3"}), "OK");
    EXPECT_EQ(admin.cmd({"GET", prefix + "c:t:p:k"}), "0:0\nv");
    EXPECT_EQ(admin.cmd({"SELECT", "0"}), "OK");
    EXPECT_EQ(admin.cmd({"DBSIZE"}), "0");

    co_await sleep_for(300ms);
    EXPECT_FALSE(wrong.up());
    EXPECT_FALSE((co_await wrong.lookup("t:p", "k")).value);
}

TEST(RedisCacheTest, AuthSelectAndHostNameResolution) {
    PTOOL_REQUIRE_REDIS(url);
    redis_server server({"--requirepass", "s3cret-pw"});
    log_capture logs;
    const auto prefix = unique_prefix();
    run_test(1, [&](asio::any_io_executor ex) { return auth_db(std::move(ex), server, prefix); });
    EXPECT_EQ(logs.count("redis unavailable"), 1) << logs.text();  // the wrong password
    EXPECT_EQ(logs.count("WRONGPASS"), 1) << logs.text();
    EXPECT_EQ(logs.count("s3cret-pw"), 0) << logs.text();
    EXPECT_EQ(logs.count("wrong-pw"), 0) << logs.text();
}

// ---- concurrency, close, shutdown -----------------------------------------------------------

struct concurrent_state {
    std::atomic<int> remaining{0};
    std::atomic<int> hits{0};
    std::atomic<int> misses{0};
    std::atomic<int> wrong{0};
};

asio::awaitable<void> concurrent_worker(
    redis_cache& cache, int n, std::string big, concurrent_state& state
) {
    for (int j = 0; j < 5; ++j) {
        const bool want_hit = (n + j) % 2 == 0;
        // Built outside the co_await: GCC 12 destroys a ?: temporary inside one wrongly
        // (ASan: bad-free in the awaited coroutine's frame).
        std::string key = want_hit ? std::string("big") : fmt::format("none-{}-{}", n, j);
        const auto r = co_await cache.lookup("t:big", std::move(key));
        if (want_hit) {
            state.hits += r.value ? 1 : 0;
            state.wrong += r.value && *r.value != big ? 1 : 0;
        } else {
            state.misses += !r.value && r.stamp ? 1 : 0;
        }
    }
    if (--state.remaining == 0) {
        cache.close();
    }
}

asio::awaitable<void> concurrent_main(
    test_loop& loop, redis_cache& cache, int workers, concurrent_state& state
) {
    std::string big(std::size_t{256} * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) {
        big[i] = static_cast<char>('a' + (i / 4096) % 26);
    }
    bool ok = co_await wait_up(cache);
    std::optional<std::string> stamp;
    if (ok) {
        stamp = (co_await cache.lookup("t:big", "big")).stamp;
        ok = stamp.has_value();
    }
    if (!ok) {
        ADD_FAILURE() << "redis cache did not come up";
        cache.close();
        co_return;
    }
    co_await cache.put("t:big", *stamp, "big", big, 60s);
    state.remaining = workers;
    for (int i = 0; i < workers; ++i) {
        loop.spawn(concurrent_worker(cache, i, big, state));
    }
}

TEST(RedisCacheTest, ConcurrentLookupsFromManyStrandsAndLargeValues) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    test_loop loop;
    metrics m;
    redis_cache::options o = options_for(url, prefix);
    o.command_timeout = 5s;  // 100 lookups of a 256 KiB value under ASan
    redis_cache cache(loop.executor(), o, m);
    concurrent_state state;
    constexpr int workers = 20;
    loop.spawn(concurrent_main(loop, cache, workers, state));
    loop.run(2);
    EXPECT_EQ(state.hits.load(), workers * 5 / 2);
    EXPECT_EQ(state.misses.load(), workers * 5 / 2);
    EXPECT_EQ(state.wrong.load(), 0);
    EXPECT_EQ(metric(m, "ptool_cache_requests_total", "error"), 0);
    sync_redis(url).delete_prefix(prefix);
}

asio::awaitable<void> closing(asio::any_io_executor ex, redis_cache::options o, metrics& m) {
    redis_cache cache(ex, o, m);
    PTOOL_CO_ASSERT_TRUE(co_await wait_up(cache));
    const auto miss = co_await cache.lookup("t:c", "k");
    PTOOL_CO_ASSERT_TRUE(miss.stamp.has_value());
    co_await cache.put("t:c", *miss.stamp, "k", "v", 60s);
    cache.close();
    EXPECT_FALSE(cache.up());
    const auto r = co_await cache.lookup("t:c", "k");
    EXPECT_FALSE(r.value);
    EXPECT_FALSE(r.stamp);
    co_await cache.put("t:c", *miss.stamp, "k", "after", 60s);
    co_await cache.invalidate(scope_list("t:c"));
    cache.close();
    co_await sleep_for(200ms);  // it stays closed: no reconnect
    EXPECT_FALSE(cache.up());
}

TEST(RedisCacheTest, CloseMakesLaterCallsNoOpsAndIsIdempotent) {
    PTOOL_REQUIRE_REDIS(url);
    const auto prefix = unique_prefix();
    metrics m;
    run_test(1, [&](asio::any_io_executor ex) {
        return closing(std::move(ex), options_for(url, prefix), m);
    });
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "ok"), 0);
    EXPECT_EQ(metric(m, "ptool_cache_invalidations_total", "error"), 0);
    sync_redis redis(url);
    EXPECT_EQ(redis.cmd({"GET", prefix + "c:t:c:k"}), "0:0\nv");
    EXPECT_EQ(redis.cmd({"GET", prefix + "v:t:c"}), "(nil)");
    redis.delete_prefix(prefix);
}

asio::awaitable<void> lookup_once(redis_cache& cache, bool& finished) {
    co_await cache.lookup("t:d", "k");
    finished = true;
}

// The io_context stops with a command in flight, the cache is destroyed, then the io_context:
// everything (hiredis context, coroutine frames) must be freed, nothing touched after free.
TEST(RedisCacheTest, DestroyedAfterTheIoContextStoppedWithACommandInFlight) {
    PTOOL_REQUIRE_REDIS(url);
    redis_server server;
    metrics m;
    bool finished = false;
    {
        asio::io_context ioc;
        auto cache = std::make_unique<redis_cache>(
            ioc.get_executor(), options_for(server.url(), unique_prefix()), m
        );
        const auto deadline = clock_type::now() + 5s;
        while (!cache->up() && clock_type::now() < deadline) {
            ioc.restart();
            ioc.run_for(10ms);
        }
        ASSERT_TRUE(cache->up());
        EXPECT_EQ(sync_redis("127.0.0.1", server.port()).cmd({"CLIENT", "PAUSE", "500"}), "OK");
        asio::co_spawn(ioc, lookup_once(*cache, finished), asio::detached);
        ioc.restart();
        ioc.run_for(30ms);
        ioc.stop();
        cache.reset();
    }
    EXPECT_FALSE(finished);
}

}  // namespace
}  // namespace ptool::platform
