// `ptool migrate`: applies apps/api/migrations (embedded) as the owner role
// (DATABASE_OWNER_URL, falling back to DATABASE_URL).

#include <iostream>

#include "cli/commands.hpp"
#include "platform/config.hpp"
#include "store/embedded_migrations.hpp"
#include "store/migrator.hpp"

namespace ptool::cli {

void add_migrate(CLI::App& app, int& exit_code) {
    auto url = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("migrate", "Apply pending database migrations (owner role)");
    cmd->add_option("--database-url", *url, "Owner connection URL (default: $DATABASE_OWNER_URL)");
    cmd->callback([url, &exit_code] {
        std::string conninfo = !url->empty() ? *url : platform::env_or("DATABASE_OWNER_URL", platform::env_or("DATABASE_URL"));
        if (conninfo.empty()) {
            std::cerr << "ptool migrate: set DATABASE_OWNER_URL (the owner role's connection URL)\n";
            exit_code = 2;
            return;
        }
        try {
            store::migrate(conninfo, store::embedded_migrations(), std::cout);
        } catch (const std::exception& e) {
            std::cerr << "ptool migrate: " << e.what() << '\n';
            exit_code = 1;
        }
    });
}

}  // namespace ptool::cli
