#pragma once
// Socket.IO protocol v5 server (https://github.com/socketio/socket.io-protocol) on top of
// Engine.IO sessions: namespaces with an async CONNECT handler (auth payload), CONNECT_ERROR,
// events with acks (binary attachments kept as they are), DISCONNECT, the connect timeout, and
// rooms with broadcast that reaches each socket once.
//
// Behaviour pinned down (the official test-suite checks it):
// - CONNECT to a registered namespace: the handler's on_connect decides; accepted →
//   `0<nsp,>{"sid":"<id>"}` then on_connected; refused → `4<nsp,><error object>`. An unknown
//   namespace → `4<nsp,>{"message":"Invalid namespace"}`. A second CONNECT to a namespace that
//   is connected (or connecting) is ignored.
// - No successful CONNECT within connect_timeout of the Engine.IO open closes the session (a
//   CONNECT still being decided by on_connect does not count; one that succeeded does, even if
//   that namespace was left since).
// - EVENT/BINARY_EVENT for a connected namespace → on_event(name, args, ack); ack is empty
//   unless the packet carried an id, and sends ACK/BINARY_ACK with that id once. Packets for a
//   namespace that is not connected are ignored.
// - DISCONNECT from the client → on_disconnect("client namespace disconnect"). Session end →
//   on_disconnect for each connected namespace with the Engine.IO reason ("transport close",
//   "ping timeout", …).
// - A packet that does not decode (sio_decoder error) closes the Engine.IO session: its
//   connected namespaces get on_disconnect("parse error"), later messages are ignored.
// - Handler exceptions are logged, never propagated: from on_connect the client gets
//   CONNECT_ERROR {"message":"internal error"}; from on_connected/on_event nothing happens.
//
// Threading: a session's packets are handled on its Engine.IO strand; handler coroutines are
// spawned there (so a slow on_event does not block later packets). sio_socket and sio_server
// methods are thread-safe.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "realtime/eio_server.hpp"
#include "realtime/socketio.hpp"

namespace ptool::realtime {

struct sio_options {
    std::chrono::milliseconds connect_timeout{45000};
};

// Arguments of an event (after its name) or of an ack. Objects {"_placeholder":true,"num":N}
// inside `args` stand for attachments[N] (binary data), as on the wire.
struct sio_args {
    boost::json::array args = {};
    std::vector<std::string> attachments = {};
};

// Sends the ack of one event; empty when the client asked for none. Only the first call sends;
// nothing is sent once the socket is disconnected. Callable from any thread.
using sio_ack = std::function<void(sio_args)>;

class sio_server;
struct sio_session;

// One client's connection to one namespace. Thread-safe unless noted.
class sio_socket : public std::enable_shared_from_this<sio_socket> {
public:
    // Made by the session on CONNECT (id: 20 random base64url characters).
    sio_socket(sio_server& server, std::shared_ptr<eio_socket> transport, std::string nsp);
    ~sio_socket();  // leaves its rooms if it still is in any
    sio_socket(const sio_socket&) = delete;
    sio_socket& operator=(const sio_socket&) = delete;

    const std::string& id() const { return id_; }  // the "sid" of the CONNECT answer
    const std::string& nsp() const { return nsp_; }
    eio_socket& transport() const { return *transport_; }
    boost::asio::any_io_executor executor() const { return transport_->executor(); }

    // Sends EVENT [event, ...args] (BINARY_EVENT when args carries attachments). Ignored once
    // the socket is disconnected; while on_connect decides it goes out before the CONNECT
    // answer (the client buffers it until connected).
    void emit(std::string_view event, sio_args args = {});
    // Sends already encoded Engine.IO messages of one packet (broadcast encodes once).
    void send_encoded(std::vector<eio_packet> packets) { transport_->send(std::move(packets)); }

    // Server-side disconnect: sends DISCONNECT, leaves every room, on_disconnect("server
    // namespace disconnect"). Idempotent. Called while on_connect is still deciding, it turns the
    // answer into CONNECT_ERROR {"message":"disconnected by server"}. Runs on executor() (at
    // once when called there, else posted).
    void disconnect();
    bool connected() const;

    // State of the namespace handler for this socket. Touch it only on executor().
    std::shared_ptr<void> user_data;

private:
    friend class sio_server;
    friend struct sio_session;
    enum class state { connecting, connected, disconnected };

    sio_server& server_;
    std::shared_ptr<eio_socket> transport_;
    std::string nsp_;
    std::string id_;
    std::weak_ptr<sio_session> session_;  // set once, before the socket is shared
    mutable std::mutex mu_;
    state state_ = state::connecting;        // guarded by mu_; written only on executor()
    bool disconnect_requested_ = false;      // executor() only: disconnect() during on_connect
    bool rooms_closed_ = false;              // guarded by server_.mu_: joins are ignored
    std::unordered_set<std::string> rooms_;  // guarded by server_.mu_
};

// A namespace's behaviour. Methods run on the socket's strand.
class sio_namespace {
public:
    virtual ~sio_namespace() = default;

    // CONNECT with its payload (an object, or null when the client sent none). nullopt accepts;
    // an object refuses with that CONNECT_ERROR data (e.g. {"message":"unauthenticated"}).
    virtual boost::asio::awaitable<std::optional<boost::json::object>> on_connect(
        std::shared_ptr<sio_socket> socket, boost::json::value auth
    ) = 0;

    // After the CONNECT answer was queued.
    virtual boost::asio::awaitable<void> on_connected(std::shared_ptr<sio_socket> socket);

    virtual boost::asio::awaitable<void> on_event(
        std::shared_ptr<sio_socket> socket, std::string event, sio_args args, sio_ack ack
    ) = 0;

    // Once per connected socket, after it left its rooms.
    virtual void on_disconnect(std::shared_ptr<sio_socket> socket, std::string_view reason);
};

// Owns the namespaces and the rooms registry. Must outlive every sio_socket (so: the Engine.IO
// servers carrying it and the io_context running their handlers).
class sio_server {
public:
    explicit sio_server(sio_options options = {});
    ~sio_server();
    sio_server(const sio_server&) = delete;
    sio_server& operator=(const sio_server&) = delete;

    // Registers a namespace ("/", "/custom"). Call before serving.
    void add_namespace(std::string nsp, std::shared_ptr<sio_namespace> handler);

    // The eio_accept of the Engine.IO server that carries this Socket.IO server.
    std::shared_ptr<eio_listener> accept(std::shared_ptr<eio_socket> session);

    // Rooms of a namespace. A socket leaves all its rooms when it disconnects; joining after
    // that is ignored.
    void join(const std::shared_ptr<sio_socket>& socket, const std::string& room);
    void leave(const std::shared_ptr<sio_socket>& socket, const std::string& room);

    // Emits one event to every connected socket of `nsp` that is in at least one of `rooms`,
    // once each, encoding the packet once. Returns how many sockets it was queued for.
    std::size_t broadcast(
        const std::string& nsp,
        const std::vector<std::string>& rooms,
        std::string_view event,
        const sio_args& args
    );

    std::size_t socket_count() const;  // connected sockets, all namespaces

private:
    friend class sio_socket;
    friend struct sio_session;
    std::shared_ptr<sio_namespace> find_namespace(const std::string& nsp) const;
    // Closes the socket's rooms for good (later joins are ignored) and leaves them.
    void remove_from_rooms(sio_socket& socket);
    void count_connected(int delta);

    sio_options options_;
    std::unordered_map<std::string, std::shared_ptr<sio_namespace>> namespaces_;
    mutable std::mutex mu_;
    // nsp -> room -> sockets, guarded by mu_. Raw pointers: a socket leaves every room (under
    // mu_) before it is destroyed, and broadcast takes shared_ptrs (weak_from_this) under mu_.
    using room_members = std::unordered_map<std::string, std::unordered_set<sio_socket*>>;
    std::unordered_map<std::string, room_members> rooms_;
    std::size_t connected_ = 0;  // guarded by mu_
};

}  // namespace ptool::realtime
