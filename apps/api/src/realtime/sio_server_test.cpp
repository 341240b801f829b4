#include "realtime/sio_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <stdexcept>

namespace ptool::realtime {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

eio_packet text(std::string s) { return eio_packet{eio_packet_type::message, std::move(s), false}; }
eio_packet bytes(std::string s) { return eio_packet{eio_packet_type::message, std::move(s), true}; }

// An Engine.IO session that records what the Socket.IO layer sends.
class fake_transport : public eio_socket {
public:
    explicit fake_transport(asio::io_context& ioc) : strand_(asio::make_strand(ioc)) {}

    const std::string& sid() const override { return sid_; }
    asio::any_io_executor executor() const override { return strand_; }
    void send(std::vector<eio_packet> packets) override {
        std::lock_guard lock(mu_);
        for (auto& p : packets) sent_.push_back(std::move(p));
    }
    void close() override {
        std::lock_guard lock(mu_);
        ++close_calls_;
    }
    bool is_open() const override {
        std::lock_guard lock(mu_);
        return close_calls_ == 0;
    }
    std::string transport() const override { return "websocket"; }
    std::size_t buffered_bytes() const override { return 0; }

    // Returns and forgets what was sent: text packets as is, binary ones as "<bin:...>".
    std::vector<std::string> take() {
        std::lock_guard lock(mu_);
        std::vector<std::string> out;
        for (const auto& p : sent_) out.push_back(p.binary ? "<bin:" + p.data + ">" : p.data);
        sent_.clear();
        return out;
    }
    int close_calls() const {
        std::lock_guard lock(mu_);
        return close_calls_;
    }

private:
    asio::strand<asio::io_context::executor_type> strand_;
    std::string sid_ = "eio-sid";
    mutable std::mutex mu_;
    std::vector<eio_packet> sent_;
    int close_calls_ = 0;
};

// Records the calls it gets; acks with the event's arguments; emits "auth" once connected.
class recording_namespace : public sio_namespace {
public:
    asio::awaitable<std::optional<json::object>> on_connect(
        std::shared_ptr<sio_socket> socket, json::value auth
    ) override {
        calls.push_back("connect " + json::serialize(auth));
        if (throw_on_connect) throw std::runtime_error("boom");
        if (join_on_connect) server->join(socket, "early");
        co_return refusal;
    }

    asio::awaitable<void> on_connected(std::shared_ptr<sio_socket> socket) override {
        calls.push_back("connected");
        sockets.push_back(socket);
        sio_args args;
        args.args.emplace_back(json::object{});
        socket->emit("auth", std::move(args));
        co_return;
    }

    asio::awaitable<void> on_event(
        std::shared_ptr<sio_socket> socket, std::string event, sio_args args, sio_ack ack
    ) override {
        calls.push_back(
            "event " + event + " " + json::serialize(args.args) +
            " attachments=" + std::to_string(args.attachments.size()) + (ack ? " ack" : "")
        );
        if (event == "throw") throw std::runtime_error("handler bug");
        if (event == "bye") socket->disconnect();
        if (ack) {
            ack(args);
            ack(args);  // only the first call sends
        }
        co_return;
    }

    void on_disconnect(std::shared_ptr<sio_socket> socket, std::string_view reason) override {
        calls.push_back("disconnect " + std::string(reason) + (socket->connected() ? " !" : ""));
    }

    sio_server* server = nullptr;
    std::optional<json::object> refusal;
    bool throw_on_connect = false;
    bool join_on_connect = false;
    std::vector<std::string> calls;
    std::vector<std::shared_ptr<sio_socket>> sockets;
};

using texts = std::vector<std::string>;

class SioServer : public ::testing::Test {
protected:
    explicit SioServer(sio_options options = {}) : server_(options) {
        main_->server = &server_;
        custom_->server = &server_;
        server_.add_namespace("/", main_);
        server_.add_namespace("/custom", custom_);
    }

    struct client {
        std::shared_ptr<fake_transport> transport;
        std::shared_ptr<eio_listener> listener;
    };

    client open() {
        client c{std::make_shared<fake_transport>(ioc_), nullptr};
        c.listener = server_.accept(c.transport);
        return c;
    }

    // Feeds messages, then runs what became ready (the connect timer stays pending).
    void feed(const client& c, std::vector<eio_packet> messages) {
        for (auto& m : messages) c.listener->on_message(std::move(m));
        run_ready();
    }
    void feed(const client& c, const std::string& message) { feed(c, {text(message)}); }

    void run_ready() {
        ioc_.restart();
        ioc_.poll();
    }

    // A client connected to `nsp`; its CONNECT answer and "auth" event are consumed.
    client connected(const std::string& nsp = "/") {
        auto c = open();
        feed(c, nsp == "/" ? "0" : "0" + nsp + ",");
        EXPECT_EQ(c.transport->take().size(), 2U);
        return c;
    }

    asio::io_context ioc_;
    sio_server server_;
    std::shared_ptr<recording_namespace> main_ = std::make_shared<recording_namespace>();
    std::shared_ptr<recording_namespace> custom_ = std::make_shared<recording_namespace>();
};

std::string sid_of_answer(const std::string& answer, std::size_t prefix) {
    auto value = json::parse(answer.substr(prefix));
    EXPECT_EQ(value.as_object().size(), 1U) << answer;
    return std::string(value.as_object().at("sid").as_string());
}

TEST_F(SioServer, ConnectToMainNamespaceAnswersSidThenConnected) {
    auto c = open();
    feed(c, "0");
    auto sent = c.transport->take();
    ASSERT_EQ(sent.size(), 2U);
    ASSERT_EQ(sent[0].substr(0, 2), "0{");
    const auto sid = sid_of_answer(sent[0], 1);
    EXPECT_EQ(sid.size(), 20U);
    for (char ch : sid) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << sid;
    }
    EXPECT_EQ(sent[1], R"(2["auth",{}])");
    EXPECT_EQ(main_->calls, (texts{"connect null", "connected"}));
    ASSERT_EQ(main_->sockets.size(), 1U);
    EXPECT_EQ(main_->sockets[0]->id(), sid);
    EXPECT_EQ(main_->sockets[0]->nsp(), "/");
    EXPECT_TRUE(main_->sockets[0]->connected());
    EXPECT_EQ(server_.socket_count(), 1U);
}

TEST_F(SioServer, ConnectPayloadReachesOnConnect) {
    auto c = open();
    feed(c, R"(0{"token":"123"})");
    EXPECT_EQ(main_->calls, (texts{R"(connect {"token":"123"})", "connected"}));
}

TEST_F(SioServer, ConnectToCustomNamespace) {
    auto c = open();
    feed(c, R"(0/custom,{"token":"abc"})");
    auto sent = c.transport->take();
    ASSERT_EQ(sent.size(), 2U);
    ASSERT_EQ(sent[0].substr(0, 9), "0/custom,");
    EXPECT_EQ(sid_of_answer(sent[0], 9), custom_->sockets.at(0)->id());
    EXPECT_EQ(sent[1], R"(2/custom,["auth",{}])");
    EXPECT_EQ(custom_->calls, (texts{R"(connect {"token":"abc"})", "connected"}));
    EXPECT_TRUE(main_->calls.empty());
}

TEST_F(SioServer, TwoSocketsGetDifferentIds) {
    auto a = connected();
    auto b = connected();
    ASSERT_EQ(main_->sockets.size(), 2U);
    EXPECT_NE(main_->sockets[0]->id(), main_->sockets[1]->id());
}

TEST_F(SioServer, UnknownNamespaceIsRefused) {
    auto c = open();
    feed(c, "0/random");
    EXPECT_EQ(c.transport->take(), (texts{R"(4/random,{"message":"Invalid namespace"})"}));
    EXPECT_EQ(c.transport->close_calls(), 0);
    EXPECT_EQ(server_.socket_count(), 0U);
}

TEST_F(SioServer, RefusedConnectSendsConnectError) {
    main_->refusal = json::object{{"message", "unauthenticated"}};
    main_->join_on_connect = true;
    auto c = open();
    feed(c, "0");
    EXPECT_EQ(c.transport->take(), (texts{R"(4{"message":"unauthenticated"})"}));
    EXPECT_EQ(main_->calls, (texts{"connect null"}));
    EXPECT_EQ(server_.socket_count(), 0U);
    sio_args args;
    EXPECT_EQ(server_.broadcast("/", {"early"}, "x", args), 0U);

    // The namespace can be tried again.
    main_->refusal.reset();
    feed(c, "0");
    EXPECT_EQ(c.transport->take().size(), 2U);
    EXPECT_EQ(server_.socket_count(), 1U);
}

TEST_F(SioServer, ThrowingOnConnectRefusesWithInternalError) {
    main_->throw_on_connect = true;
    auto c = open();
    feed(c, "0");
    EXPECT_EQ(c.transport->take(), (texts{R"(4{"message":"internal error"})"}));
    EXPECT_EQ(server_.socket_count(), 0U);
}

TEST_F(SioServer, SecondConnectToSameNamespaceIsIgnored) {
    auto c = connected();
    feed(c, "0");
    EXPECT_TRUE(c.transport->take().empty());
    EXPECT_EQ(main_->calls, (texts{"connect null", "connected"}));
}

TEST_F(SioServer, EventWithoutAck) {
    auto c = connected();
    feed(c, R"(2["message",1,"2",{"3":[true]}])");
    EXPECT_EQ(main_->calls.back(), R"(event message [1,"2",{"3":[true]}] attachments=0)");
    EXPECT_TRUE(c.transport->take().empty());
}

TEST_F(SioServer, EventWithAckIsAnsweredOnce) {
    auto c = connected();
    feed(c, R"(2456["message-with-ack",1,"2",{"3":[false]}])");
    EXPECT_EQ(
        main_->calls.back(), R"(event message-with-ack [1,"2",{"3":[false]}] attachments=0 ack)"
    );
    EXPECT_EQ(c.transport->take(), (texts{R"(3456[1,"2",{"3":[false]}])"}));
}

TEST_F(SioServer, CustomNamespaceEventAndAckKeepTheNamespace) {
    auto c = connected("/custom");
    feed(c, R"(2/custom,7["ping"])");
    EXPECT_EQ(custom_->calls.back(), "event ping [] attachments=0 ack");
    EXPECT_EQ(c.transport->take(), (texts{"3/custom,7[]"}));
}

TEST_F(SioServer, BinaryEventWithAckGetsBinaryAck) {
    auto c = connected();
    feed(
        c,
        {text(
             R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"
         ),
         bytes("\x01\x02\x03"),
         bytes("\x04\x05\x06")}
    );
    EXPECT_EQ(
        main_->calls.back(),
        R"(event message-with-ack [{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}] attachments=2 ack)"
    );
    EXPECT_EQ(
        c.transport->take(),
        (texts{
            R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
            "<bin:\x01\x02\x03>",
            "<bin:\x04\x05\x06>"})
    );
}

TEST_F(SioServer, EmitWithAttachmentsIsBinaryEvent) {
    auto c = connected();
    sio_args args;
    args.args.emplace_back(json::object{{"_placeholder", true}, {"num", 0}});
    args.attachments.emplace_back("\x07");
    main_->sockets.at(0)->emit("message-back", std::move(args));
    EXPECT_EQ(
        c.transport->take(),
        (texts{R"(51-["message-back",{"_placeholder":true,"num":0}])", "<bin:\x07>"})
    );
}

TEST_F(SioServer, EventForANamespaceNotConnectedIsIgnored) {
    auto c = connected();
    feed(c, R"(2/custom,1["message"])");
    EXPECT_TRUE(custom_->calls.empty());
    EXPECT_TRUE(c.transport->take().empty());
    EXPECT_EQ(c.transport->close_calls(), 0);
}

TEST_F(SioServer, ThrowingEventHandlerIsLoggedNotFatal) {
    auto c = connected();
    feed(c, R"(2["throw"])");
    feed(c, R"(2["message"])");
    EXPECT_EQ(main_->calls.back(), "event message [] attachments=0");
    EXPECT_EQ(c.transport->close_calls(), 0);
}

TEST_F(SioServer, ClientDisconnect) {
    auto c = connected();
    auto socket = main_->sockets.at(0);
    server_.join(socket, "r");
    feed(c, "1");
    EXPECT_EQ(main_->calls.back(), "disconnect client namespace disconnect");
    EXPECT_FALSE(socket->connected());
    EXPECT_EQ(server_.socket_count(), 0U);
    sio_args args;
    EXPECT_EQ(server_.broadcast("/", {"r"}, "x", args), 0U);
    server_.join(socket, "r");  // ignored after disconnect
    EXPECT_EQ(server_.broadcast("/", {"r"}, "x", args), 0U);

    // Events for it are ignored now, and the namespace can be connected again.
    feed(c, R"(2["message"])");
    EXPECT_EQ(main_->calls.back(), "disconnect client namespace disconnect");
    feed(c, "0");
    EXPECT_EQ(c.transport->take().size(), 2U);
    EXPECT_EQ(server_.socket_count(), 1U);
}

TEST_F(SioServer, ClientDisconnectOfOneNamespaceKeepsTheOther) {
    auto c = connected();
    feed(c, "0/custom,");
    c.transport->take();
    feed(c, "1/custom,");
    feed(c, R"(2["message","to main"])");
    EXPECT_EQ(custom_->calls.back(), "disconnect client namespace disconnect");
    EXPECT_EQ(main_->calls.back(), R"(event message ["to main"] attachments=0)");
    EXPECT_EQ(server_.socket_count(), 1U);
}

TEST_F(SioServer, DisconnectWhileConnectingDropsTheAnswer) {
    auto c = open();
    // Both before the strand runs: on_connect has not finished when DISCONNECT arrives.
    c.listener->on_message(text("0"));
    c.listener->on_message(text("1"));
    run_ready();
    EXPECT_TRUE(c.transport->take().empty());
    EXPECT_EQ(main_->calls, (texts{"connect null"}));
    EXPECT_EQ(server_.socket_count(), 0U);
}

TEST_F(SioServer, ServerDisconnect) {
    auto c = connected();
    auto socket = main_->sockets.at(0);
    server_.join(socket, "r");
    socket->disconnect();
    run_ready();
    EXPECT_EQ(c.transport->take(), (texts{"1"}));
    EXPECT_EQ(main_->calls.back(), "disconnect server namespace disconnect");
    EXPECT_FALSE(socket->connected());
    EXPECT_EQ(server_.socket_count(), 0U);
    socket->disconnect();  // idempotent
    run_ready();
    EXPECT_TRUE(c.transport->take().empty());
    socket->emit("late");
    EXPECT_TRUE(c.transport->take().empty());
}

TEST_F(SioServer, ServerDisconnectFromHandler) {
    auto c = connected("/custom");
    feed(c, R"(2/custom,["bye"])");
    EXPECT_EQ(c.transport->take(), (texts{"1/custom,"}));
    EXPECT_EQ(custom_->calls.back(), "disconnect server namespace disconnect");
}

TEST_F(SioServer, AckAfterDisconnectIsDropped) {
    auto c = connected();
    sio_ack kept;
    struct keeper : sio_namespace {
        asio::awaitable<std::optional<json::object>> on_connect(
            std::shared_ptr<sio_socket>, json::value
        ) override {
            co_return std::nullopt;
        }
        asio::awaitable<void> on_event(
            std::shared_ptr<sio_socket>, std::string, sio_args, sio_ack ack
        ) override {
            *out = std::move(ack);
            co_return;
        }
        sio_ack* out = nullptr;
    };
    auto ns = std::make_shared<keeper>();
    ns->out = &kept;
    server_.add_namespace("/keep", ns);
    feed(c, "0/keep,");
    c.transport->take();
    feed(c, R"(2/keep,5["e"])");
    ASSERT_TRUE(kept);
    feed(c, "1/keep,");
    kept(sio_args{});
    EXPECT_TRUE(c.transport->take().empty());
}

TEST_F(SioServer, TransportCloseDisconnectsEveryNamespace) {
    auto c = connected();
    feed(c, "0/custom,");
    auto socket = main_->sockets.at(0);
    server_.join(socket, "r");
    c.listener->on_close("transport close");
    EXPECT_EQ(main_->calls.back(), "disconnect transport close");
    EXPECT_EQ(custom_->calls.back(), "disconnect transport close");
    EXPECT_EQ(server_.socket_count(), 0U);
    sio_args args;
    EXPECT_EQ(server_.broadcast("/", {"r"}, "x", args), 0U);
    feed(c, "0/custom,");  // after the close: ignored
    EXPECT_EQ(server_.socket_count(), 0U);
}

TEST_F(SioServer, ParseErrorClosesTheSession) {
    for (const std::string bad : {"4abc", "2{}", R"(2abc["message"])", "9", ""}) {
        auto c = connected();
        feed(c, bad);
        EXPECT_EQ(c.transport->close_calls(), 1) << bad;
        EXPECT_EQ(main_->calls.back(), "disconnect parse error") << bad;
        feed(c, R"(2["message"])");            // the rest of the payload after the close is ignored
        c.listener->on_close("forced close");  // Engine.IO confirms: nothing left to end
        EXPECT_EQ(main_->calls.back(), "disconnect parse error") << bad;
        EXPECT_EQ(server_.socket_count(), 0U) << bad;
    }
}

TEST_F(SioServer, UnexpectedBinaryClosesTheSession) {
    auto c = connected();
    feed(c, {bytes("\x01")});
    EXPECT_EQ(c.transport->close_calls(), 1);
}

// --- rooms --------------------------------------------------------------------------------

TEST_F(SioServer, BroadcastReachesEachSocketOnce) {
    auto a = connected();
    auto b = connected();
    auto c = connected();
    auto sa = main_->sockets.at(0);
    auto sb = main_->sockets.at(1);
    server_.join(sa, "tenant:1");
    server_.join(sa, "artist:7");
    server_.join(sa, "artist:7");  // twice: still once
    server_.join(sb, "artist:7");
    sio_args args;
    args.args.emplace_back(json::object{{"seq", 3}});
    EXPECT_EQ(
        server_.broadcast("/", {"tenant:1", "artist:7", "nobody"}, "booking.created", args), 2U
    );
    EXPECT_EQ(a.transport->take(), (texts{R"(2["booking.created",{"seq":3}])"}));
    EXPECT_EQ(b.transport->take(), (texts{R"(2["booking.created",{"seq":3}])"}));
    EXPECT_TRUE(c.transport->take().empty());
    EXPECT_EQ(server_.broadcast("/", {"artist:7"}, "e", {}), 2U);
    EXPECT_EQ(server_.broadcast("/", {}, "e", {}), 0U);
    EXPECT_EQ(server_.broadcast("/", {"unknown"}, "e", {}), 0U);
}

TEST_F(SioServer, BroadcastToFiveThousandSocketsInOverlappingRooms) {
    constexpr std::size_t n = 5000;
    std::vector<client> clients;
    clients.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        clients.push_back(open());
        clients.back().listener->on_message(text("0"));
    }
    run_ready();
    ASSERT_EQ(main_->sockets.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
        server_.join(main_->sockets[i], "tenant:1");
        if (i % 2 == 0) server_.join(main_->sockets[i], "artist:1");
        clients[i].transport->take();
    }
    sio_args args;
    args.args.emplace_back(json::object{{"seq", 1}});
    EXPECT_EQ(server_.broadcast("/", {"tenant:1", "artist:1"}, "booking.created", args), n);
    for (const auto& c : clients) {
        ASSERT_EQ(c.transport->take(), (texts{R"(2["booking.created",{"seq":1}])"}));
    }
}

TEST_F(SioServer, BroadcastWithAttachmentsIsBinary) {
    auto a = connected();
    server_.join(main_->sockets.at(0), "r");
    sio_args args;
    args.args.emplace_back(json::object{{"_placeholder", true}, {"num", 0}});
    args.attachments.emplace_back("xyz");
    EXPECT_EQ(server_.broadcast("/", {"r"}, "blob", args), 1U);
    EXPECT_EQ(
        a.transport->take(), (texts{R"(51-["blob",{"_placeholder":true,"num":0}])", "<bin:xyz>"})
    );
}

TEST_F(SioServer, LeaveStopsDelivery) {
    auto a = connected();
    auto sa = main_->sockets.at(0);
    server_.join(sa, "r1");
    server_.join(sa, "r2");
    server_.leave(sa, "r1");
    server_.leave(sa, "never-joined");
    EXPECT_EQ(server_.broadcast("/", {"r1"}, "e", {}), 0U);
    EXPECT_EQ(server_.broadcast("/", {"r1", "r2"}, "e", {}), 1U);
    server_.leave(sa, "r2");
    EXPECT_EQ(server_.broadcast("/", {"r1", "r2"}, "e", {}), 0U);
    EXPECT_EQ(a.transport->take(), (texts{R"(2["e"])"}));
}

TEST_F(SioServer, BroadcastStaysInItsNamespace) {
    auto a = connected();
    auto b = connected("/custom");
    server_.join(main_->sockets.at(0), "r");
    server_.join(custom_->sockets.at(0), "r");
    EXPECT_EQ(server_.broadcast("/", {"r"}, "e", {}), 1U);
    EXPECT_EQ(a.transport->take(), (texts{R"(2["e"])"}));
    EXPECT_TRUE(b.transport->take().empty());
    EXPECT_EQ(server_.broadcast("/custom", {"r"}, "e", {}), 1U);
    EXPECT_EQ(b.transport->take(), (texts{R"(2/custom,["e"])"}));
}

TEST_F(SioServer, JoinDuringOnConnectCountsOnlyOnceConnected) {
    main_->join_on_connect = true;
    auto c = open();
    c.listener->on_message(text("0"));
    // Not run yet: the socket is connecting, so a broadcast does not reach it.
    EXPECT_EQ(server_.broadcast("/", {"early"}, "e", {}), 0U);
    run_ready();
    c.transport->take();
    EXPECT_EQ(server_.broadcast("/", {"early"}, "e", {}), 1U);
}

TEST_F(SioServer, SocketDroppedWithoutDisconnectLeavesItsRooms) {
    {
        auto transport = std::make_shared<fake_transport>(ioc_);
        auto socket = std::make_shared<sio_socket>(server_, transport, "/");
        server_.join(socket, "r");
    }
    EXPECT_EQ(server_.broadcast("/", {"r"}, "e", {}), 0U);
}

// --- connect timeout ------------------------------------------------------------------------

class SioServerTimeout : public SioServer {
protected:
    SioServerTimeout() : SioServer(sio_options{std::chrono::milliseconds(5)}) {}
};

TEST_F(SioServerTimeout, NoConnectClosesTheSession) {
    auto c = open();
    ioc_.run();  // returns once the connect timer fired
    EXPECT_EQ(c.transport->close_calls(), 1);
}

TEST_F(SioServerTimeout, RefusedConnectStillTimesOut) {
    main_->refusal = json::object{{"message", "no"}};
    auto c = open();
    feed(c, "0");
    ioc_.restart();
    ioc_.run();
    EXPECT_EQ(c.transport->close_calls(), 1);
}

TEST_F(SioServerTimeout, ConnectedSessionStaysOpen) {
    auto c = connected();
    ioc_.restart();
    ioc_.run();  // the timer was cancelled: nothing left to wait for
    EXPECT_EQ(c.transport->close_calls(), 0);
}

TEST_F(SioServerTimeout, ClosedSessionDoesNotTimeOut) {
    auto c = open();
    c.listener->on_close("transport close");
    ioc_.run();
    EXPECT_EQ(c.transport->close_calls(), 0);
}

}  // namespace
}  // namespace ptool::realtime
