#pragma once
// The HTTP listener and per-connection loop (Boost.Beast, C++20 coroutines). Each accepted
// socket runs on its own strand; requests are read with a 64 KiB body limit and deadlines,
// and handed to `dispatch`. Graceful shutdown: stop accepting, close idle keep-alive
// connections, let in-flight requests finish (answered with Connection: close).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/types.hpp"

namespace ptool::http {

constexpr std::size_t max_body_bytes = 64 * 1024;

// Turns one parsed request into a response. Must not throw (dispatch() guarantees it).
using request_handler =
    std::function<boost::asio::awaitable<response>(const request&, std::string request_id)>;

// A path prefix served by another protocol (Engine.IO at /socket.io/): its requests bypass
// request_handler, are read with their own body limit (a larger body gets 413 and the
// connection closes, as elsewhere), and a WebSocket upgrade hands the connection over. Both
// functions run on the connection's strand and must not throw.
struct stream_endpoint {
    std::string path_prefix;  // matched against the target's path, e.g. "/socket.io/"
    std::size_t body_limit = max_body_bytes;
    std::function<boost::asio::awaitable<response>(request)> on_request;
    // Takes the connection; the server forgets it (it no longer counts as active). Should return
    // once the connection is handed over (the connection coroutine, its buffer and the request
    // are released then); the protocol goes on elsewhere (eio_server: detached on its strand).
    std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream, request)> on_upgrade;
};

class server {
public:
    server(
        boost::asio::io_context& ioc,
        request_handler on_request,
        std::vector<stream_endpoint> endpoints = {}
    );
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds and starts accepting; throws boost::system::system_error when the bind fails.
    // Logs "listening on <host>:<port>" once the socket listens.
    void start(const std::string& host, std::uint16_t port);
    std::uint16_t port() const { return port_; }

    // Stops accepting and closes idle connections. In-flight requests complete.
    // Thread-safe; idempotent.
    void begin_shutdown();
    bool stopping() const { return stopping_.load(); }
    std::size_t active_connections() const;

    struct session_entry;  // shared between a session and the shutdown logic

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket sock);

    boost::asio::io_context& ioc_;
    request_handler handler_;
    std::vector<stream_endpoint> endpoints_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mu_;
    std::uint64_t next_id_ = 0;
    std::unordered_map<std::uint64_t, std::shared_ptr<session_entry>> sessions_;
};

}  // namespace ptool::http
