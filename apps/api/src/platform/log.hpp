#pragma once
// Structured logging: one JSON object per line on stdout, through spdlog.
// Never pass secrets (tokens, passwords) as fields; callers own that rule.

#include <boost/json/object.hpp>
#include <spdlog/common.h>
#include <string_view>

namespace ptool::platform {

// Sets up the process-wide logger; `level` is a spdlog level name ("info", "debug"...).
// Unknown names fall back to info. Thread-safe after this call.
void init_logging(std::string_view level);

// Writes {"ts","level","msg", ...fields} as one line. Thread-safe.
void log(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields = {});

inline void log_info(std::string_view msg, boost::json::object fields = {}) {
    log(spdlog::level::info, msg, std::move(fields));
}
inline void log_warn(std::string_view msg, boost::json::object fields = {}) {
    log(spdlog::level::warn, msg, std::move(fields));
}
inline void log_error(std::string_view msg, boost::json::object fields = {}) {
    log(spdlog::level::err, msg, std::move(fields));
}
inline void log_debug(std::string_view msg, boost::json::object fields = {}) {
    log(spdlog::level::debug, msg, std::move(fields));
}

}  // namespace ptool::platform
