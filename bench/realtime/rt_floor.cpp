// bench/realtime fan-out floor: a minimal WebSocket broadcast server (Beast, one strand per
// connection, a write queue per connection) that speaks just enough Engine.IO/Socket.IO for
// rt_load.
//
// What it does not do, and ptool serve does: Engine.IO sessions (sid registry, polling, upgrade,
// heartbeat timers), token verification, rooms and subscriptions, the event pump (LISTEN +
// watermark + reading booking_events), rendering the event. What is left is the physical part
// of the fan-out on this machine: one text frame written to N loopback sockets by --threads
// threads, and one small WebSocket connection per client in memory.
//
//   rt_floor [--host 127.0.0.1] [--port 0] [--threads 2]
// Prints "listening on HOST:PORT" on stdout once accepting. On the same port:
//   GET /socket.io/?... (WebSocket upgrade)  sends `0{"sid":...}` (the Engine.IO open packet),
//                                            answers the client's `40...` with `40{"sid":...}`,
//                                            then receives the broadcasts; reads are discarded
//   POST /broadcast  body = text frames separated by '\n': answered 200 "ok" first, then the
//                    frames are written, in order, to every connected client (as ptool's event
//                    and its availability.changed follow the confirm's commit)
// SIGTERM/SIGINT stop it.

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

// One broadcast: its frames, written in order to every client.
using message = std::shared_ptr<const std::vector<std::string>>;

class session;

// The connected clients. broadcast() copies them under the lock and sends outside it.
class registry {
public:
    void add(const std::shared_ptr<session>& s) {
        std::lock_guard lock(mu_);
        sessions_.push_back(s);
    }
    void remove(const session* s) {
        std::lock_guard lock(mu_);
        for (auto& x : sessions_) {
            if (x.get() == s) {
                x = std::move(sessions_.back());
                sessions_.pop_back();
                return;
            }
        }
    }
    void broadcast(const message& m);

private:
    std::mutex mu_;
    std::vector<std::shared_ptr<session>> sessions_;
};

// One WebSocket client on its own strand: one read loop, one write in flight, a queue.
class session : public std::enable_shared_from_this<session> {
public:
    explicit session(beast::tcp_stream stream) : ws_(std::move(stream)) {}

    awaitable<void> run(bhttp::request<bhttp::string_body> req, registry& reg, std::string sid) {
        ws_.set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false});
        co_await ws_.async_accept(req, use_awaitable);
        ws_.text(true);
        std::string open = "0{\"sid\":\"" + sid +
                           "\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
                           "\"maxPayload\":1000000}";
        co_await ws_.async_write(asio::buffer(open), use_awaitable);
        beast::flat_buffer buf;
        co_await ws_.async_read(buf, use_awaitable);  // 40{"token":...}
        buf.clear();
        std::string connected = "40{\"sid\":\"" + sid + "\"}";
        co_await ws_.async_write(asio::buffer(connected), use_awaitable);
        reg.add(shared_from_this());
        for (;;) {
            auto [ec, n] = co_await ws_.async_read(buf, asio::as_tuple(use_awaitable));
            if (ec) break;
            buf.clear();
        }
        reg.remove(this);
    }

    // Any thread.
    void send(message m) {
        asio::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(m)]() mutable {
            self->queue_.push_back(std::move(m));
            if (!self->writing_) self->write_next();
        });
    }

private:
    void write_next() {
        writing_ = true;
        ws_.async_write(
            asio::buffer((*queue_.front())[next_frame_]),
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    self->queue_.clear();
                    self->writing_ = false;
                    return;
                }
                if (++self->next_frame_ == self->queue_.front()->size()) {
                    self->next_frame_ = 0;
                    self->queue_.pop_front();
                }
                if (self->queue_.empty()) {
                    self->writing_ = false;
                } else {
                    self->write_next();
                }
            }
        );
    }

    websocket::stream<beast::tcp_stream> ws_;
    std::deque<message> queue_;   // on the strand
    std::size_t next_frame_ = 0;  // of queue_.front(); on the strand
    bool writing_ = false;        // on the strand
};

void registry::broadcast(const message& m) {
    std::vector<std::shared_ptr<session>> targets;
    {
        std::lock_guard lock(mu_);
        targets = sessions_;
    }
    for (auto& s : targets) s->send(m);
}

std::atomic<long> next_sid{0};

// One accepted connection: HTTP requests until a WebSocket upgrade (then the session) or EOF.
awaitable<void> connection(tcp::socket socket, registry& reg) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buf;
    for (;;) {
        bhttp::request<bhttp::string_body> req;
        auto [ec, n] = co_await bhttp::async_read(stream, buf, req, asio::as_tuple(use_awaitable));
        if (ec) co_return;
        if (websocket::is_upgrade(req)) {
            auto s = std::make_shared<session>(std::move(stream));
            std::string sid = "floor" + std::to_string(next_sid.fetch_add(1));
            try {
                co_await s->run(std::move(req), reg, std::move(sid));
            } catch (const std::exception&) {
                reg.remove(s.get());  // the client went away mid-handshake
            }
            co_return;
        }
        bool is_broadcast = req.method() == bhttp::verb::post && req.target() == "/broadcast";
        bhttp::response<bhttp::string_body> res{
            is_broadcast ? bhttp::status::ok : bhttp::status::not_found, req.version()};
        res.set(bhttp::field::content_type, "text/plain");
        res.keep_alive(req.keep_alive());
        res.body() = is_broadcast ? "ok" : "not found";
        res.prepare_payload();
        auto [wec, wn] = co_await bhttp::async_write(stream, res, asio::as_tuple(use_awaitable));
        if (wec) co_return;
        if (is_broadcast) {
            // Frames separated by '\n' (JSON text has none of its own).
            std::vector<std::string> frames;
            const std::string& body = req.body();
            std::size_t from = 0;
            while (from <= body.size()) {
                auto nl = body.find('\n', from);
                if (nl == std::string::npos) nl = body.size();
                if (nl > from) frames.push_back(body.substr(from, nl - from));
                from = nl + 1;
            }
            if (!frames.empty()) {
                reg.broadcast(std::make_shared<const std::vector<std::string>>(std::move(frames)));
            }
        }
        if (!req.keep_alive()) co_return;
    }
}

awaitable<void> listen(tcp::acceptor& acceptor, asio::io_context& ioc, registry& reg) {
    for (;;) {
        auto [ec, socket] =
            co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue;  // EMFILE and the like: keep serving the others
        }
        socket.set_option(tcp::no_delay(true));
        auto ex = socket.get_executor();
        asio::co_spawn(ex, connection(std::move(socket), reg), asio::detached);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    int threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        std::string v = argv[i + 1];
        if (a == "--host")
            host = v;
        else if (a == "--port")
            port = static_cast<unsigned short>(std::atoi(v.c_str()));
        else if (a == "--threads")
            threads = std::max(1, std::atoi(v.c_str()));
        else {
            std::fprintf(stderr, "usage: rt_floor [--host H] [--port P] [--threads T]\n");
            return 2;
        }
    }
    if (argc % 2 == 0) {
        std::fprintf(stderr, "usage: rt_floor [--host H] [--port P] [--threads T]\n");
        return 2;
    }
    asio::io_context ioc(threads);
    registry reg;
    tcp::acceptor acceptor(ioc);
    tcp::endpoint ep(asio::ip::make_address(host), port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
    std::cout << "listening on " << host << ":" << acceptor.local_endpoint().port() << std::endl;
    asio::co_spawn(ioc, listen(acceptor, ioc, reg), asio::detached);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code&, int) { ioc.stop(); });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return 0;
}
