// Connection handling: accept loop and the keep-alive request loop of one connection.
// Idle connections wait for readability (not inside a read), so shutdown can close them
// without cutting a request that has started to arrive. Stream endpoints (Engine.IO) get their
// requests before the route table, with their own body limit, and can take the connection over.

#include "http/server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <random>
#include <string_view>
#include <tuple>

#include "http/problem.hpp"
#include "platform/log.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto idle_timeout = std::chrono::seconds(75);
constexpr auto request_timeout = std::chrono::seconds(30);
constexpr std::size_t max_header_bytes = 16 * 1024;

std::string new_request_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(16, '0');
    auto v = rng();
    for (auto& c : id) {
        c = hex[v & 0xF];
        v >>= 4;
    }
    return id;
}

// A client-supplied X-Request-Id is kept when it is short and plain.
std::string request_id_for(const request& req) {
    auto it = req.find("X-Request-Id");
    if (it != req.end()) {
        std::string_view v = it->value();
        bool plain = !v.empty() && v.size() <= 64;
        for (char c : v) {
            plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
        }
        if (plain) return std::string(v);
    }
    return new_request_id();
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// Completes when the client has closed its side (or the socket failed) while a stream
// endpoint's request is in progress: a long poll whose client went away must end. Bytes of a
// pipelined request are not an end: then it waits until cancelled.
asio::awaitable<void> wait_peer_gone(tcp::socket& sock) {
    auto [ec] =
        co_await sock.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (!ec) {
        boost::system::error_code aec;
        std::size_t n = sock.available(aec);
        if (!aec && n > 0) {
            asio::steady_timer forever(sock.get_executor(), asio::steady_timer::time_point::max());
            co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
}

}  // namespace

struct server::session_entry {
    explicit session_entry(asio::any_io_executor ex) : idle_timer(ex) {}
    asio::steady_timer idle_timer;  // touched only on the session's strand
    bool idle = false;              // likewise
};

server::server(
    asio::io_context& ioc, request_handler on_request, std::vector<stream_endpoint> endpoints
)
    : ioc_(ioc),
      handler_(std::move(on_request)),
      endpoints_(std::move(endpoints)),
      acceptor_(ioc) {}

server::~server() = default;

void server::start(const std::string& host, std::uint16_t port) {
    tcp::endpoint ep{asio::ip::make_address(host), port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), [](const std::exception_ptr& e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                platform::log_error("accept loop failed", {{"error", ex.what()}});
            }
        }
    });
    platform::log_info("listening on " + host + ":" + std::to_string(port_), {{"port", port_}});
}

std::size_t server::active_connections() const {
    std::lock_guard lock(mu_);
    return sessions_.size();
}

void server::begin_shutdown() {
    if (stopping_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);  // the accept loop ends with operation_aborted
    });
    std::vector<std::shared_ptr<session_entry>> targets;
    {
        std::lock_guard lock(mu_);
        for (const auto& [id, s] : sessions_) targets.push_back(s);
    }
    for (auto& s : targets) {
        asio::post(s->idle_timer.get_executor(), [s] {
            if (s->idle) s->idle_timer.cancel();
        });
    }
}

asio::awaitable<void> server::accept_loop() {
    for (;;) {
        auto [ec, sock] = co_await acceptor_.async_accept(
            asio::make_strand(ioc_), asio::as_tuple(asio::use_awaitable)
        );
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_) co_return;
            platform::log_warn("accept failed", {{"error", ec.message()}});
            continue;
        }
        boost::system::error_code ignored;
        sock.set_option(tcp::no_delay(true), ignored);
        auto ex = sock.get_executor();
        asio::co_spawn(ex, run_session(std::move(sock)), [](const std::exception_ptr& e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& err) {
                    platform::log_error("connection failed", {{"error", err.what()}});
                }
            }
        });
    }
}

asio::awaitable<void> server::run_session(tcp::socket sock) {
    auto entry = std::make_shared<session_entry>(sock.get_executor());
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
        sessions_.emplace(id, entry);
    }
    struct unregister {
        server* self;
        std::uint64_t id;
        ~unregister() {
            std::lock_guard lock(self->mu_);
            self->sessions_.erase(id);
        }
    } guard{this, id};

    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    for (;;) {
        if (buffer.size() == 0) {
            // Wait for the next request without reading it, so shutdown can tell idle from busy.
            if (stopping_) break;
            entry->idle = true;
            entry->idle_timer.expires_after(idle_timeout);
            auto r = co_await (
                stream.socket().async_wait(
                    tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable)
                ) ||
                entry->idle_timer.async_wait(asio::as_tuple(asio::use_awaitable))
            );
            entry->idle = false;
            if (r.index() == 1 || std::get<0>(std::get<0>(r))) break;  // timeout, shutdown, error
        }

        // The header is read with the largest limit in use, so a Content-Length is only judged
        // once the path (and so the limit that applies) is known.
        std::size_t header_body_limit = max_body_bytes;
        for (const auto& ep : endpoints_) {
            header_body_limit = std::max(header_body_limit, ep.body_limit);
        }
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(header_body_limit);
        parser.header_limit(max_header_bytes);
        stream.expires_after(request_timeout);
        auto [ec, n] = co_await bhttp::async_read_header(
            stream, buffer, parser, asio::as_tuple(asio::use_awaitable)
        );
        const stream_endpoint* endpoint = nullptr;
        if (!ec) {
            auto path = path_of(parser.get().target());
            for (const auto& ep : endpoints_) {
                if (path.starts_with(ep.path_prefix)) {
                    endpoint = &ep;
                    break;
                }
            }
            std::size_t limit = endpoint != nullptr ? endpoint->body_limit : max_body_bytes;
            auto length = parser.content_length();
            if (length && *length > limit) {
                ec = bhttp::error::body_limit;
            } else {
                parser.body_limit(limit);
                stream.expires_after(request_timeout);
                std::tie(ec, n) = co_await bhttp::async_read(
                    stream, buffer, parser, asio::as_tuple(asio::use_awaitable)
                );
            }
        }
        if (ec == bhttp::error::body_limit) {
            // The rest of the body is not read, so the connection cannot be reused.
            auto res = make_problem_response(payload_too_large(), parser.get().version(), false);
            stream.expires_after(request_timeout);
            co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            break;
        }
        if (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
            ec == asio::error::eof || ec == beast::error::timeout) {
            break;
        }
        if (ec) {
            auto res = make_problem_response(
                problem{
                    bhttp::status::bad_request,
                    "malformed_request",
                    "The HTTP request is malformed.",
                    {},
                    {}},
                11,
                false
            );
            stream.expires_after(request_timeout);
            co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            break;
        }

        if (endpoint != nullptr) {
            request sreq = parser.release();
            if (beast::websocket::is_upgrade(sreq)) {
                // The endpoint owns the connection from here: shutdown no longer waits for it.
                // on_upgrade returns once it has the connection, and this coroutine ends with it,
                // releasing the buffer and the stream state.
                {
                    std::lock_guard lock(mu_);
                    sessions_.erase(id);
                }
                stream.expires_never();
                co_await endpoint->on_upgrade(std::move(stream), std::move(sreq));
                co_return;
            }
            bool keep_alive = sreq.keep_alive();
            // A long poll may wait up to the Engine.IO ping interval: no deadline runs meanwhile
            // (request_timeout covers reads and writes only), but a client that goes away ends it.
            stream.expires_never();
            auto r =
                co_await (endpoint->on_request(std::move(sreq)) || wait_peer_gone(stream.socket()));
            if (r.index() == 1) break;
            response sres = std::move(std::get<0>(r));
            sres.keep_alive(keep_alive && !stopping_);
            stream.expires_after(request_timeout);
            auto [swec, swn] =
                co_await bhttp::async_write(stream, sres, asio::as_tuple(asio::use_awaitable));
            if (swec || !sres.keep_alive()) break;
            continue;
        }

        request req = parser.release();
        auto rid = request_id_for(req);
        response res = co_await handler_(req, rid);
        res.set("X-Request-Id", rid);
        res.keep_alive(req.keep_alive() && !stopping_);
        stream.expires_after(request_timeout);
        auto [wec, wn] =
            co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
}

}  // namespace ptool::http
