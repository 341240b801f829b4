#pragma once
// Registration of ptool's sub-commands on the CLI11 app. Each callback stores its process
// exit status in `exit_code`; errors are printed to stderr, results to stdout (the value a
// script wants - a tenant id, a token - alone on the last line).

#include <CLI/App.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace ptool::cli {

void add_serve(CLI::App& app, int& exit_code);
void add_migrate(CLI::App& app, int& exit_code);
void add_tenant(CLI::App& app, int& exit_code);
void add_token(CLI::App& app, int& exit_code);
void add_seed_demo(CLI::App& app, int& exit_code);
void add_verify_events(CLI::App& app, int& exit_code);

// Runs `main` on a private single-threaded io_context until it finishes; rethrows its
// exception. For the short-lived sub-commands, never for serve.
void run_to_completion(const std::function<boost::asio::awaitable<void>()>& main);

// "8h", "30m", "45s", "2d" or plain seconds; throws CLI::ValidationError otherwise.
std::chrono::seconds parse_ttl(const std::string& s);

}  // namespace ptool::cli
