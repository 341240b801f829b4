// Test-only server for the official protocol test suites (socketio/socket.io
// docs/engine.io-protocol v4-test-suite and docs/socket.io-protocol v5-test-suite), run by
// scripts/sio-conformance.
//
// Usage: ptool_sio_conformance --port PORT [--log-level LEVEL]
// Serves on 127.0.0.1:PORT until SIGINT/SIGTERM, with the settings the suites expect
// (pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000):
//   /engine.io/  Engine.IO echo: every message goes back to its sender (binary stays binary).
//   /socket.io/  Socket.IO, namespaces "/" and "/custom" (connectTimeout 1000 ms): on connect
//                emit "auth" with the CONNECT payload ({} when none); on "/", "message" emits
//                "message-back" with the same arguments and "message-with-ack" acks with them.
//   anything else: 404.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "http/server.hpp"
#include "platform/log.hpp"
#include "realtime/eio_server.hpp"
#include "realtime/sio_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using namespace std::chrono_literals;
using ptool::realtime::eio_listener;
using ptool::realtime::eio_packet;
using ptool::realtime::eio_server;
using ptool::realtime::eio_socket;
using ptool::realtime::sio_ack;
using ptool::realtime::sio_args;
using ptool::realtime::sio_socket;

// Sends every message back to the session it came from.
class echo_listener : public eio_listener {
public:
    explicit echo_listener(const std::shared_ptr<eio_socket>& session) : session_(session) {}

    void on_message(eio_packet message) override {
        // Weak: the session owns its listener, a strong reference back would be a cycle.
        auto session = session_.lock();
        if (!session) return;
        std::vector<eio_packet> packets;
        packets.push_back(std::move(message));
        session->send(std::move(packets));
    }

    void on_close(std::string_view /*reason*/) override {}

private:
    std::weak_ptr<eio_socket> session_;
};

// The namespaces of the reference server of the Socket.IO suite.
class conformance_namespace : public ptool::realtime::sio_namespace {
public:
    explicit conformance_namespace(bool echo_events) : echo_events_(echo_events) {}

    asio::awaitable<std::optional<json::object>> on_connect(
        std::shared_ptr<sio_socket> socket, json::value auth
    ) override {
        // Emitted once connected: an event before the CONNECT answer would reach the client first.
        json::value payload = auth.is_object() ? std::move(auth) : json::value(json::object{});
        socket->user_data = std::make_shared<json::value>(std::move(payload));
        co_return std::nullopt;
    }

    asio::awaitable<void> on_connected(std::shared_ptr<sio_socket> socket) override {
        sio_args args;
        args.args.push_back(*std::static_pointer_cast<json::value>(socket->user_data));
        socket->emit("auth", std::move(args));
        co_return;
    }

    asio::awaitable<void> on_event(
        std::shared_ptr<sio_socket> socket, std::string event, sio_args args, sio_ack ack
    ) override {
        if (!echo_events_) co_return;
        if (event == "message") {
            socket->emit("message-back", std::move(args));
        } else if (event == "message-with-ack" && ack) {
            ack(std::move(args));
        }
        co_return;
    }

private:
    bool echo_events_;
};

asio::awaitable<ptool::http::response> not_found(
    const ptool::http::request& req, std::string /*request_id*/
) {
    ptool::http::response res{beast::http::status::not_found, req.version()};
    res.set(beast::http::field::content_type, "text/plain");
    res.body() = "Not Found";
    res.prepare_payload();
    co_return res;
}

ptool::http::stream_endpoint endpoint_for(std::string prefix, eio_server& server) {
    ptool::http::stream_endpoint endpoint;
    endpoint.path_prefix = std::move(prefix);
    endpoint.body_limit = server.options().max_payload;
    endpoint.on_request = [&server](ptool::http::request req) {
        return server.handle_request(std::move(req));
    };
    endpoint.on_upgrade = [&server](beast::tcp_stream stream, ptool::http::request req) {
        return server.handle_upgrade(std::move(stream), std::move(req));
    };
    return endpoint;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    std::uint16_t port = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return port;
}

int usage() {
    std::cerr << "usage: ptool_sio_conformance --port PORT [--log-level LEVEL]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::uint16_t> port;
    std::string log_level = "warn";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = parse_port(argv[++i]);
            if (!port) return usage();
        } else if (arg == "--log-level" && i + 1 < argc) {
            log_level = argv[++i];
        } else {
            return usage();
        }
    }
    if (!port) return usage();
    ptool::platform::init_logging(log_level);

    try {
        // Before the io_context: handlers destroyed with it may still hold sockets.
        ptool::realtime::sio_server sio(ptool::realtime::sio_options{1000ms});
        sio.add_namespace("/", std::make_shared<conformance_namespace>(true));
        sio.add_namespace("/custom", std::make_shared<conformance_namespace>(false));
        asio::io_context ioc;

        ptool::realtime::eio_options eio_options;
        eio_options.ping_interval = 300ms;
        eio_options.ping_timeout = 200ms;
        eio_options.max_payload = 1'000'000;

        eio_server echo(ioc, eio_options, [](std::shared_ptr<eio_socket> session) {
            return std::shared_ptr<eio_listener>(std::make_shared<echo_listener>(session));
        });

        eio_server sio_transport(ioc, eio_options, [&sio](std::shared_ptr<eio_socket> session) {
            return sio.accept(std::move(session));
        });

        std::vector<ptool::http::stream_endpoint> endpoints;
        endpoints.push_back(endpoint_for("/engine.io/", echo));
        endpoints.push_back(endpoint_for("/socket.io/", sio_transport));
        ptool::http::server server(ioc, not_found, std::move(endpoints));
        server.start("127.0.0.1", *port);
        std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;

        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        asio::steady_timer deadline(ioc);
        signals.async_wait([&](const boost::system::error_code& ec, int /*signal*/) {
            if (ec) return;
            server.begin_shutdown();
            echo.close_all();
            sio_transport.close_all();
            // Close frames and pending polls get a moment; a test server need not wait longer.
            deadline.expires_after(1s);
            deadline.async_wait([&ioc](const boost::system::error_code&) { ioc.stop(); });
        });
        ioc.run();
    } catch (const std::exception& e) {
        std::cerr << "ptool_sio_conformance: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
