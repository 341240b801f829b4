// Socket.IO v5 server: one sio_session per Engine.IO session turns decoded packets into namespace
// handler calls on the session's strand; sio_server keeps namespaces and the rooms registry.

#include "realtime/sio_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/string.hpp>
#include <exception>
#include <random>
#include <utility>

#include "platform/log.hpp"

namespace ptool::realtime {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t socket_id_length = 20;

std::mt19937_64 seeded_rng() {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
}

// 20 characters of the base64url alphabet (120 random bits), like the reference server's ids.
std::string new_socket_id() {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    thread_local std::mt19937_64 rng = seeded_rng();
    std::string id(socket_id_length, 'A');
    std::uint64_t bits = 0;
    int left = 0;
    for (auto& c : id) {
        if (left < 6) {
            bits = rng();
            left = 64;
        }
        c = alphabet[static_cast<std::size_t>(bits & 63U)];
        bits >>= 6U;
        left -= 6;
    }
    return id;
}

// The data of an EVENT: [event, ...args].
json::array event_data(std::string_view event, json::array args) {
    json::array data;
    data.reserve(args.size() + 1);
    data.emplace_back(json::string(event));
    for (auto& arg : args) data.push_back(std::move(arg));
    return data;
}

// co_spawn completion for handler coroutines: a failing handler is a bug to log, never a crash.
auto log_failure(std::string what, std::string nsp) {
    return [what = std::move(what), nsp = std::move(nsp)](const std::exception_ptr& e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            platform::log_error(what, {{"nsp", nsp}, {"error", ex.what()}});
        } catch (...) {
            platform::log_error(what, {{"nsp", nsp}, {"error", "unknown exception"}});
        }
    };
}

}  // namespace

// The Socket.IO side of one Engine.IO session. Everything but construction runs on the
// session's strand (the Engine.IO listener contract), so its members need no lock.
struct sio_session : eio_listener, std::enable_shared_from_this<sio_session> {
    sio_session(sio_server& server, std::shared_ptr<eio_socket> transport)
        : server_(server),
          transport_(std::move(transport)),
          connect_timer_(transport_->executor()) {}

    void start(std::chrono::milliseconds connect_timeout) {
        connect_timer_.expires_after(connect_timeout);
        connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->closed_ || self->closing_ || self->any_connected_) return;
            platform::log_debug("socket.io connect timeout", {{"sid", self->transport_->sid()}});
            self->close_transport();
        });
    }

    void on_message(eio_packet message) override {
        if (closed_ || closing_) return;  // the rest of a payload after we asked to close
        auto result = decoder_.feed(message);
        if (const auto* errc = std::get_if<sio_errc>(&result)) {
            // A client speaking another protocol (or a broken one): the reference server
            // closes too; nothing the server did wrong, so debug level.
            platform::log_debug(
                "socket.io parse error",
                {{"sid", transport_->sid()}, {"error", std::string(to_string(*errc))}}
            );
            // The namespaces learn why (Engine.IO would only report "forced close").
            closing_ = true;
            decoder_.reset();
            auto sockets = std::move(sockets_);
            sockets_.clear();
            for (auto& [nsp, socket] : sockets) end_socket(socket, "parse error");
            close_transport();
            return;
        }
        if (auto* packet = std::get_if<sio_packet>(&result)) handle(std::move(*packet));
    }

    void on_close(std::string_view reason) override {
        if (closed_) return;
        closed_ = true;
        connect_timer_.cancel();
        decoder_.reset();
        auto sockets = std::move(sockets_);
        sockets_.clear();
        for (auto& [nsp, socket] : sockets) end_socket(socket, reason);
        // The Engine.IO session may keep its listener (us) until it is destroyed; dropping our
        // reference to it breaks that cycle. Sockets keep their own reference.
        transport_.reset();
    }

    void close_transport() {
        closing_ = true;
        transport_->close();
    }

    void handle(sio_packet packet) {
        switch (packet.type) {
            case sio_packet_type::connect:
                on_connect_packet(std::move(packet));
                break;
            case sio_packet_type::disconnect:
                on_disconnect_packet(packet.nsp);
                break;
            case sio_packet_type::event:
            case sio_packet_type::binary_event:
                on_event_packet(std::move(packet));
                break;
            case sio_packet_type::ack:
            case sio_packet_type::binary_ack:
            case sio_packet_type::connect_error:
                // We never emit with an ack, and a client has no reason to send CONNECT_ERROR.
                break;
        }
    }

    void on_connect_packet(sio_packet packet) {
        if (sockets_.contains(packet.nsp)) return;  // connected or connecting already
        auto ns = server_.find_namespace(packet.nsp);
        if (!ns) {
            sio_packet error;
            error.type = sio_packet_type::connect_error;
            error.nsp = packet.nsp;
            error.data = json::object{{"message", "Invalid namespace"}};
            transport_->send(encode(error));
            return;
        }
        auto socket = std::make_shared<sio_socket>(server_, transport_, packet.nsp);
        socket->session_ = weak_from_this();
        sockets_.emplace(packet.nsp, socket);
        json::value auth = nullptr;
        if (packet.data) auth = std::move(*packet.data);
        asio::co_spawn(
            transport_->executor(),
            run_connect(shared_from_this(), ns, socket, std::move(auth)),
            log_failure("socket.io on_connected failed", packet.nsp)
        );
    }

    static asio::awaitable<void> run_connect(
        std::shared_ptr<sio_session> self,
        std::shared_ptr<sio_namespace> ns,
        std::shared_ptr<sio_socket> socket,
        json::value auth
    ) {
        std::optional<json::object> refusal;
        try {
            refusal = co_await ns->on_connect(socket, std::move(auth));
        } catch (const std::exception& e) {
            platform::log_error(
                "socket.io on_connect failed", {{"nsp", socket->nsp()}, {"error", e.what()}}
            );
            refusal = json::object{{"message", "internal error"}};
        }
        {
            std::lock_guard lock(socket->mu_);
            // The client sent DISCONNECT, or the session ended, while on_connect decided.
            if (socket->state_ != sio_socket::state::connecting) co_return;
        }
        if (self->closed_) co_return;
        if (!refusal && socket->disconnect_requested_) {
            refusal = json::object{{"message", "disconnected by server"}};
        }
        if (refusal) {
            end_socket(socket, "refused");
            sio_packet error;
            error.type = sio_packet_type::connect_error;
            error.nsp = socket->nsp();
            error.data = std::move(*refusal);
            socket->send_encoded(encode(error));
            co_return;
        }

        sio_packet answer;
        answer.type = sio_packet_type::connect;
        answer.nsp = socket->nsp();
        answer.data = json::object{{"sid", socket->id()}};
        socket->send_encoded(encode(answer));
        {
            // After the answer is queued, so a broadcast never reaches the client before it.
            std::lock_guard lock(socket->mu_);
            socket->state_ = sio_socket::state::connected;
        }
        socket->server_.count_connected(1);
        self->any_connected_ = true;
        self->connect_timer_.cancel();
        co_await ns->on_connected(socket);
    }

    void on_event_packet(sio_packet packet) {
        auto it = sockets_.find(packet.nsp);
        if (it == sockets_.end() || !it->second->connected()) return;
        auto socket = it->second;
        auto ns = server_.find_namespace(socket->nsp());
        // The decoder guarantees a non-empty array starting with a string.
        auto& data = packet.data->as_array();
        std::string event(data.front().as_string());
        sio_args args;
        args.args.reserve(data.size() - 1);
        for (std::size_t i = 1; i < data.size(); ++i) args.args.push_back(std::move(data[i]));
        args.attachments = std::move(packet.attachments);
        sio_ack ack;
        if (packet.id) ack = make_ack(socket, *packet.id);
        asio::co_spawn(
            socket->executor(),
            ns->on_event(socket, std::move(event), std::move(args), std::move(ack)),
            log_failure("socket.io on_event failed", socket->nsp())
        );
    }

    static sio_ack make_ack(std::shared_ptr<sio_socket> socket, std::uint64_t id) {
        auto sent = std::make_shared<std::atomic<bool>>(false);
        return [socket = std::move(socket), id, sent](sio_args args) {
            if (sent->exchange(true) || !socket->connected()) return;
            sio_packet ack;
            ack.type = sio_packet_type::ack;  // encode() makes it BINARY_ACK with attachments
            ack.nsp = socket->nsp();
            ack.id = id;
            ack.data = std::move(args.args);
            ack.attachments = std::move(args.attachments);
            socket->send_encoded(encode(ack));
        };
    }

    void on_disconnect_packet(const std::string& nsp) {
        auto it = sockets_.find(nsp);
        if (it == sockets_.end()) return;
        auto socket = it->second;
        end_socket(socket, "client namespace disconnect");
    }

    // Server-side disconnect (sio_socket::disconnect), on the socket's strand.
    static void server_disconnect(const std::shared_ptr<sio_socket>& socket) {
        sio_socket::state state = sio_socket::state::disconnected;
        {
            std::lock_guard lock(socket->mu_);
            state = socket->state_;
        }
        if (state == sio_socket::state::connecting) {
            socket->disconnect_requested_ = true;  // run_connect refuses
            return;
        }
        if (state != sio_socket::state::connected) return;
        sio_packet packet;
        packet.type = sio_packet_type::disconnect;
        packet.nsp = socket->nsp();
        socket->send_encoded(encode(packet));
        end_socket(socket, "server namespace disconnect");
    }

    // Ends a socket (idempotent): no longer the session's socket of its namespace, out of every
    // room, then on_disconnect if it had been connected.
    static void end_socket(const std::shared_ptr<sio_socket>& socket, std::string_view reason) {
        sio_socket::state was = sio_socket::state::disconnected;
        {
            std::lock_guard lock(socket->mu_);
            was = socket->state_;
            socket->state_ = sio_socket::state::disconnected;
        }
        if (was == sio_socket::state::disconnected) return;
        if (auto session = socket->session_.lock()) {
            auto it = session->sockets_.find(socket->nsp());
            if (it != session->sockets_.end() && it->second == socket) session->sockets_.erase(it);
        }
        auto& server = socket->server_;
        server.remove_from_rooms(*socket);
        if (was != sio_socket::state::connected) return;
        server.count_connected(-1);
        auto ns = server.find_namespace(socket->nsp());
        try {
            ns->on_disconnect(socket, reason);
        } catch (const std::exception& e) {
            platform::log_error(
                "socket.io on_disconnect failed", {{"nsp", socket->nsp()}, {"error", e.what()}}
            );
        }
    }

    sio_server& server_;
    std::shared_ptr<eio_socket> transport_;  // null after on_close
    asio::steady_timer connect_timer_;
    sio_decoder decoder_;
    // Namespace -> its socket, connecting or connected.
    std::unordered_map<std::string, std::shared_ptr<sio_socket>> sockets_;
    bool any_connected_ = false;
    bool closing_ = false;  // we asked Engine.IO to close
    bool closed_ = false;   // on_close ran
};

// --- sio_socket ---------------------------------------------------------------------------

sio_socket::sio_socket(sio_server& server, std::shared_ptr<eio_socket> transport, std::string nsp)
    : server_(server),
      transport_(std::move(transport)),
      nsp_(std::move(nsp)),
      id_(new_socket_id()) {}

sio_socket::~sio_socket() {
    // Every path to `disconnected` has left the rooms (rooms_closed_, set under the server's
    // lock by a thread that then released its reference, so visible here without the lock).
    // A socket dropped without one must not stay behind as a dangling pointer in the registry.
    if (rooms_closed_ && rooms_.empty()) return;
    server_.remove_from_rooms(*this);
}

void sio_socket::emit(std::string_view event, sio_args args) {
    {
        std::lock_guard lock(mu_);
        if (state_ == state::disconnected) return;
    }
    sio_packet packet;
    packet.type = sio_packet_type::event;
    packet.nsp = nsp_;
    packet.data = event_data(event, std::move(args.args));
    packet.attachments = std::move(args.attachments);
    transport_->send(encode(packet));
}

void sio_socket::disconnect() {
    asio::dispatch(executor(), [self = shared_from_this()] {
        sio_session::server_disconnect(self);
    });
}

bool sio_socket::connected() const {
    std::lock_guard lock(mu_);
    return state_ == state::connected;
}

// --- sio_namespace defaults ---------------------------------------------------------------

asio::awaitable<void> sio_namespace::on_connected(std::shared_ptr<sio_socket> /*socket*/) {
    co_return;
}

void sio_namespace::on_disconnect(
    std::shared_ptr<sio_socket> /*socket*/, std::string_view /*reason*/
) {}

// --- sio_server ---------------------------------------------------------------------------

sio_server::sio_server(sio_options options) : options_(options) {}

sio_server::~sio_server() = default;

void sio_server::add_namespace(std::string nsp, std::shared_ptr<sio_namespace> handler) {
    namespaces_[std::move(nsp)] = std::move(handler);
}

std::shared_ptr<sio_namespace> sio_server::find_namespace(const std::string& nsp) const {
    // Registered before serving, read-only afterwards: no lock.
    auto it = namespaces_.find(nsp);
    return it == namespaces_.end() ? nullptr : it->second;
}

std::shared_ptr<eio_listener> sio_server::accept(std::shared_ptr<eio_socket> session) {
    auto listener = std::make_shared<sio_session>(*this, std::move(session));
    listener->start(options_.connect_timeout);
    return listener;
}

void sio_server::join(const std::shared_ptr<sio_socket>& socket, const std::string& room) {
    std::lock_guard lock(mu_);
    if (socket->rooms_closed_ || !socket->rooms_.insert(room).second) return;
    rooms_[socket->nsp_][room].insert(socket.get());
}

void sio_server::leave(const std::shared_ptr<sio_socket>& socket, const std::string& room) {
    std::lock_guard lock(mu_);
    if (socket->rooms_.erase(room) == 0) return;
    auto nsp_it = rooms_.find(socket->nsp_);
    if (nsp_it == rooms_.end()) return;
    auto room_it = nsp_it->second.find(room);
    if (room_it == nsp_it->second.end()) return;
    room_it->second.erase(socket.get());
    if (room_it->second.empty()) nsp_it->second.erase(room_it);
    if (nsp_it->second.empty()) rooms_.erase(nsp_it);
}

void sio_server::remove_from_rooms(sio_socket& socket) {
    std::lock_guard lock(mu_);
    socket.rooms_closed_ = true;
    if (socket.rooms_.empty()) return;
    auto nsp_it = rooms_.find(socket.nsp_);
    if (nsp_it != rooms_.end()) {
        for (const auto& room : socket.rooms_) {
            auto room_it = nsp_it->second.find(room);
            if (room_it == nsp_it->second.end()) continue;
            room_it->second.erase(&socket);
            if (room_it->second.empty()) nsp_it->second.erase(room_it);
        }
        if (nsp_it->second.empty()) rooms_.erase(nsp_it);
    }
    socket.rooms_.clear();
}

void sio_server::count_connected(int delta) {
    std::lock_guard lock(mu_);
    if (delta > 0) {
        connected_ += static_cast<std::size_t>(delta);
    } else {
        connected_ -= static_cast<std::size_t>(-delta);
    }
}

std::size_t sio_server::broadcast(
    const std::string& nsp,
    const std::vector<std::string>& rooms,
    std::string_view event,
    const sio_args& args
) {
    std::vector<std::shared_ptr<sio_socket>> targets;
    {
        std::lock_guard lock(mu_);
        auto nsp_it = rooms_.find(nsp);
        if (nsp_it == rooms_.end()) return 0;
        const auto& nsp_rooms = nsp_it->second;
        // A socket in a room has not been destroyed (it leaves under mu_ first); lock() fails
        // only while its destructor waits for mu_.
        auto take = [&targets](sio_socket* socket) {
            if (auto strong = socket->weak_from_this().lock()) targets.push_back(std::move(strong));
        };
        if (rooms.size() == 1) {
            auto room_it = nsp_rooms.find(rooms.front());
            if (room_it == nsp_rooms.end()) return 0;
            targets.reserve(room_it->second.size());
            for (auto* socket : room_it->second) take(socket);
        } else {
            std::unordered_set<sio_socket*> seen;
            for (const auto& room : rooms) {
                auto room_it = nsp_rooms.find(room);
                if (room_it == nsp_rooms.end()) continue;
                for (auto* socket : room_it->second) {
                    if (seen.insert(socket).second) take(socket);
                }
            }
        }
    }
    if (targets.empty()) return 0;

    sio_packet packet;
    packet.type = sio_packet_type::event;
    packet.nsp = nsp;
    packet.data = event_data(event, args.args);
    packet.attachments = args.attachments;
    const auto encoded = encode(packet);
    std::size_t sent = 0;
    for (const auto& socket : targets) {
        if (!socket->connected()) continue;
        socket->send_encoded(encoded);
        ++sent;
    }
    return sent;
}

std::size_t sio_server::socket_count() const {
    std::lock_guard lock(mu_);
    return connected_;
}

}  // namespace ptool::realtime
