#pragma once
// Service configuration, parsed once from flags and environment in cli/serve.cpp.

#include <chrono>
#include <cstdint>
#include <string>

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
};

// Returns the environment variable or `fallback` when unset or empty.
std::string env_or(const char* name, std::string fallback = {});

}  // namespace ptool::platform
