// JSON-lines logger on top of spdlog: spdlog owns sinks, levels and thread safety;
// we only shape each line as a JSON object so logs are machine-readable.

#include "platform/log.hpp"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <date/date.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ptool::platform {

void init_logging(std::string_view level) {
    auto logger = spdlog::stdout_logger_mt("ptool");
    logger->set_pattern("%v");
    auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") {
        lvl = spdlog::level::info;
    }
    logger->set_level(lvl);
    logger->flush_on(spdlog::level::trace);  // lines must reach pipes (tests read the port) at once
    spdlog::set_default_logger(std::move(logger));
}

void log(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields) {
    auto logger = spdlog::default_logger_raw();
    if (logger == nullptr || !logger->should_log(level)) {
        return;
    }
    boost::json::object line;
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now()
    );
    line["ts"] = date::format("%FT%TZ", now);
    line["level"] = spdlog::level::to_string_view(level).data();
    line["msg"] = msg;
    for (auto& [k, v] : fields) {
        line[k] = std::move(v);
    }
    logger->log(level, "{}", boost::json::serialize(line));
}

}  // namespace ptool::platform
