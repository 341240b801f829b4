#pragma once
// Service configuration, parsed once from flags and environment in cli/serve.cpp.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ptool::platform {

struct config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned threads = 0;  // 0 = one per core
    std::string database_url;
    std::string redis_url;
    std::string jwt_secret;
    std::string log_level = "info";
    std::size_t db_pool_size = 16;
    bool test_clock = false;
    std::chrono::seconds shutdown_timeout{10};
    // Real time (Engine.IO): heartbeat, and the bytes queued towards one client before it is
    // dropped as too slow. Browser origins allowed to reach /socket.io/ cross-origin (the web
    // app's Vite dev server).
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::size_t realtime_max_buffer = 4 * 1024 * 1024;
    std::vector<std::string> cors_origins = {"http://localhost:5173", "http://127.0.0.1:5173"};
    // The web app's build output (apps/web/dist) served at "/"; empty = API only.
    std::string web_root;
};

// Returns the environment variable or `fallback` when unset or empty.
std::string env_or(const char* name, std::string fallback = {});

}  // namespace ptool::platform
