// Helpers shared by the short-lived sub-commands.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/commands.hpp"

namespace ptool::cli {

void run_to_completion(const std::function<boost::asio::awaitable<void>()>& main) {
    boost::asio::io_context ioc;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, main(), [&failure](std::exception_ptr e) { failure = std::move(e); });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

std::chrono::seconds parse_ttl(const std::string& s) {
    if (s.empty()) throw CLI::ValidationError("--ttl", "empty duration");
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(s, &used);
    } catch (const std::exception&) {
        throw CLI::ValidationError("--ttl", "expected e.g. 8h, 30m, 45s or 2d");
    }
    std::string unit = s.substr(used);
    long long mult = 0;
    if (unit.empty() || unit == "s") mult = 1;
    else if (unit == "m") mult = 60;
    else if (unit == "h") mult = 3600;
    else if (unit == "d") mult = 86400;
    if (mult == 0 || n <= 0) throw CLI::ValidationError("--ttl", "expected e.g. 8h, 30m, 45s or 2d");
    return std::chrono::seconds(n * mult);
}

}  // namespace ptool::cli
