// Engine.IO v4 sessions over HTTP long-polling and WebSocket: the sid table, one strand per
// session (all session state is touched only there), heartbeat, upgrade and bounded queues.

#include "realtime/eio_server.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "platform/log.hpp"

namespace ptool::realtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

// A poll arriving while an upgrade is probed waits this long for the `5` (then it gets 400, as
// any poll after the upgrade) before it is answered `6`, as the reference server's 100 ms check.
constexpr auto upgrade_noop_delay = std::chrono::milliseconds(100);
// How long the closing handshake of a WebSocket the server closes may take.
constexpr auto ws_close_grace = std::chrono::seconds(2);
constexpr auto refuse_write_timeout = std::chrono::seconds(10);

constexpr std::string_view reason_forced = "forced close";
constexpr std::string_view reason_shutdown = "server shutting down";
constexpr std::string_view reason_client = "client close";

// The error bodies of the reference server: {"code":N,"message":"..."}.
struct eio_error {
    int code = 0;
    std::string_view message;
};
constexpr eio_error err_unknown_transport{0, "Transport unknown"};
constexpr eio_error err_unknown_sid{1, "Session ID unknown"};
constexpr eio_error err_bad_handshake_method{2, "Bad handshake method"};
constexpr eio_error err_bad_request{3, "Bad request"};
constexpr eio_error err_unsupported_protocol{5, "Unsupported protocol version"};
constexpr eio_error err_shutting_down{3, "Server is shutting down"};

// What a request is answered, before CORS headers; built on a session strand, turned into a
// response on the connection's.
struct answer {
    bhttp::status status = bhttp::status::ok;
    std::string body = {};
    std::string_view content_type = "text/plain; charset=UTF-8";
};

answer payload_answer(std::string payload) {
    return answer{bhttp::status::ok, std::move(payload), "text/plain; charset=UTF-8"};
}

answer ok_answer() { return answer{bhttp::status::ok, "ok", "text/html"}; }

answer error_answer(eio_error e, bhttp::status status = bhttp::status::bad_request) {
    std::string body = "{\"code\":" + std::to_string(e.code) + ",\"message\":\"";
    body += e.message;
    body += "\"}";
    return answer{status, std::move(body), "application/json"};
}

http_response to_response(const http_request& req, answer a) {
    http_response res{a.status, req.version()};
    res.set(bhttp::field::content_type, a.content_type);
    res.body() = std::move(a.body);
    res.prepare_payload();
    return res;
}

// 20 base64url characters from 15 bytes of OpenSSL's CSPRNG: a sid cannot be guessed.
std::string new_sid() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[15];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    std::string sid;
    sid.reserve(20);
    for (std::size_t i = 0; i < sizeof bytes; i += 3) {
        unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
        sid.push_back(alphabet[(v >> 18) & 63]);
        sid.push_back(alphabet[(v >> 12) & 63]);
        sid.push_back(alphabet[(v >> 6) & 63]);
        sid.push_back(alphabet[v & 63]);
    }
    return sid;
}

struct query {
    std::optional<std::string> eio;
    std::optional<std::string> transport;
    std::optional<std::string> sid;
};

std::optional<query> parse_query(std::string_view target) {
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return std::nullopt;
    query q;
    for (auto param : url->params()) {
        if (!param.has_value) continue;
        if (param.key == "EIO") q.eio = param.value;
        if (param.key == "transport") q.transport = param.value;
        if (param.key == "sid") q.sid = param.value;
    }
    return q;
}

// Awaiting work on a session strand (co_spawn there) never forwards the caller's cancellation
// into it (in Asio 1.81 the forwarding handler may be used after it is gone); callers check
// cancellation themselves. The work is a named coroutine taking shared_ptrs: GCC 12 destroys a
// lambda passed by value to a coroutine twice.
auto no_cancel() {
    return asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable);
}

void log_failure(const std::exception_ptr& e, std::string_view what) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& err) {
        platform::log_error(what, {{"error", err.what()}});
    }
}

// A GET waiting for packets: the session strand fills `result`, then posts to the connection's
// executor to set `done` and cancel the timer, which the GET waits on.
struct poll_waiter {
    explicit poll_waiter(asio::any_io_executor ex)
        : timer(std::move(ex), steady::time_point::max()) {}
    asio::steady_timer timer;  // the HTTP connection's executor, as `done` and `result`
    bool done = false;
    answer result;
};

// One WebSocket connection: the active transport of a session or an upgrade candidate. Lives
// on the session strand.
struct ws_conn {
    explicit ws_conn(tcp::socket sock)
        : ws(std::move(sock)), close_timer(ws.get_executor()) {}
    websocket::stream<beast::tcp_stream> ws;
    // Frames to write, each with the bytes it counts in the session's buffered total.
    std::deque<std::pair<eio_packet, std::size_t>> out;
    bool writing = false;  // the write loop runs
    bool dead = false;     // the connection failed or ended: nothing more is written
    std::optional<websocket::close_code> close_wanted;
    bool close_started = false;
    asio::steady_timer close_timer;  // cuts a closing handshake the peer does not finish
};

enum class session_state { open, closing, closed };

class session;

}  // namespace

struct eio_server::impl {
    impl(asio::io_context& io, eio_options o, eio_accept a)
        : ioc(io), opts(std::move(o)), accept(std::move(a)) {}

    asio::io_context& ioc;
    const eio_options opts;
    const eio_accept accept;

    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<session>> sessions;  // under mu
    bool closing = false;                                                // under mu

    std::shared_ptr<session> find(const std::string& sid) const;
    bool add(const std::shared_ptr<session>& s);  // false after close_all (or a sid clash)
    void remove(const std::string& sid, const session* s);
    bool is_closing() const {
        std::lock_guard lock(mu);
        return closing;
    }
    void close_all();
    void apply_cors(const http_request& req, http_response& res) const;

    static asio::awaitable<http_response> handle_request(
        std::shared_ptr<impl> self, http_request req
    );
    static asio::awaitable<http_response> serve_request(
        std::shared_ptr<impl> self, http_request& req
    );
    static asio::awaitable<void> handle_upgrade(
        std::shared_ptr<impl> self, beast::tcp_stream stream, http_request req
    );
    static asio::awaitable<void> ws_main(
        std::shared_ptr<impl> self,
        std::shared_ptr<session> s,
        tcp::socket sock,
        http_request req,
        bool fresh
    );
};

namespace {

struct get_start {
    bool wait = false;  // the waiter was registered; otherwise `now` is the answer
    answer now;
};

class session final : public eio_socket, public std::enable_shared_from_this<session> {
public:
    session(
        asio::io_context& ioc,
        std::weak_ptr<eio_server::impl> server,
        const eio_options& opts,
        std::string sid
    )
        : strand_(asio::make_strand(ioc)),
          server_(std::move(server)),
          opts_(opts),
          sid_(std::move(sid)),
          ping_timer_(strand_),
          upgrade_timer_(strand_),
          noop_timer_(strand_),
          closing_timer_(strand_) {}

    // eio_socket (any thread)
    const std::string& sid() const override { return sid_; }
    asio::any_io_executor executor() const override { return strand_; }
    void send(std::vector<eio_packet> packets) override {
        asio::dispatch(strand_, [self = shared_from_this(), p = std::move(packets)]() mutable {
            self->enqueue(std::move(p));
        });
    }
    void close() override {
        asio::post(strand_, [self = shared_from_this()] { self->close_session(reason_forced); });
    }
    bool is_open() const override { return open_.load(); }
    std::string transport() const override { return websocket_.load() ? "websocket" : "polling"; }
    std::size_t buffered_bytes() const override { return buffered_view_.load(); }

    // Everything below runs on the strand.

    // The polling handshake: the open packet, plus what the listener queued while accepting.
    std::string open_polling(const eio_accept& accept) {
        std::vector<std::string> upgrades{"websocket"};
        std::vector<eio_packet> packets{open_packet(upgrades)};
        if (state_ == session_state::open) {
            start_heartbeat();
            run_accept(accept);
        }
        for (auto& item : queue_) packets.push_back(std::move(item.first));
        queue_.clear();
        buffered_ = 0;
        buffered_view_ = 0;
        if (state_ == session_state::closing) finish_closing();
        return encode_payload(packets);
    }

    // A WebSocket-only session whose WebSocket is accepted: registers it and sends the open
    // packet as the first frame. False when the server refuses new sessions.
    bool open_websocket(const std::shared_ptr<ws_conn>& c, eio_server::impl& server) {
        if (!server.add(shared_from_this())) {
            state_ = session_state::closed;
            open_ = false;
            close_ws(c, websocket::close_code::going_away, false);
            return false;
        }
        ws_ = c;
        websocket_ = true;
        std::vector<std::string> upgrades;
        c->out.emplace_back(open_packet(upgrades), 0);
        start_heartbeat();
        run_accept(server.accept);
        kick(c);
        return true;
    }

    get_start begin_get(const std::shared_ptr<poll_waiter>& w) {
        check_heartbeat();
        if (state_ == session_state::closed) return {false, error_answer(err_unknown_sid)};
        if (state_ == session_state::closing) {
            auto body = take_payload();
            finish_closing();
            return {false, payload_answer(std::move(body))};
        }
        if (ws_) return {false, error_answer(err_bad_request)};
        if (pending_get_) {
            // Two polls at once: the session ends, the first poll answers the close packet.
            close_session("transport error");
            return {false, error_answer(err_bad_request)};
        }
        if (!probed_ && !queue_.empty()) return {false, payload_answer(take_payload())};
        pending_get_ = w;
        if (probed_) start_noop_timer();
        return {true, {}};
    }

    // The client of a waiting (or just answered) poll went away: the session ends.
    void abandon_get(const std::shared_ptr<poll_waiter>& w) {
        if (pending_get_ == w) {
            pending_get_.reset();
            noop_timer_.cancel();
        }
        if (state_ == session_state::open) close_session("transport close");
        if (state_ == session_state::closing) finish_closing();
    }

    answer post_payload(const std::string& body) {
        check_heartbeat();
        if (state_ == session_state::closed) return error_answer(err_unknown_sid);
        if (state_ == session_state::closing) return ok_answer();  // too late: ignored
        if (ws_) return error_answer(err_bad_request);
        auto packets = decode_payload(body);
        if (!packets) {
            close_session("parse error");
            return error_answer(err_bad_request);
        }
        for (auto& p : *packets) {
            if (state_ != session_state::open) break;
            handle_packet(std::move(p));
        }
        return ok_answer();
    }

    bool can_upgrade() const { return state_ == session_state::open && !ws_ && !candidate_; }

    // A WebSocket for this polling session was accepted: it becomes the upgrade candidate, or is
    // closed when the session cannot upgrade (any more).
    bool attach_candidate(const std::shared_ptr<ws_conn>& c) {
        if (!can_upgrade()) {
            close_ws(c, websocket::close_code::normal, false);
            return false;
        }
        candidate_ = c;
        auto gen = ++upgrade_gen_;
        upgrade_timer_.expires_after(opts_.upgrade_timeout);
        upgrade_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
            if (ec || gen != self->upgrade_gen_ || !self->candidate_) return;
            self->drop_candidate();
        });
        return true;
    }

    void on_ws_packet(const std::shared_ptr<ws_conn>& c, eio_packet p) {
        if (state_ != session_state::open) return;
        if (c == candidate_) {
            if (p.type == eio_packet_type::ping && p.data == "probe") {
                c->out.emplace_back(eio_packet{eio_packet_type::pong, "probe", false}, 0);
                kick(c);
                probed_ = true;
                if (pending_get_) answer_get(payload_answer("6"));
            } else if (p.type == eio_packet_type::upgrade) {
                complete_upgrade();
            } else {
                drop_candidate();
            }
            return;
        }
        if (c == ws_) handle_packet(std::move(p));
    }

    void on_ws_parse_error(const std::shared_ptr<ws_conn>& c) {
        if (c == candidate_) {
            drop_candidate();
        } else if (c == ws_) {
            close_session("parse error");
        }
    }

    // The WebSocket's reads ended (peer closed, error, or our close completed).
    void on_ws_end(const std::shared_ptr<ws_conn>& c, std::string_view reason) {
        c->dead = true;
        if (c == candidate_) {
            candidate_.reset();
            probed_ = false;
            ++upgrade_gen_;
            upgrade_timer_.cancel();
            noop_timer_.cancel();
            schedule_flush();  // a poll that waited during the probe gets the queue again
        } else if (c == ws_ && state_ == session_state::open) {
            close_session(reason);
        }
    }

    // close_all(): the pending poll answers the close packet, a WebSocket gets `going_away`.
    void shutdown() {
        if (state_ == session_state::closing) finish_closing();  // no poll to wait for any more
        close_session(reason_shutdown);
    }

    // The WebSocket's connection is over: the session (which may outlive it in the hands of the
    // layer above) lets go of it, and so of the stream's internal timers.
    void release_ws(const std::shared_ptr<ws_conn>& c) {
        if (c == ws_) ws_.reset();
        if (c == candidate_) candidate_.reset();
    }

    static asio::awaitable<void> write_loop(
        std::shared_ptr<session> self, std::shared_ptr<ws_conn> c
    );

    // The operations above as coroutines to co_spawn on the strand.
    static asio::awaitable<std::string> co_open_polling(
        std::shared_ptr<session> s, std::shared_ptr<eio_server::impl> server
    ) {
        co_return s->open_polling(server->accept);
    }
    static asio::awaitable<get_start> co_begin_get(
        std::shared_ptr<session> s, std::shared_ptr<poll_waiter> w
    ) {
        co_return s->begin_get(w);
    }
    static asio::awaitable<answer> co_post_payload(std::shared_ptr<session> s, std::string body) {
        co_return s->post_payload(body);
    }

private:
    eio_packet open_packet(const std::vector<std::string>& upgrades) const {
        auto ms = [](std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); };
        return eio_packet{
            eio_packet_type::open,
            handshake_json(
                sid_, upgrades, ms(opts_.ping_interval), ms(opts_.ping_timeout), opts_.max_payload
            ),
            false};
    }

    void run_accept(const eio_accept& accept) {
        std::shared_ptr<eio_listener> listener;
        try {
            listener = accept(shared_from_this());
        } catch (const std::exception& e) {
            platform::log_error("engine.io accept failed", {{"sid", sid_}, {"error", e.what()}});
        }
        accepted_ = true;
        if (!listener) {
            close_session(reason_forced);
            return;
        }
        if (state_ != session_state::open) {
            listener->on_close(pending_close_reason_);  // closed while accepting
            return;
        }
        listener_ = std::move(listener);
    }

    void handle_packet(eio_packet p) {
        switch (p.type) {
            case eio_packet_type::pong:
                if (awaiting_pong_) schedule_ping(steady::now());
                break;
            case eio_packet_type::ping: {
                // Clients of v4 do not ping; answering is harmless.
                std::vector<eio_packet> pong{
                    eio_packet{eio_packet_type::pong, std::move(p.data), false}};
                enqueue(std::move(pong));
                break;
            }
            case eio_packet_type::message:
                if (auto l = listener_) {
                    try {
                        l->on_message(std::move(p));
                    } catch (const std::exception& e) {
                        platform::log_error(
                            "engine.io listener failed", {{"sid", sid_}, {"error", e.what()}}
                        );
                    }
                }
                break;
            case eio_packet_type::close:
                close_session(reason_client);
                break;
            default:  // open, upgrade, noop: nothing to do
                break;
        }
    }

    // Heartbeat (engine.io v6): a ping pingInterval after the open (or the last pong), then
    // pingTimeout for the pong. Deadlines are absolute, so a late timer does not stretch them,
    // and requests check them too.
    void start_heartbeat() { schedule_ping(steady::now()); }

    void schedule_ping(steady::time_point from) {
        awaiting_pong_ = false;
        auto due = from + opts_.ping_interval;
        hb_deadline_ = due + opts_.ping_timeout;
        auto gen = ++hb_gen_;
        ping_timer_.expires_at(due);
        ping_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
            if (ec || gen != self->hb_gen_ || self->state_ != session_state::open) return;
            self->send_ping();
        });
    }

    void send_ping() {
        awaiting_pong_ = true;
        std::vector<eio_packet> ping{eio_packet{eio_packet_type::ping, {}, false}};
        enqueue(std::move(ping));
        auto gen = ++hb_gen_;
        ping_timer_.expires_at(hb_deadline_);
        ping_timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
            if (ec || gen != self->hb_gen_) return;
            self->close_session("ping timeout");
        });
    }

    void check_heartbeat() {
        if (state_ == session_state::open && steady::now() >= hb_deadline_) {
            close_session("ping timeout");
        }
    }

    void enqueue(std::vector<eio_packet> packets) {
        if (state_ != session_state::open || slow_) return;
        std::size_t bytes = 0;
        for (const auto& p : packets) bytes += p.data.size() + 1;
        if (buffered_ + bytes > opts_.max_buffered_bytes) {
            slow_ = true;
            platform::log_warn(
                "engine.io client too slow, closing",
                {{"sid", sid_}, {"buffered", buffered_ + bytes}}
            );
            // Posted: send() may run inside a listener callback, which must not see on_close.
            asio::post(strand_, [self = shared_from_this()] {
                self->close_session("slow client");
            });
            return;
        }
        buffered_ += bytes;
        buffered_view_ = buffered_;
        auto& target = ws_ ? ws_->out : queue_;
        for (auto& p : packets) {
            std::size_t n = p.data.size() + 1;
            target.emplace_back(std::move(p), n);
        }
        schedule_flush();
    }

    // Flushing is posted so packets sent in one strand turn travel together.
    void schedule_flush() {
        if (flush_posted_) return;
        flush_posted_ = true;
        asio::post(strand_, [self = shared_from_this()] { self->flush(); });
    }

    void flush() {
        flush_posted_ = false;
        if (state_ == session_state::closed) return;
        if (ws_) {
            kick(ws_);
        } else if (pending_get_ && !probed_ && !queue_.empty()) {
            answer_get(payload_answer(take_payload()));
        }
    }

    std::string take_payload() {
        std::vector<eio_packet> packets;
        packets.reserve(queue_.size());
        for (auto& item : queue_) {
            buffered_ -= std::min(buffered_, item.second);
            buffered_view_ = buffered_;
            packets.push_back(std::move(item.first));
        }
        queue_.clear();
        return encode_payload(packets);
    }

    void answer_get(answer a) {
        auto w = std::move(pending_get_);
        pending_get_.reset();
        noop_timer_.cancel();
        if (!w) return;
        auto ex = w->timer.get_executor();
        asio::post(ex, [w = std::move(w), a = std::move(a)]() mutable {
            w->result = std::move(a);
            w->done = true;
            w->timer.cancel();
        });
    }

    void start_noop_timer() {
        noop_timer_.expires_after(upgrade_noop_delay);
        noop_timer_.async_wait([self = shared_from_this(),
                                w = pending_get_](boost::system::error_code ec) {
            if (ec || self->pending_get_ != w || !self->probed_) return;
            if (self->state_ != session_state::open) return;
            self->answer_get(payload_answer("6"));
        });
    }

    void complete_upgrade() {
        auto c = std::move(candidate_);
        candidate_.reset();
        probed_ = false;
        ++upgrade_gen_;
        upgrade_timer_.cancel();
        ws_ = c;
        websocket_ = true;
        if (pending_get_) answer_get(error_answer(err_bad_request));
        for (auto& item : queue_) c->out.push_back(std::move(item));
        queue_.clear();
        kick(c);
    }

    void drop_candidate() {
        auto c = std::move(candidate_);
        candidate_.reset();
        probed_ = false;
        ++upgrade_gen_;
        upgrade_timer_.cancel();
        noop_timer_.cancel();
        if (c) close_ws(c, websocket::close_code::normal, false);
        schedule_flush();
    }

    void close_ws(const std::shared_ptr<ws_conn>& c, websocket::close_code code, bool graceful) {
        if (!graceful) {
            c->out.clear();
            if (c->writing) {
                // A write is still in flight (a client that stopped reading): no close frame can
                // follow it, so cut the connection now instead of leaving it to the peer.
                c->dead = true;
                boost::system::error_code ignored;
                beast::get_lowest_layer(c->ws).socket().close(ignored);
                return;
            }
        }
        if (!c->close_wanted) c->close_wanted = code;
        kick(c);
    }

    // Starts the write loop of a WebSocket when it has something to write and none runs.
    void kick(const std::shared_ptr<ws_conn>& c) {
        if (c->writing || c->dead) return;
        if (c->out.empty() && (!c->close_wanted || c->close_started)) return;
        c->writing = true;
        asio::co_spawn(strand_, write_loop(shared_from_this(), c), [](const std::exception_ptr& e) {
            log_failure(e, "engine.io websocket writer failed");
        });
    }

    void close_session(std::string_view reason) {
        if (state_ != session_state::open) return;
        bool graceful = reason == reason_forced || reason == reason_shutdown;
        open_ = false;
        state_ = session_state::closed;
        ++hb_gen_;
        ping_timer_.cancel();
        ++upgrade_gen_;
        upgrade_timer_.cancel();
        if (candidate_) {
            close_ws(candidate_, websocket::close_code::normal, false);
            candidate_.reset();
            probed_ = false;
        }
        if (ws_) {
            auto code = reason == reason_shutdown ? websocket::close_code::going_away
                                                  : websocket::close_code::normal;
            close_ws(ws_, code, graceful);
        } else if (reason == reason_client) {
            queue_.clear();
            if (pending_get_) answer_get(payload_answer("6"));
        } else if (graceful) {
            queue_.emplace_back(eio_packet{eio_packet_type::close, {}, false}, 0);
            if (pending_get_) {
                answer_get(payload_answer(take_payload()));
            } else if (reason == reason_shutdown) {
                queue_.clear();  // no poll to tell: the next one gets 400 (the server is gone)
            } else {
                // The next poll fetches what is queued and the close packet.
                state_ = session_state::closing;
                closing_timer_.expires_after(opts_.ping_interval + opts_.ping_timeout);
                closing_timer_.async_wait([self =
                                               shared_from_this()](boost::system::error_code ec) {
                    if (!ec && self->state_ == session_state::closing) self->finish_closing();
                });
            }
        } else {
            queue_.clear();
            if (pending_get_) answer_get(payload_answer("1"));
        }
        if (state_ == session_state::closed) unregister();
        platform::log_debug("engine.io session closed", {{"sid", sid_}, {"reason", reason}});
        if (listener_) {
            auto l = std::move(listener_);
            listener_.reset();
            l->on_close(reason);
        } else if (!accepted_) {
            pending_close_reason_ = std::string(reason);
        }
    }

    void finish_closing() {
        state_ = session_state::closed;
        closing_timer_.cancel();
        queue_.clear();
        unregister();
    }

    void unregister() {
        if (auto server = server_.lock()) server->remove(sid_, this);
    }

    asio::strand<asio::io_context::executor_type> strand_;
    std::weak_ptr<eio_server::impl> server_;
    const eio_options opts_;
    const std::string sid_;
    std::atomic<bool> open_{true};
    std::atomic<bool> websocket_{false};

    // Strand only.
    session_state state_ = session_state::open;
    std::shared_ptr<eio_listener> listener_;
    bool accepted_ = false;
    std::string pending_close_reason_;
    std::deque<std::pair<eio_packet, std::size_t>> queue_;  // polling (and during the upgrade)
    std::size_t buffered_ = 0;
    std::atomic<std::size_t> buffered_view_{0};  // buffered_, for buffered_bytes() off the strand
    bool slow_ = false;
    bool flush_posted_ = false;
    std::shared_ptr<poll_waiter> pending_get_;
    std::shared_ptr<ws_conn> ws_;         // the WebSocket transport, once there is one
    std::shared_ptr<ws_conn> candidate_;  // an upgrade in progress
    bool probed_ = false;                 // the candidate answered `3probe`
    asio::steady_timer ping_timer_;
    std::uint64_t hb_gen_ = 0;
    bool awaiting_pong_ = false;
    steady::time_point hb_deadline_ = steady::time_point::max();
    asio::steady_timer upgrade_timer_;
    std::uint64_t upgrade_gen_ = 0;
    asio::steady_timer noop_timer_;
    asio::steady_timer closing_timer_;
};

asio::awaitable<void> session::write_loop(
    std::shared_ptr<session> self, std::shared_ptr<ws_conn> c
) {
    while (!c->dead) {
        if (!c->out.empty()) {
            auto item = std::move(c->out.front());
            c->out.pop_front();
            bool binary = item.first.binary && item.first.type == eio_packet_type::message;
            std::string frame = binary ? std::move(item.first.data) : encode_text(item.first);
            c->ws.binary(binary);
            // No per-write deadline: a client that stops reading misses the heartbeat (its pong
            // cannot get past the stuck bytes), and closing the session cuts the connection.
            auto [ec, n] = co_await c->ws.async_write(
                asio::buffer(frame), asio::as_tuple(asio::use_awaitable)
            );
            self->buffered_ -= std::min(self->buffered_, item.second);
            self->buffered_view_ = self->buffered_;
            if (ec) {
                self->on_ws_end(c, "transport error");
                break;
            }
            continue;
        }
        if (c->close_wanted && !c->close_started) {
            c->close_started = true;
            c->close_timer.expires_after(ws_close_grace);
            c->close_timer.async_wait([c](boost::system::error_code ec) {
                if (ec) return;
                boost::system::error_code ignored;
                beast::get_lowest_layer(c->ws).socket().close(ignored);
            });
            co_await c->ws.async_close(
                websocket::close_reason(*c->close_wanted), asio::as_tuple(asio::use_awaitable)
            );
        }
        break;
    }
    c->writing = false;
}

// The WebSocket handshake: answers the upgrade request (101, or the refusal Beast writes).
asio::awaitable<boost::system::error_code> ws_handshake(
    std::shared_ptr<ws_conn> c, http_request req
) {
    auto [ec] = co_await c->ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

// Writes a refusal on a connection that asked for a WebSocket, and closes it.
asio::awaitable<void> refuse_upgrade(beast::tcp_stream& stream, http_response res) {
    res.keep_alive(false);
    stream.expires_after(refuse_write_timeout);
    co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
}

}  // namespace

std::shared_ptr<session> eio_server::impl::find(const std::string& sid) const {
    std::lock_guard lock(mu);
    auto it = sessions.find(sid);
    return it == sessions.end() ? nullptr : it->second;
}

bool eio_server::impl::add(const std::shared_ptr<session>& s) {
    std::lock_guard lock(mu);
    if (closing) return false;
    return sessions.try_emplace(s->sid(), s).second;
}

void eio_server::impl::remove(const std::string& sid, const session* s) {
    std::lock_guard lock(mu);
    auto it = sessions.find(sid);
    if (it != sessions.end() && it->second.get() == s) sessions.erase(it);
}

void eio_server::impl::close_all() {
    std::vector<std::shared_ptr<session>> targets;
    {
        std::lock_guard lock(mu);
        closing = true;
        for (const auto& [sid, s] : sessions) targets.push_back(s);
    }
    for (auto& s : targets) {
        asio::post(s->executor(), [s] { s->shutdown(); });
    }
}

void eio_server::impl::apply_cors(const http_request& req, http_response& res) const {
    auto it = req.find(bhttp::field::origin);
    if (it == req.end()) return;
    std::string_view origin = it->value();
    bool allowed =
        std::any_of(opts.cors_origins.begin(), opts.cors_origins.end(), [&](const auto& o) {
            return o == "*" || o == origin;
        });
    if (!allowed) return;
    res.set(bhttp::field::access_control_allow_origin, origin);
    res.set(bhttp::field::access_control_allow_credentials, "true");
    res.set(bhttp::field::vary, "Origin");
}

asio::awaitable<http_response> eio_server::impl::handle_request(
    std::shared_ptr<impl> self, http_request req
) {
    // Cancellation (the client went away) is checked explicitly below, never thrown.
    co_await asio::this_coro::throw_if_cancelled(false);
    http_response res;
    try {
        res = co_await serve_request(self, req);
    } catch (const std::exception& e) {
        platform::log_error("engine.io request failed", {{"error", e.what()}});
        res = to_response(req, error_answer(err_bad_request, bhttp::status::internal_server_error));
    }
    self->apply_cors(req, res);
    co_return res;
}

asio::awaitable<http_response> eio_server::impl::serve_request(
    std::shared_ptr<impl> self, http_request& req
) {
    if (req.method() == bhttp::verb::options) {
        // CORS preflight.
        http_response res{bhttp::status::no_content, req.version()};
        res.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
        auto it = req.find(bhttp::field::access_control_request_headers);
        if (it != req.end()) res.set(bhttp::field::access_control_allow_headers, it->value());
        res.prepare_payload();
        co_return res;
    }
    auto q = parse_query(req.target());
    if (!q) co_return to_response(req, error_answer(err_bad_request));
    if (q->eio != "4") co_return to_response(req, error_answer(err_unsupported_protocol));
    if (q->transport == "websocket") {
        // A WebSocket transport over a plain HTTP request (no upgrade).
        co_return to_response(req, error_answer(err_bad_request));
    }
    if (q->transport != "polling") co_return to_response(req, error_answer(err_unknown_transport));

    if (!q->sid) {
        if (req.method() != bhttp::verb::get) {
            co_return to_response(req, error_answer(err_bad_handshake_method));
        }
        std::shared_ptr<session> s;
        for (;;) {
            s = std::make_shared<session>(self->ioc, self, self->opts, new_sid());
            if (self->add(s)) break;
            if (self->is_closing()) {
                co_return to_response(
                    req, error_answer(err_shutting_down, bhttp::status::service_unavailable)
                );
            }
        }
        auto body =
            co_await asio::co_spawn(s->executor(), session::co_open_polling(s, self), no_cancel());
        co_return to_response(req, payload_answer(std::move(body)));
    }

    auto s = self->find(*q->sid);
    if (!s) co_return to_response(req, error_answer(err_unknown_sid));

    if (req.method() == bhttp::verb::post) {
        auto a = co_await asio::co_spawn(
            s->executor(), session::co_post_payload(s, std::move(req.body())), no_cancel()
        );
        co_return to_response(req, std::move(a));
    }
    if (req.method() != bhttp::verb::get) co_return to_response(req, error_answer(err_bad_request));

    auto w = std::make_shared<poll_waiter>(co_await asio::this_coro::executor);
    auto start = co_await asio::co_spawn(s->executor(), session::co_begin_get(s, w), no_cancel());
    if (!start.wait) co_return to_response(req, std::move(start.now));
    auto cancelled = [](const asio::cancellation_state& cs) {
        return cs.cancelled() != asio::cancellation_type::none;
    };
    if (!cancelled(co_await asio::this_coro::cancellation_state)) {
        co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!w->done || cancelled(co_await asio::this_coro::cancellation_state)) {
        // The client went away while the poll waited.
        asio::post(s->executor(), [s, w] { s->abandon_get(w); });
        co_return to_response(req, error_answer(err_bad_request));
    }
    co_return to_response(req, std::move(w->result));
}

asio::awaitable<void> eio_server::impl::handle_upgrade(
    std::shared_ptr<impl> self, beast::tcp_stream stream, http_request req
) {
    try {
        auto q = parse_query(req.target());
        if (!q) {
            co_await refuse_upgrade(stream, to_response(req, error_answer(err_bad_request)));
            co_return;
        }
        if (q->eio != "4") {
            co_await refuse_upgrade(
                stream, to_response(req, error_answer(err_unsupported_protocol))
            );
            co_return;
        }
        if (q->transport != "websocket") {
            co_await refuse_upgrade(stream, to_response(req, error_answer(err_unknown_transport)));
            co_return;
        }
        std::shared_ptr<session> s;
        bool fresh = !q->sid;
        if (q->sid) {
            s = self->find(*q->sid);
            if (!s) {
                co_await refuse_upgrade(stream, to_response(req, error_answer(err_unknown_sid)));
                co_return;
            }
            // A session that cannot upgrade (already on WebSocket, or upgrading) gets the
            // WebSocket accepted and closed at once, as the reference server does.
        } else {
            if (self->is_closing()) {
                auto res = to_response(
                    req, error_answer(err_shutting_down, bhttp::status::service_unavailable)
                );
                co_await refuse_upgrade(stream, std::move(res));
                co_return;
            }
            s = std::make_shared<session>(self->ioc, self, self->opts, new_sid());
        }

        // The WebSocket runs on the session strand: move the native socket there before any
        // asynchronous operation on it.
        boost::system::error_code ec;
        auto& old = stream.socket();
        auto protocol = old.local_endpoint(ec).protocol();
        if (ec) co_return;
        auto fd = old.release(ec);
        if (ec) co_return;
        tcp::socket sock(s->executor());
        sock.assign(protocol, fd, ec);
        if (ec) {
            ::close(fd);
            co_return;
        }
        // The WebSocket goes on detached on the session strand, owning only what it needs: this
        // coroutine and the HTTP connection's (its frame, buffer and stream) end now.
        asio::co_spawn(
            s->executor(),
            ws_main(self, s, std::move(sock), std::move(req), fresh),
            [](const std::exception_ptr& e) { log_failure(e, "engine.io websocket failed"); }
        );
    } catch (const std::exception& e) {
        platform::log_error("engine.io websocket failed", {{"error", e.what()}});
    }
}

asio::awaitable<void> eio_server::impl::ws_main(
    std::shared_ptr<impl> self,
    std::shared_ptr<session> s,
    tcp::socket sock,
    http_request req,
    bool fresh
) {
    auto c = std::make_shared<ws_conn>(std::move(sock));
    c->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    c->ws.read_message_max(self->opts.max_payload);
    // The request (and the handshake's state) is gone once the handshake is done.
    auto aec = co_await ws_handshake(c, std::move(req));
    if (aec) co_return;
    if (fresh) {
        s->open_websocket(c, *self);
    } else {
        s->attach_candidate(c);
    }
    // Read until the connection ends, also when it was refused above: its closing handshake
    // completes here.
    for (;;) {
        beast::flat_buffer buffer;
        auto [ec, n] = co_await c->ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            s->on_ws_end(c, ec == websocket::error::closed ? "transport close" : "transport error");
            break;
        }
        if (c->ws.got_binary()) {
            s->on_ws_packet(
                c,
                eio_packet{eio_packet_type::message, beast::buffers_to_string(buffer.data()), true}
            );
            continue;
        }
        auto packet = decode_text(beast::buffers_to_string(buffer.data()));
        if (packet) {
            s->on_ws_packet(c, std::move(*packet));
        } else {
            s->on_ws_parse_error(c);
        }
    }
    c->dead = true;
    c->close_timer.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(c->ws).socket().close(ignored);
    s->release_ws(c);
}

eio_server::eio_server(asio::io_context& ioc, eio_options options, eio_accept accept)
    : impl_(std::make_shared<impl>(ioc, std::move(options), std::move(accept))) {}

eio_server::~eio_server() { impl_->close_all(); }

asio::awaitable<http_response> eio_server::handle_request(http_request req) {
    return impl::handle_request(impl_, std::move(req));
}

asio::awaitable<void> eio_server::handle_upgrade(beast::tcp_stream stream, http_request req) {
    return impl::handle_upgrade(impl_, std::move(stream), std::move(req));
}

void eio_server::close_all() { impl_->close_all(); }

std::size_t eio_server::session_count() const {
    std::lock_guard lock(impl_->mu);
    return impl_->sessions.size();
}

const eio_options& eio_server::options() const { return impl_->opts; }

}  // namespace ptool::realtime
