// ptool: the booking engine's single binary. Sub-commands live in src/cli/, one file each.

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"ptool - Production Tool 2.0 booking engine"};
    app.require_subcommand(1);
    int exit_code = 0;
    ptool::cli::add_serve(app, exit_code);
    ptool::cli::add_migrate(app, exit_code);
    ptool::cli::add_tenant(app, exit_code);
    ptool::cli::add_token(app, exit_code);
    ptool::cli::add_seed_demo(app, exit_code);
    ptool::cli::add_verify_events(app, exit_code);
    CLI11_PARSE(app, argc, argv);
    return exit_code;
}
