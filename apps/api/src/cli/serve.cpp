// `ptool serve`: wires configuration, database pool, clock, metrics, authentication and
// routes into the HTTP server, runs it on all cores, and shuts down gracefully on
// SIGTERM/SIGINT (stop accepting, drain in-flight requests, close).

#include <atomic>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <list>
#include <optional>
#include <thread>

#include "cli/commands.hpp"
#include "http/auth.hpp"
#include "http/dispatch.hpp"
#include "http/dto/availability_dto.hpp"
#include "http/dto/booking_dto.hpp"
#include "http/idempotency.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "http/static_site.hpp"
#include "platform/clock.hpp"
#include "platform/config.hpp"
#include "platform/log.hpp"
#include "platform/metrics.hpp"
#include "platform/pg_pool.hpp"
#include "platform/redis_cache.hpp"
#include "realtime/booking_channel.hpp"
#include "realtime/eio_server.hpp"
#include "realtime/event_pump.hpp"
#include "realtime/sio_server.hpp"
#include "usecase/availability.hpp"
#include "usecase/bookings.hpp"
#include "usecase/tenants.hpp"

namespace ptool::cli {

namespace asio = boost::asio;

namespace {

// Background coroutines of the instance (sweeper, idempotency purge). They run on one strand,
// each with its own cancellation signal, so shutdown can cancel them and wait for them to end
// before the pool and the services they use are destroyed.
class background_tasks {
public:
    explicit background_tasks(asio::io_context& ioc) : strand_(asio::make_strand(ioc)) {}

    void spawn(const char* name, asio::awaitable<void> task) {
        auto& sig = signals_.emplace_back();
        running_.fetch_add(1);
        asio::co_spawn(
            strand_,
            std::move(task),
            asio::bind_cancellation_slot(
                sig.slot(),
                [this, name](std::exception_ptr e) {
                    running_.fetch_sub(1);
                    if (!e) return;
                    try {
                        std::rethrow_exception(e);
                    } catch (const boost::system::system_error& ex) {
                        if (ex.code() == asio::error::operation_aborted) return;
                        platform::log_error(
                            "background task ended", {{"task", name}, {"error", ex.what()}}
                        );
                    } catch (const std::exception& ex) {
                        platform::log_error(
                            "background task ended", {{"task", name}, {"error", ex.what()}}
                        );
                    } catch (...) {
                        platform::log_error("background task ended", {{"task", name}});
                    }
                }
            )
        );
    }

    // Cancels every task (on their strand) and waits, bounded, until they have ended.
    asio::awaitable<void> stop(std::chrono::milliseconds timeout) {
        asio::post(strand_, [this] {
            for (auto& sig : signals_) sig.emit(asio::cancellation_type::terminal);
        });
        asio::steady_timer t(strand_);
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (running_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            t.expires_after(std::chrono::milliseconds(10));
            co_await t.async_wait(asio::use_awaitable);
        }
    }

private:
    asio::strand<asio::io_context::executor_type> strand_;
    std::list<asio::cancellation_signal> signals_;  // stable addresses
    std::atomic<int> running_{0};
};

// Waits for the first signal, drains, then stops the io_context. A second signal (or the
// drain deadline) stops at once.
asio::awaitable<void> shutdown_on_signal(
    asio::io_context& ioc,
    http::server& srv,
    realtime::eio_server& eio,
    platform::pg_pool& pool,
    platform::redis_cache& cache,
    background_tasks& background,
    std::chrono::seconds timeout
) {
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    int sig = co_await signals.async_wait(asio::use_awaitable);
    platform::log_info(
        "shutting down", {{"signal", sig}, {"connections", srv.active_connections()}}
    );
    srv.begin_shutdown();
    eio.close_all();  // real-time sessions: close frames, pending polls answer
    signals.async_wait([&ioc](const boost::system::error_code& ec, int) {
        if (!ec) ioc.stop();
    });
    asio::steady_timer t(ioc);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (srv.active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
        t.expires_after(std::chrono::milliseconds(20));
        co_await t.async_wait(asio::use_awaitable);
    }
    if (srv.active_connections() > 0) {
        platform::log_warn("drain deadline passed", {{"connections", srv.active_connections()}});
    }
    co_await background.stop(std::chrono::milliseconds(2000));
    cache.close();
    pool.close();
    platform::log_info("stopped");
    ioc.stop();
}

// The Socket.IO handshake's token, checked like a Bearer token (tenant must exist).
asio::awaitable<std::optional<realtime::principal>> verify_socket_token(
    http::authenticator& auth, std::string token
) {
    auto r = co_await auth.authenticate_token(std::move(token));
    auto* p = std::get_if<http::principal>(&r);
    if (p == nullptr) co_return std::nullopt;
    co_return realtime::principal{p->tenant_id, p->user, p->role};
}

int serve(platform::config cfg) {
    platform::init_logging(cfg.log_level);
    if (cfg.database_url.empty()) {
        std::cerr << "ptool serve: DATABASE_URL is not set\n";
        return 2;
    }
    if (cfg.jwt_secret.empty()) {
        std::cerr << "ptool serve: JWT_SECRET is not set\n";
        return 2;
    }
    unsigned threads =
        cfg.threads != 0 ? cfg.threads : std::max(1U, std::thread::hardware_concurrency());
    // Before the io_context: handlers destroyed with it may still hold Socket.IO sockets, which
    // leave their rooms in the server when they go.
    realtime::sio_server sio;
    asio::io_context ioc(static_cast<int>(threads));

    platform::clock clk(cfg.test_clock);
    platform::metrics metrics;
    // Generic plans for our prepared statements: with custom plans PostgreSQL re-plans every
    // execution and re-inlines the RLS policy's SQL function, which dominated its CPU in
    // bench/booking-create (2000 -> 2500 creates/s on 2 cores). Our statements are keyed on
    // tenant, artist and bounded ranges, so a generic plan is as good as a custom one.
    platform::pg_pool pool(
        ioc.get_executor(),
        platform::pg_pool::options{
            .conninfo = cfg.database_url,
            .max_size = cfg.db_pool_size,
            .session_setup = {"SET plan_cache_mode = force_generic_plan"},
        }
    );
    metrics.gauge("ptool_db_pool_size", "Open database connections.", {}, [&pool] {
        return static_cast<double>(pool.stats().size);
    });
    metrics.gauge("ptool_db_pool_max_size", "Largest allowed pool.", {}, [&pool] {
        return static_cast<double>(pool.stats().max_size);
    });
    metrics.gauge("ptool_db_pool_idle", "Idle database connections.", {}, [&pool] {
        return static_cast<double>(pool.stats().idle);
    });
    metrics.gauge("ptool_db_pool_in_use", "Database connections in use.", {}, [&pool] {
        return static_cast<double>(pool.stats().in_use);
    });
    metrics.gauge("ptool_db_pool_waiting", "Requests waiting for a connection.", {}, [&pool] {
        return static_cast<double>(pool.stats().waiting);
    });

    http::authenticator auth(
        cfg.jwt_secret,
        [&pool](std::string tid) { return usecase::tenant_exists(pool, std::move(tid)); },
        // Real time, not the service clock: the test clock moves booking time (TTLs, sweeper,
        // validation), while tokens keep their real expiry.
        [] { return std::chrono::system_clock::now(); }
    );
    // Schedules are cached in Redis when REDIS_URL is set; without it (or while Redis is down)
    // every schedule is computed from PostgreSQL.
    std::optional<platform::redis_cache> cache_holder;
    try {
        cache_holder.emplace(
            ioc.get_executor(), platform::redis_cache::options{.url = cfg.redis_url}, metrics
        );
    } catch (const std::invalid_argument& e) {
        std::cerr << "ptool serve: REDIS_URL: " << e.what() << '\n';
        return 2;
    }
    platform::redis_cache& cache = *cache_holder;
    if (cfg.redis_url.empty()) platform::log_info("REDIS_URL not set: schedules are not cached");
    usecase::availability_service availability(pool, cache, http::dto::encode_schedule);
    usecase::booking_service bookings(
        pool,
        [](const domain::booking_change& ch) {
            return boost::json::serialize(http::dto::event_payload(ch));
        },
        [&availability](std::string tenant_id, std::string artist_id) {
            return availability.invalidate_artist(std::move(tenant_id), std::move(artist_id));
        }
    );
    http::router routes =
        http::make_router(http::services{pool, clk, metrics, auth, bookings, availability});
    if (!cfg.web_root.empty()) {
        try {
            auto site = http::static_site::load(cfg.web_root);
            platform::log_info(
                "web app",
                {{"root", cfg.web_root},
                 {"files", site->files().size()},
                 {"bytes", site->total_bytes()}}
            );
            http::add_static_routes(routes, std::move(site));
        } catch (const std::exception& e) {
            platform::log_error("cannot serve the web app", {{"error", e.what()}});
            return 1;
        }
    } else {
        platform::log_info("web app not served (no --web-root)", {});
    }

    // Real time (SPEC §7): Engine.IO sessions at /socket.io/ carry Socket.IO; namespace "/" is
    // the booking channel, fed by this instance's event pump.
    realtime::booking_channel channel(
        sio,
        bookings,
        availability,
        clk,
        [&auth](std::string token) { return verify_socket_token(auth, std::move(token)); },
        [](const store::event_row& e) { return boost::json::value(http::dto::event_to_json(e)); }
    );
    sio.add_namespace("/", std::shared_ptr<realtime::sio_namespace>(&channel, [](auto*) {}));
    realtime::eio_server eio(
        ioc,
        realtime::eio_options{
            .ping_interval = cfg.ping_interval,
            .ping_timeout = cfg.ping_timeout,
            .max_buffered_bytes = cfg.realtime_max_buffer,
            .cors_origins = cfg.cors_origins,
        },
        [&sio](std::shared_ptr<realtime::eio_socket> session) {
            return sio.accept(std::move(session));
        }
    );
    realtime::event_pump pump(
        ioc.get_executor(),
        realtime::pump_options{.conninfo = cfg.database_url},
        realtime::pump_callbacks{
            .on_start = [&channel](long long seq) { channel.start_at(seq); },
            .on_events = [&channel](std::vector<store::feed_event> batch
                         ) { return channel.deliver(std::move(batch)); },
            .on_availability = [&channel](store::artist_ref a
                               ) { return channel.availability_changed(std::move(a)); },
        }
    );
    metrics.gauge("ptool_realtime_sessions", "Open Engine.IO sessions.", {}, [&eio] {
        return static_cast<double>(eio.session_count());
    });
    metrics.gauge("ptool_realtime_sockets", "Connected Socket.IO sockets.", {}, [&sio] {
        return static_cast<double>(sio.socket_count());
    });
    metrics.gauge("ptool_realtime_delivered_seq", "Last event seq broadcast.", {}, [&channel] {
        return static_cast<double>(channel.delivered_seq());
    });
    metrics.gauge("ptool_realtime_listening", "1 while the LISTEN connection is up.", {}, [&pump] {
        return pump.listening() ? 1.0 : 0.0;
    });

    http::stream_endpoint socket_io{
        .path_prefix = "/socket.io/",
        .body_limit = eio.options().max_payload,
        .on_request = [&eio](http::request req) { return eio.handle_request(std::move(req)); },
        .on_upgrade = [&eio](
                          boost::beast::tcp_stream stream, http::request req
                      ) { return eio.handle_upgrade(std::move(stream), std::move(req)); },
    };
    std::vector<http::stream_endpoint> endpoints{std::move(socket_io)};
    http::server srv(
        ioc,
        [&routes, &metrics](const http::request& req, std::string rid) {
            return http::dispatch(routes, metrics, req, std::move(rid));
        },
        std::move(endpoints)
    );
    try {
        srv.start(cfg.host, cfg.port);
    } catch (const std::exception& e) {
        platform::log_error(
            "cannot listen", {{"host", cfg.host}, {"port", cfg.port}, {"error", e.what()}}
        );
        return 1;
    }
    // Background work of every instance: expiries and challenge deadlines (SPEC §3.2, §3.3)
    // within a second of falling due, and expired idempotency keys.
    background_tasks background(ioc);
    background.spawn(
        "sweeper",
        usecase::run_sweeper(
            bookings, [&clk] { return clk.now(); }, std::chrono::milliseconds(500)
        )
    );
    background.spawn("idempotency purge", http::purge_idempotency_keys_forever(pool, clk));
    background.spawn("realtime pump", pump.run());
    asio::co_spawn(
        ioc,
        shutdown_on_signal(ioc, srv, eio, pool, cache, background, cfg.shutdown_timeout),
        asio::detached
    );

    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) {
        workers.emplace_back([&ioc] { ioc.run(); });
    }
    ioc.run();
    for (auto& w : workers) w.join();
    return 0;
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
    auto cfg = std::make_shared<platform::config>();
    auto* cmd = app.add_subcommand("serve", "Serve the API, web UI and Socket.IO endpoint");
    cfg->database_url = platform::env_or("DATABASE_URL");
    cfg->redis_url = platform::env_or("REDIS_URL");
    cfg->jwt_secret = platform::env_or("JWT_SECRET");
    cfg->log_level = platform::env_or("LOG_LEVEL", "info");
    cfg->web_root = platform::env_or("PTOOL_WEB_ROOT");
    auto port_env = platform::env_or("PORT", "8080");
    try {
        auto p = std::stoul(port_env);
        if (p <= 65535) cfg->port = static_cast<std::uint16_t>(p);
    } catch (const std::exception&) {
        // a bad $PORT keeps the default; --port still overrides it
    }
    cmd->add_option("--host", cfg->host, "Address to listen on")->capture_default_str();
    cmd->add_option("--port", cfg->port, "TCP port ($PORT; 0 picks a free one)")
        ->capture_default_str();
    cmd->add_option("--threads", cfg->threads, "Worker threads (0 = one per core)")
        ->capture_default_str();
    cmd->add_option("--db-pool-size", cfg->db_pool_size, "Database connections")
        ->capture_default_str();
    cmd->add_option("--log-level", cfg->log_level, "trace, debug, info, warn, error ($LOG_LEVEL)")
        ->capture_default_str();
    cmd->add_flag("--test-clock", cfg->test_clock, "Enable POST /api/v1/test/clock (tests only)");
    cmd->add_option_function<int>(
        "--shutdown-timeout",
        [cfg](int s) { cfg->shutdown_timeout = std::chrono::seconds(s); },
        "Seconds to drain in-flight requests on SIGTERM (default 10)"
    );
    cmd->add_option_function<int>(
        "--ping-interval-ms",
        [cfg](int ms) { cfg->ping_interval = std::chrono::milliseconds(ms); },
        "Engine.IO pingInterval (default 25000)"
    );
    cmd->add_option_function<int>(
        "--ping-timeout-ms",
        [cfg](int ms) { cfg->ping_timeout = std::chrono::milliseconds(ms); },
        "Engine.IO pingTimeout (default 20000)"
    );
    cmd->add_option(
           "--realtime-max-buffer",
           cfg->realtime_max_buffer,
           "Bytes queued towards one real-time client before it is dropped"
    )
        ->capture_default_str();
    cmd->add_option(
        "--cors-origin",
        cfg->cors_origins,
        "Browser origin allowed to reach /socket.io/ (repeatable; default: the Vite dev server)"
    );
    cmd->add_option(
        "--web-root",
        cfg->web_root,
        "Directory of the built web app served at / ($PTOOL_WEB_ROOT; empty = API only)"
    );
    cmd->callback([cfg, &exit_code] { exit_code = serve(*cfg); });
}

}  // namespace ptool::cli
