// `ptool verify-events [--tenant T]`: replays booking_events and reports every booking whose
// replayed state differs from its row (SPEC §6). Exit 0 clean, 1 differences, 2 could not run.

#include "usecase/verify_events.hpp"

#include <boost/algorithm/string/join.hpp>
#include <boost/asio/this_coro.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "platform/config.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::cli {

namespace {

boost::asio::awaitable<void> verify(
    std::string conninfo, usecase::verify_options options, usecase::verify_summary* out
) {
    auto ex = co_await boost::asio::this_coro::executor;
    platform::pg_pool pool(ex, platform::pg_pool::options{.conninfo = conninfo, .max_size = 1});
    auto print = [](const usecase::booking_difference& d) {
        std::cout << "tenant " << d.tenant_id << " booking " << d.booking_id << ": "
                  << boost::algorithm::join(d.problems, "; ") << '\n';
    };
    // Built before co_await: GCC 12 may destroy a temporary made inside it twice.
    std::function<void(const usecase::booking_difference&)> sink = print;
    std::exception_ptr failure;
    try {
        *out = co_await usecase::verify_events(pool, std::move(options), std::move(sink));
    } catch (...) {
        failure = std::current_exception();
    }
    pool.close();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

}  // namespace

void add_verify_events(CLI::App& app, int& exit_code) {
    auto tenant = std::make_shared<std::string>();
    auto url = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "verify-events",
        "Replay booking_events and report bookings whose replayed state differs from their row "
        "(exit 0 clean, 1 differences, 2 could not run)"
    );
    cmd->add_option("--tenant", *tenant, "Only this tenant (default: every tenant)");
    cmd->add_option("--database-url", *url, "Connection URL (default: $DATABASE_URL)");
    cmd->callback([tenant, url, &exit_code] {
        const std::string conninfo = !url->empty() ? *url : platform::env_or("DATABASE_URL");
        if (conninfo.empty()) {
            std::cerr << "ptool verify-events: DATABASE_URL is not set\n";
            exit_code = 2;
            return;
        }
        usecase::verify_options options;
        if (!tenant->empty()) {
            options.tenant_id = *tenant;
        }
        usecase::verify_summary s;
        try {
            run_to_completion([&] { return verify(conninfo, options, &s); });
        } catch (const std::exception& e) {
            std::cerr << "ptool verify-events: " << e.what() << '\n';
            exit_code = 2;
            return;
        }
        std::cout.flush();
        if (s.differing_bookings == 0) {
            std::cout << "verify-events: clean: " << s.bookings << " bookings, " << s.events
                      << " events, " << s.tenants << " tenants\n";
            return;
        }
        std::cout << "verify-events: " << s.differing_bookings << " of " << s.bookings
                  << " bookings differ from their events (" << s.events << " events, " << s.tenants
                  << " tenants)\n";
        exit_code = 1;
    });
}

}  // namespace ptool::cli
