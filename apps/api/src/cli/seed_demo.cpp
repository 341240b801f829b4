// `ptool seed-demo`: the demo tenant of scripts/run (fixed id, so it is idempotent), with a
// few artists in different time zones and a project. Prints the tenant id last.

#include <boost/asio/this_coro.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "platform/config.hpp"
#include "platform/pg_pool.hpp"
#include "usecase/demo.hpp"

namespace ptool::cli {

namespace {

boost::asio::awaitable<void> seed(std::string conninfo) {
    auto ex = co_await boost::asio::this_coro::executor;
    platform::pg_pool pool(ex, platform::pg_pool::options{.conninfo = conninfo, .max_size = 1});
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    co_await usecase::seed_demo(pool, now);
    pool.close();
}

}  // namespace

void add_seed_demo(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("seed-demo", "Create the demo tenant, artists and project (idempotent)");
    cmd->callback([&exit_code] {
        auto conninfo = platform::env_or("DATABASE_URL");
        if (conninfo.empty()) {
            std::cerr << "ptool seed-demo: DATABASE_URL is not set\n";
            exit_code = 2;
            return;
        }
        try {
            run_to_completion([&] { return seed(conninfo); });
        } catch (const std::exception& e) {
            std::cerr << "ptool seed-demo: " << e.what() << '\n';
            exit_code = 1;
            return;
        }
        std::cout << "demo tenant \"" << usecase::demo_tenant_name << "\"\n" << usecase::demo_tenant_id << '\n';
    });
}

}  // namespace ptool::cli
