#include "realtime/eio_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "http/server.hpp"

namespace ptool::realtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto client_timeout = 3s;

// What the echo listener saw, shared with the test thread.
struct recorder {
    std::mutex mu;
    std::vector<std::string> closes;  // "sid:reason"
    std::vector<std::shared_ptr<eio_socket>> sockets;

    void add_socket(std::shared_ptr<eio_socket> s) {
        std::lock_guard lock(mu);
        sockets.push_back(std::move(s));
    }
    void add_close(const std::string& sid, std::string_view reason) {
        std::lock_guard lock(mu);
        closes.push_back(sid + ":" + std::string(reason));
    }
    // Waits up to 2 s for the session's on_close and returns its reason ("" if none came).
    std::string close_reason(const std::string& sid) {
        for (int i = 0; i < 200; ++i) {
            {
                std::lock_guard lock(mu);
                for (const auto& c : closes) {
                    if (c.starts_with(sid + ":")) return c.substr(sid.size() + 1);
                }
            }
            std::this_thread::sleep_for(10ms);
        }
        return "";
    }
    std::shared_ptr<eio_socket> socket(const std::string& sid) {
        std::lock_guard lock(mu);
        for (const auto& s : sockets) {
            if (s->sid() == sid) return s;
        }
        return nullptr;
    }
};

// Sends every message back, as the conformance server does.
class echo_listener : public eio_listener {
public:
    echo_listener(std::weak_ptr<eio_socket> socket, std::shared_ptr<recorder> rec, std::string sid)
        : socket_(std::move(socket)), rec_(std::move(rec)), sid_(std::move(sid)) {}
    void on_message(eio_packet message) override {
        if (auto s = socket_.lock()) {
            std::vector<eio_packet> packets{std::move(message)};
            s->send(std::move(packets));
        }
    }
    void on_close(std::string_view reason) override { rec_->add_close(sid_, reason); }

private:
    std::weak_ptr<eio_socket> socket_;
    std::shared_ptr<recorder> rec_;
    std::string sid_;
};

struct reply {
    boost::system::error_code ec;
    unsigned status = 0;
    std::string body;
    bhttp::response<bhttp::string_body> raw;
};

// One request on a fresh connection, with a deadline.
reply http_call(
    std::uint16_t port,
    bhttp::verb method,
    const std::string& target,
    std::string body = "",
    std::vector<std::pair<std::string, std::string>> headers = {}
) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (method == bhttp::verb::post || !body.empty()) {
        req.body() = std::move(body);
        req.prepare_payload();
    }
    reply r;
    beast::flat_buffer buffer;
    stream.expires_after(client_timeout);
    stream.async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
        [&](boost::system::error_code ec) {
            if (ec) {
                r.ec = ec;
                return;
            }
            bhttp::async_write(stream, req, [&](boost::system::error_code wec, std::size_t) {
                if (wec) {
                    r.ec = wec;
                    return;
                }
                bhttp::async_read(
                    stream,
                    buffer,
                    r.raw,
                    [&](boost::system::error_code rec, std::size_t) { r.ec = rec; }
                );
            });
        }
    );
    io.run();
    r.status = r.raw.result_int();
    r.body = r.raw.body();
    return r;
}

std::string poll_target(const std::string& sid) {
    return "/engine.io/?EIO=4&transport=polling&sid=" + sid;
}

struct frame {
    boost::system::error_code ec;
    std::string data;
    bool binary = false;
};

// A WebSocket client driven synchronously from the test thread, every operation with a
// deadline.
class ws_client {
public:
    boost::system::error_code connect(std::uint16_t port, const std::string& target) {
        boost::system::error_code result;
        auto& ls = beast::get_lowest_layer(ws_);
        ls.expires_after(client_timeout);
        ls.async_connect(
            tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
            [&](boost::system::error_code ec) {
                if (ec) {
                    result = ec;
                    return;
                }
                ls.expires_after(client_timeout);
                ws_.async_handshake(
                    handshake_res_,
                    "127.0.0.1",
                    target,
                    [&](boost::system::error_code hec) { result = hec; }
                );
            }
        );
        run();
        return result;
    }
    unsigned handshake_status() const { return handshake_res_.result_int(); }

    boost::system::error_code send(std::string_view data, bool binary = false) {
        boost::system::error_code result;
        ws_.binary(binary);
        beast::get_lowest_layer(ws_).expires_after(client_timeout);
        ws_.async_write(asio::buffer(data), [&](boost::system::error_code ec, std::size_t) {
            result = ec;
        });
        run();
        return result;
    }

    frame read(std::chrono::milliseconds timeout = 3000ms) {
        frame f;
        buffer_.clear();
        beast::get_lowest_layer(ws_).expires_after(timeout);
        ws_.async_read(buffer_, [&](boost::system::error_code ec, std::size_t) { f.ec = ec; });
        run();
        f.data = beast::buffers_to_string(buffer_.data());
        f.binary = ws_.got_binary();
        return f;
    }

    // The open packet's sid, read from the first frame.
    std::string read_open_sid() {
        auto f = read();
        if (f.ec || f.data.empty() || f.data[0] != '0') return "";
        return std::string(json::parse(f.data.substr(1)).as_object().at("sid").as_string());
    }

    std::uint16_t close_code() const { return ws_.reason().code; }

private:
    void run() {
        io_.restart();
        io_.run();
    }

    asio::io_context io_;
    websocket::stream<beast::tcp_stream> ws_{io_};
    beast::flat_buffer buffer_;
    websocket::response_type handshake_res_;
};

// The timings of the official test-suite, for the handshake and heartbeat tests.
eio_options conformance_options() {
    eio_options o;
    o.ping_interval = 300ms;
    o.ping_timeout = 200ms;
    o.max_payload = 1000000;
    o.upgrade_timeout = 1000ms;
    return o;
}

// Everything else: no ping gets in the way of a slow run.
eio_options test_options() {
    eio_options o = conformance_options();
    o.ping_interval = 2000ms;
    o.ping_timeout = 2000ms;
    return o;
}

class EioServerTest : public ::testing::Test {
protected:
    void start(eio_options options = test_options()) {
        auto rec = rec_;
        eio_ = std::make_unique<eio_server>(ioc_, options, [rec](std::shared_ptr<eio_socket> s) {
            rec->add_socket(s);
            auto sid = s->sid();
            return std::make_shared<echo_listener>(s, rec, sid);
        });
        std::vector<http::stream_endpoint> endpoints;
        http::stream_endpoint ep;
        ep.path_prefix = "/engine.io/";
        ep.body_limit = options.max_payload;
        ep.on_request = [this](http::request req) { return eio_->handle_request(std::move(req)); };
        ep.on_upgrade = [this](beast::tcp_stream stream, http::request req) {
            return eio_->handle_upgrade(std::move(stream), std::move(req));
        };
        endpoints.push_back(std::move(ep));
        server_ = std::make_unique<http::server>(
            ioc_,
            [](const http::request& req, std::string) -> asio::awaitable<http::response> {
                http::response res{bhttp::status::not_found, req.version()};
                res.prepare_payload();
                co_return res;
            },
            std::move(endpoints)
        );
        server_->start("127.0.0.1", 0);
        port_ = server_->port();
        runner_ = std::thread([this] {
            ioc_.run();
            done_.set_value();
        });
    }

    void TearDown() override {
        if (!server_) return;
        eio_->close_all();
        server_->begin_shutdown();
        // Everything ends by itself once the sessions are closed: no forced stop needed.
        if (done_.get_future().wait_for(5s) != std::future_status::ready) {
            ADD_FAILURE() << "the io_context did not drain after close_all + begin_shutdown";
            ioc_.stop();
        }
        runner_.join();
        {
            std::lock_guard lock(rec_->mu);
            rec_->sockets.clear();
        }
        server_.reset();
        eio_.reset();
    }

    std::string handshake() {
        auto r = http_call(port_, bhttp::verb::get, "/engine.io/?EIO=4&transport=polling");
        if (r.status != 200 || r.body.empty() || r.body[0] != '0') return "";
        return std::string(json::parse(r.body.substr(1)).as_object().at("sid").as_string());
    }

    reply get(const std::string& sid) {
        return http_call(port_, bhttp::verb::get, poll_target(sid));
    }
    reply post(const std::string& sid, std::string body) {
        return http_call(port_, bhttp::verb::post, poll_target(sid), std::move(body));
    }

    asio::io_context ioc_;
    std::shared_ptr<recorder> rec_ = std::make_shared<recorder>();
    std::unique_ptr<eio_server> eio_;
    std::unique_ptr<http::server> server_;
    std::uint16_t port_ = 0;
    std::thread runner_;
    std::promise<void> done_;
};

TEST_F(EioServerTest, PollingHandshakeSendsTheOpenPacket) {
    start(conformance_options());
    auto r = http_call(port_, bhttp::verb::get, "/engine.io/?EIO=4&transport=polling");
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.raw[bhttp::field::content_type], "text/plain; charset=UTF-8");
    ASSERT_EQ(r.body.substr(0, 1), "0");
    auto v = json::parse(r.body.substr(1)).as_object();
    EXPECT_EQ(v.size(), 5u);
    auto sid = std::string(v.at("sid").as_string());
    EXPECT_EQ(sid.size(), 20u);
    for (char c : sid)
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    EXPECT_EQ(v.at("upgrades"), json::parse(R"(["websocket"])"));
    EXPECT_EQ(v.at("pingInterval").to_number<int>(), 300);
    EXPECT_EQ(v.at("pingTimeout").to_number<int>(), 200);
    EXPECT_EQ(v.at("maxPayload").to_number<int>(), 1000000);
    EXPECT_EQ(eio_->session_count(), 1u);
    EXPECT_NE(handshake(), sid);  // every handshake gets its own sid
}

TEST_F(EioServerTest, WebSocketHandshakeSendsTheOpenPacketFirst) {
    start(conformance_options());
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
    auto f = ws.read();
    ASSERT_FALSE(f.ec);
    EXPECT_FALSE(f.binary);
    ASSERT_EQ(f.data.substr(0, 1), "0");
    auto v = json::parse(f.data.substr(1)).as_object();
    EXPECT_EQ(v.size(), 5u);
    EXPECT_EQ(v.at("upgrades"), json::array());
    EXPECT_EQ(v.at("pingInterval").to_number<int>(), 300);
    EXPECT_EQ(v.at("pingTimeout").to_number<int>(), 200);
    EXPECT_EQ(v.at("maxPayload").to_number<int>(), 1000000);
    auto s = rec_->socket(std::string(v.at("sid").as_string()));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->transport(), "websocket");
    EXPECT_TRUE(s->is_open());
}

TEST_F(EioServerTest, RefusesBadRequestsWith400) {
    start();
    for (const char* target :
         {"/engine.io/?transport=polling",
          "/engine.io/?EIO=abc&transport=polling",
          "/engine.io/?EIO=3&transport=polling",
          "/engine.io/?EIO=4",
          "/engine.io/?EIO=4&transport=abc",
          "/engine.io/?EIO=4&transport=polling&sid=unknown"}) {
        auto r = http_call(port_, bhttp::verb::get, target);
        EXPECT_EQ(r.status, 400u) << target;
        EXPECT_EQ(r.raw[bhttp::field::content_type], "application/json") << target;
    }
    auto bad_eio = http_call(port_, bhttp::verb::get, "/engine.io/?EIO=abc&transport=polling");
    EXPECT_EQ(bad_eio.body, R"({"code":5,"message":"Unsupported protocol version"})");
    auto unknown = get("nope");
    EXPECT_EQ(unknown.body, R"({"code":1,"message":"Session ID unknown"})");
    EXPECT_EQ(post("nope", "4x").status, 400u);
    // The handshake is a GET only.
    EXPECT_EQ(
        http_call(port_, bhttp::verb::post, "/engine.io/?EIO=4&transport=polling", "4x").status,
        400u
    );
    EXPECT_EQ(
        http_call(port_, bhttp::verb::put, "/engine.io/?EIO=4&transport=polling", "4x").status, 400u
    );
    auto sid = handshake();
    ASSERT_FALSE(sid.empty());
    EXPECT_EQ(http_call(port_, bhttp::verb::put, poll_target(sid), "4x").status, 400u);
    // Other paths still reach the route table.
    EXPECT_EQ(http_call(port_, bhttp::verb::get, "/other").status, 404u);
    EXPECT_EQ(eio_->session_count(), 1u);

    for (const char* target :
         {"/engine.io/?transport=websocket",
          "/engine.io/?EIO=abc&transport=websocket",
          "/engine.io/?EIO=4",
          "/engine.io/?EIO=4&transport=abc",
          "/engine.io/?EIO=4&transport=websocket&sid=unknown"}) {
        ws_client ws;
        EXPECT_EQ(ws.connect(port_, target), websocket::error::upgrade_declined) << target;
        EXPECT_EQ(ws.handshake_status(), 400u) << target;
    }
}

TEST_F(EioServerTest, PollingEchoesTextAndBinaryPackets) {
    start();
    auto sid = handshake();
    ASSERT_FALSE(sid.empty());
    for (std::string payload :
         {"4hello",
          "4test1\x1e"
          "4test2\x1e"
          "4test3",
          "4hello\x1e"
          "bAQIDBA=="}) {
        auto p = post(sid, payload);
        EXPECT_EQ(p.status, 200u);
        EXPECT_EQ(p.body, "ok");
        EXPECT_EQ(p.raw[bhttp::field::content_type], "text/html");
        auto g = get(sid);
        EXPECT_EQ(g.status, 200u);
        EXPECT_EQ(g.body, payload);
    }
}

TEST_F(EioServerTest, PendingPollIsAnsweredWhenPacketsArrive) {
    start();
    auto sid = handshake();
    auto pending = std::async(std::launch::async, [&] { return get(sid); });
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(
        post(
            sid,
            "4a\x1e"
            "4b"
        )
            .body,
        "ok"
    );
    auto g = pending.get();
    EXPECT_EQ(g.status, 200u);
    EXPECT_EQ(
        g.body,
        "4a\x1e"
        "4b"
    );
}

TEST_F(EioServerTest, InvalidPacketClosesTheSession) {
    start();
    auto sid = handshake();
    EXPECT_EQ(post(sid, "abc").status, 400u);
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(rec_->close_reason(sid), "parse error");
    EXPECT_EQ(eio_->session_count(), 0u);
}

TEST_F(EioServerTest, DuplicatePollClosesTheSession) {
    start();
    auto sid = handshake();
    auto first = std::async(std::launch::async, [&] { return get(sid); });
    std::this_thread::sleep_for(50ms);
    auto second = get(sid);
    EXPECT_EQ(second.status, 400u);
    auto r = first.get();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "1");
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(rec_->close_reason(sid), "transport error");
}

TEST_F(EioServerTest, AbortedPollClosesTheSession) {
    start();
    auto sid = handshake();
    {
        asio::io_context io;
        tcp::socket sock(io);
        sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
        std::string req = "GET " + poll_target(sid) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        asio::write(sock, asio::buffer(req));
        std::this_thread::sleep_for(30ms);
    }  // the client goes away while its poll waits
    EXPECT_EQ(rec_->close_reason(sid), "transport close");
    EXPECT_EQ(get(sid).status, 400u);
}

TEST_F(EioServerTest, PollingHeartbeat) {
    start(conformance_options());
    auto sid = handshake();
    for (int i = 0; i < 3; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto g = get(sid);
        EXPECT_EQ(g.status, 200u);
        EXPECT_EQ(g.body, "2");
        EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);  // the ping waits pingInterval
        EXPECT_EQ(post(sid, "3").status, 200u);
    }
    EXPECT_TRUE(rec_->socket(sid)->is_open());
}

TEST_F(EioServerTest, PollingSessionExpiresWithoutPong) {
    start(conformance_options());
    auto sid = handshake();
    // Measured after the handshake returned, so at least as late as the session's creation
    // (a loaded CI machine may take a while to answer the handshake).
    auto t0 = std::chrono::steady_clock::now();
    auto g = get(sid);  // held until the ping, queued 300 ms after creation
    EXPECT_EQ(g.status, 200u);
    EXPECT_EQ(g.body, "2");
    std::this_thread::sleep_until(t0 + 520ms);
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(rec_->close_reason(sid), "ping timeout");
}

TEST_F(EioServerTest, SessionExpiresAtPingIntervalPlusTimeoutWithoutAnyRequest) {
    start(conformance_options());
    auto sid = handshake();
    std::this_thread::sleep_for(510ms);
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(rec_->close_reason(sid), "ping timeout");
}

TEST_F(EioServerTest, ClientCloseAnswersThePendingPollWithNoop) {
    start();
    auto sid = handshake();
    auto pending = std::async(std::launch::async, [&] { return get(sid); });
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(post(sid, "1").status, 200u);
    auto r = pending.get();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "6");
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(rec_->close_reason(sid), "client close");
}

TEST_F(EioServerTest, OversizedPostIs413AndTheSessionLives) {
    eio_options o = test_options();
    o.max_payload = 1000;
    start(o);
    auto sid = handshake();
    auto big = post(sid, "4" + std::string(1200, 'x'));
    EXPECT_EQ(big.status, 413u);
    EXPECT_EQ(post(sid, "4ok").body, "ok");
    EXPECT_EQ(get(sid).body, "4ok");
}

TEST_F(EioServerTest, BodyLimitsArePerEndpoint) {
    start();
    auto sid = handshake();
    // Beyond the route table's 64 KiB but within maxPayload.
    std::string big = "4" + std::string(70 * 1024, 'x');
    EXPECT_EQ(post(sid, big).body, "ok");
    EXPECT_EQ(get(sid).body, big);
    EXPECT_EQ(http_call(port_, bhttp::verb::post, "/other", big).status, 413u);
}

TEST_F(EioServerTest, WebSocketEchoesTextAndBinary) {
    start();
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
    ASSERT_FALSE(ws.read_open_sid().empty());
    ASSERT_FALSE(ws.send("4hello"));
    auto f = ws.read();
    EXPECT_FALSE(f.ec);
    EXPECT_EQ(f.data, "4hello");
    EXPECT_FALSE(f.binary);
    ASSERT_FALSE(ws.send(std::string("\x01\x02\x03\x04", 4), true));
    f = ws.read();
    EXPECT_FALSE(f.ec);
    EXPECT_EQ(f.data, std::string("\x01\x02\x03\x04", 4));
    EXPECT_TRUE(f.binary);
}

TEST_F(EioServerTest, WebSocketInvalidPacketAndClientCloseEndTheSession) {
    start();
    {
        ws_client ws;
        ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
        auto sid = ws.read_open_sid();
        ASSERT_FALSE(ws.send("abc"));
        EXPECT_EQ(ws.read().ec, websocket::error::closed);
        EXPECT_EQ(rec_->close_reason(sid), "parse error");
    }
    {
        ws_client ws;
        ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
        auto sid = ws.read_open_sid();
        ASSERT_FALSE(ws.send("1"));
        EXPECT_EQ(ws.read().ec, websocket::error::closed);
        EXPECT_EQ(rec_->close_reason(sid), "client close");
    }
}

TEST_F(EioServerTest, WebSocketHeartbeatAndTimeout) {
    start(conformance_options());
    {
        ws_client ws;
        ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
        auto sid = ws.read_open_sid();
        for (int i = 0; i < 3; ++i) {
            auto f = ws.read();
            EXPECT_FALSE(f.ec);
            EXPECT_EQ(f.data, "2");
            ASSERT_FALSE(ws.send("3"));
        }
        EXPECT_TRUE(rec_->socket(sid)->is_open());
    }
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
    auto t0 = std::chrono::steady_clock::now();
    auto sid = ws.read_open_sid();
    EXPECT_EQ(ws.read().data, "2");
    EXPECT_EQ(ws.read().ec, websocket::error::closed);  // no pong
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 450ms);
    EXPECT_EQ(rec_->close_reason(sid), "ping timeout");
}

TEST_F(EioServerTest, OversizedWebSocketFrameClosesWith1009) {
    eio_options o = test_options();
    o.max_payload = 1000;
    start(o);
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
    auto sid = ws.read_open_sid();
    ASSERT_FALSE(ws.send("4" + std::string(2000, 'x')));
    auto f = ws.read();
    // The close frame arrives; the client's own closing handshake may then meet a connection the
    // server has already torn down (ENOTCONN), which does not matter here.
    EXPECT_TRUE(f.ec);
    EXPECT_EQ(ws.close_code(), 1009);
    EXPECT_EQ(rec_->close_reason(sid), "transport error");
}

TEST_F(EioServerTest, UpgradesFromPollingToWebSocket) {
    start();
    auto sid = handshake();
    auto pending = std::async(std::launch::async, [&] { return get(sid); });
    std::this_thread::sleep_for(50ms);
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    ASSERT_FALSE(ws.send("2probe"));
    EXPECT_EQ(ws.read().data, "3probe");
    auto r = pending.get();  // answered at the probe
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "6");
    auto during = get(sid);  // a poll during the upgrade
    EXPECT_EQ(during.status, 200u);
    EXPECT_EQ(during.body, "6");
    // Packets sent meanwhile wait for the new transport.
    rec_->socket(sid)->send({eio_packet{eio_packet_type::message, "queued", false}});
    ASSERT_FALSE(ws.send("5"));
    EXPECT_EQ(ws.read().data, "4queued");
    ASSERT_FALSE(ws.send("4hello"));
    EXPECT_EQ(ws.read().data, "4hello");
    EXPECT_EQ(rec_->socket(sid)->transport(), "websocket");
    EXPECT_EQ(get(sid).status, 400u);
    EXPECT_EQ(post(sid, "4x").status, 400u);
    // A second WebSocket for the upgraded sid is closed at once; the first one goes on.
    ws_client second;
    ASSERT_FALSE(second.connect(port_, "/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    EXPECT_EQ(second.read().ec, websocket::error::closed);
    ASSERT_FALSE(ws.send("4again"));
    EXPECT_EQ(ws.read().data, "4again");
}

TEST_F(EioServerTest, HeartbeatGoesOnAfterTheUpgrade) {
    start(conformance_options());
    auto sid = handshake();
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    ASSERT_FALSE(ws.send("2probe"));
    EXPECT_EQ(ws.read().data, "3probe");
    ASSERT_FALSE(ws.send("5"));
    for (int i = 0; i < 2; ++i) {
        auto f = ws.read();
        EXPECT_FALSE(f.ec);
        EXPECT_EQ(f.data, "2");
        ASSERT_FALSE(ws.send("3"));
    }
    EXPECT_TRUE(rec_->socket(sid)->is_open());
    EXPECT_EQ(rec_->socket(sid)->transport(), "websocket");
}

TEST_F(EioServerTest, PollDuringUpgradeGets400WhenTheUpgradeCompletes) {
    start();
    auto sid = handshake();
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    ASSERT_FALSE(ws.send("2probe"));
    EXPECT_EQ(ws.read().data, "3probe");
    auto pending = std::async(std::launch::async, [&] { return get(sid); });
    std::this_thread::sleep_for(20ms);
    ASSERT_FALSE(ws.send("5"));
    EXPECT_EQ(pending.get().status, 400u);
    ASSERT_FALSE(ws.send("4hello"));
    EXPECT_EQ(ws.read().data, "4hello");
}

TEST_F(EioServerTest, UpgradeTimeoutKeepsPolling) {
    eio_options o = test_options();
    o.upgrade_timeout = 100ms;
    start(o);
    auto sid = handshake();
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket&sid=" + sid));
    EXPECT_EQ(ws.read().ec, websocket::error::closed);  // dropped: no `5` in time
    EXPECT_EQ(post(sid, "4still").body, "ok");
    EXPECT_EQ(get(sid).body, "4still");
    EXPECT_EQ(rec_->socket(sid)->transport(), "polling");
}

TEST_F(EioServerTest, SlowPollingClientIsClosed) {
    eio_options o = test_options();
    o.max_buffered_bytes = 64;
    start(o);
    auto sid = handshake();
    // The echoes pile up: this client never polls.
    EXPECT_EQ(post(sid, "4" + std::string(30, 'a')).body, "ok");
    EXPECT_EQ(post(sid, "4" + std::string(30, 'b')).body, "ok");
    EXPECT_EQ(post(sid, "4" + std::string(30, 'c')).status, 200u);
    EXPECT_EQ(rec_->close_reason(sid), "slow client");
    EXPECT_EQ(get(sid).status, 400u);
}

TEST_F(EioServerTest, ServerCloseFlushesThenSendsTheClosePacket) {
    start();
    auto sid = handshake();
    auto s = rec_->socket(sid);
    ASSERT_TRUE(s);
    s->send({eio_packet{eio_packet_type::message, "bye", false}});
    s->close();
    EXPECT_EQ(rec_->close_reason(sid), "forced close");
    EXPECT_FALSE(s->is_open());
    auto r = get(sid);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(
        r.body,
        "4bye\x1e"
        "1"
    );
    EXPECT_EQ(get(sid).status, 400u);

    // Unfetched, the close packet keeps the sid known for a while; close_all ends that.
    auto other = handshake();
    rec_->socket(other)->close();
    EXPECT_EQ(rec_->close_reason(other), "forced close");
    EXPECT_EQ(eio_->session_count(), 1u);
    eio_->close_all();
    for (int i = 0; i < 100 && eio_->session_count() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(eio_->session_count(), 0u);
}

TEST_F(EioServerTest, CloseAllEndsEverySessionAndRefusesNewOnes) {
    start();
    auto polling = handshake();
    auto pending = std::async(std::launch::async, [&] { return get(polling); });
    ws_client ws;
    ASSERT_FALSE(ws.connect(port_, "/engine.io/?EIO=4&transport=websocket"));
    auto wsid = ws.read_open_sid();
    std::this_thread::sleep_for(50ms);
    eio_->close_all();
    auto r = pending.get();
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "1");
    EXPECT_EQ(ws.read().ec, websocket::error::closed);
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_EQ(rec_->close_reason(polling), "server shutting down");
    EXPECT_EQ(rec_->close_reason(wsid), "server shutting down");
    EXPECT_EQ(
        http_call(port_, bhttp::verb::get, "/engine.io/?EIO=4&transport=polling").status, 503u
    );
    EXPECT_EQ(eio_->session_count(), 0u);
}

TEST_F(EioServerTest, CorsForAllowedOrigins) {
    eio_options o = test_options();
    o.cors_origins = {"http://app.test"};
    start(o);
    auto r = http_call(
        port_,
        bhttp::verb::get,
        "/engine.io/?EIO=4&transport=polling",
        "",
        {{"Origin", "http://app.test"}}
    );
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.raw["Access-Control-Allow-Origin"], "http://app.test");
    EXPECT_EQ(r.raw["Access-Control-Allow-Credentials"], "true");
    EXPECT_EQ(r.raw["Vary"], "Origin");
    auto other = http_call(
        port_,
        bhttp::verb::get,
        "/engine.io/?EIO=4&transport=polling",
        "",
        {{"Origin", "http://evil.test"}}
    );
    EXPECT_EQ(other.raw.count("Access-Control-Allow-Origin"), 0u);
    auto pre = http_call(
        port_,
        bhttp::verb::options,
        "/engine.io/?EIO=4&transport=polling",
        "",
        {{"Origin", "http://app.test"}, {"Access-Control-Request-Headers", "content-type"}}
    );
    EXPECT_EQ(pre.status, 204u);
    EXPECT_EQ(pre.raw["Access-Control-Allow-Methods"], "GET, POST, OPTIONS");
    EXPECT_EQ(pre.raw["Access-Control-Allow-Headers"], "content-type");
    EXPECT_EQ(pre.raw["Access-Control-Allow-Origin"], "http://app.test");
}

}  // namespace
}  // namespace ptool::realtime
