// `ptool tenant create --name N`: creates a tenant with default settings and prints its
// UUID alone on the last line.

#include <boost/asio/this_coro.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "platform/config.hpp"
#include "platform/pg_pool.hpp"
#include "usecase/tenants.hpp"

namespace ptool::cli {

namespace {

boost::asio::awaitable<void> create(std::string conninfo, std::string name, std::string* out) {
    auto ex = co_await boost::asio::this_coro::executor;
    platform::pg_pool pool(ex, platform::pg_pool::options{.conninfo = conninfo, .max_size = 1});
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    *out = co_await usecase::create_tenant(pool, name, now);
    pool.close();
}

}  // namespace

void add_tenant(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("tenant", "Manage tenants");
    cmd->require_subcommand(1);
    auto name = std::make_shared<std::string>();
    auto* create_cmd = cmd->add_subcommand("create", "Create a tenant; prints its id");
    create_cmd->add_option("--name", *name, "Tenant name")->required();
    create_cmd->callback([name, &exit_code] {
        auto conninfo = platform::env_or("DATABASE_URL");
        if (conninfo.empty()) {
            std::cerr << "ptool tenant create: DATABASE_URL is not set\n";
            exit_code = 2;
            return;
        }
        if (name->empty() || name->size() > 200) {
            std::cerr << "ptool tenant create: --name must be 1 to 200 characters\n";
            exit_code = 2;
            return;
        }
        std::string id;
        try {
            run_to_completion([&] { return create(conninfo, *name, &id); });
        } catch (const std::exception& e) {
            std::cerr << "ptool tenant create: " << e.what() << '\n';
            exit_code = 1;
            return;
        }
        std::cout << "created tenant \"" << *name << "\"\n" << id << '\n';
    });
}

}  // namespace ptool::cli
