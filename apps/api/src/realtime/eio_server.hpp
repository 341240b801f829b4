#pragma once
// Engine.IO protocol v4 server (https://github.com/socketio/engine.io-protocol): sessions
// identified by `sid` over HTTP long-polling and WebSocket, the upgrade from polling to
// WebSocket, the heartbeat, maxPayload and CORS. The layer above (Socket.IO, or the bare echo of
// the conformance server) sees a session as an eio_socket and receives its messages through the
// eio_listener it returns from eio_accept.
//
// Threading: every session lives on its own strand. Listener callbacks run on that strand;
// eio_socket methods may be called from any thread. The HTTP listener calls handle_request /
// handle_upgrade from its connection coroutine (any executor).
//
// Protocol details this server pins down (the official test-suite checks them):
// - Handshake: GET ?EIO=4&transport=polling (no sid) answers the open packet
//   `0{"sid","upgrades":["websocket"],"pingInterval","pingTimeout","maxPayload"}`; a
//   transport=websocket connection without sid gets it as its first text frame with
//   "upgrades":[]. Missing/invalid EIO (not "4"), a missing/unknown transport, an unknown sid,
//   or a method other than GET (handshake) / GET+POST (session) / OPTIONS (preflight): 400
//   (WebSocket: the upgrade is refused with 400, the client sees the connection close).
// - Heartbeat: pingInterval after the open the server queues a ping; if no pong arrives within
//   pingTimeout of it the session closes ("ping timeout"). A pong schedules the next ping.
//   Deadlines are absolute (a session without pong ends pingInterval+pingTimeout after its open
//   or last pong) and each request checks them before it is served.
// - Polling: one GET at a time (a second concurrent GET closes the session: 400 to it, the first
//   answers the close packet). A GET with nothing queued waits until something is; it answers
//   200 with the payload (text/plain; charset=UTF-8). A POST body is a payload of packets
//   separated by \x1e, answered 200 "ok" (text/html); a body that does not decode closes the
//   session (400). A POST larger than maxPayload is answered 413 by the HTTP layer (body_limit)
//   and the session is kept. A client `1` (close) closes the session ("client close"); a
//   pending GET answers `6` (noop) and later requests with that sid get 400. Errors carry the
//   reference server's JSON body {"code":N,"message":"..."}.
// - A polling GET whose client goes away (connection closed while waiting) closes the session.
// - WebSocket: text frames are packets; a binary frame is a binary message. A frame larger than
//   maxPayload closes with status 1009. The server closes WebSockets with a close frame.
// - Upgrade: a WebSocket with the sid of a polling session: `2probe` is answered `3probe` at
//   once, the pending GET (if any) answers `6`; a GET arriving after the probe waits up to
//   100 ms for the `5` (then 400, as any poll after the upgrade) and otherwise answers `6`.
//   Packets sent meanwhile are held for the new transport. `5` completes the upgrade, after
//   which polling requests for that sid get 400 and packets go over the WebSocket. Without
//   `5` within upgrade_timeout the WebSocket is closed and the session stays on polling. A
//   second WebSocket for an already upgraded (or upgrading) sid is accepted and closed at once,
//   as the reference server does; an unknown sid is refused with 400.
// - Slow clients: packets queued for a session but not yet written (WebSocket) or fetched
//   (polling) are bounded by max_buffered_bytes; beyond it the session closes ("slow client")
//   instead of growing memory. A client that stops reading misses the heartbeat (its pong cannot
//   pass the stuck bytes): "ping timeout". When a session ends that way (any non-graceful
//   reason) while a WebSocket write is stuck, the connection is cut at once.
// - Server-side close (eio_socket::close): WebSocket: queued frames, then a close frame (1000).
//   Polling: queued packets and the close packet go to the pending GET, or to the next GET
//   within pingInterval+pingTimeout (the sid is known until then). close_all(): the pending
//   GET answers the queued packets and `1`, WebSockets get a close frame 1001 (going_away).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/engineio.hpp"

namespace ptool::realtime {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

struct eio_options {
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::size_t max_payload = 1'000'000;               // bytes of one POST body / WebSocket message
    std::size_t max_buffered_bytes = 4 * 1024 * 1024;  // queued towards one client
    std::chrono::milliseconds upgrade_timeout{10000};  // probe to `5`
    // Origins (e.g. "http://localhost:5173") answered with Access-Control-Allow-Origin: <origin>
    // and Access-Control-Allow-Credentials: true, for the web app's dev server. Empty: no CORS
    // headers (same-origin only). "*" allows any origin.
    std::vector<std::string> cors_origins = {};
};

// One Engine.IO session as the layer above sees it. Thread-safe.
class eio_socket {
public:
    virtual ~eio_socket() = default;

    virtual const std::string& sid() const = 0;

    // The session's strand: listener callbacks run on it; post work touching the session's
    // upper-layer state there.
    virtual boost::asio::any_io_executor executor() const = 0;

    // Queues packets after those queued before (they go out together when possible: one
    // polling payload, or consecutive WebSocket frames). Ignored once the session is closed.
    // Closes the session ("slow client") when the queue would exceed max_buffered_bytes.
    virtual void send(std::vector<eio_packet> packets) = 0;

    // Sends the close packet (after what is already queued), then ends the session:
    // the listener's on_close("forced close") follows. Idempotent.
    virtual void close() = 0;

    // Open and not closing.
    virtual bool is_open() const = 0;

    // "polling" or "websocket" (for logs and tests).
    virtual std::string transport() const = 0;

    // Bytes queued towards the client and not yet written/fetched (a producer with much to send,
    // like a replay, waits for this to fall instead of hitting max_buffered_bytes).
    virtual std::size_t buffered_bytes() const = 0;
};

// What the layer above does with a session's traffic. Called on the session's strand.
class eio_listener {
public:
    virtual ~eio_listener() = default;
    // A message packet (text, or binary with packet.binary set). Ping/pong/upgrade/noop are
    // handled by the server.
    virtual void on_message(eio_packet message) = 0;
    // Exactly once, when the session ends: "transport close", "transport error",
    // "ping timeout", "parse error", "forced close", "client close", "slow client",
    // "server shutting down".
    virtual void on_close(std::string_view reason) = 0;
};

// Called on the new session's strand once its open packet is queued; returns its listener
// (non-null).
using eio_accept = std::function<std::shared_ptr<eio_listener>(std::shared_ptr<eio_socket>)>;

class eio_server {
public:
    eio_server(boost::asio::io_context& ioc, eio_options options, eio_accept accept);
    ~eio_server();
    eio_server(const eio_server&) = delete;
    eio_server& operator=(const eio_server&) = delete;

    // An HTTP request on the Engine.IO path that is not a WebSocket upgrade: the polling
    // handshake, a poll (GET with sid: waits until packets are queued or the session ends), a
    // POST of packets, the CORS preflight (OPTIONS, 204). Never throws. Cancelling the awaiting
    // coroutine (the HTTP layer does when the client goes away during a poll) ends a waiting
    // poll and closes its session ("transport close").
    boost::asio::awaitable<http_response> handle_request(http_request req);

    // A WebSocket upgrade request on the Engine.IO path: takes over the connection (a new
    // websocket-only session, or the upgrade of a polling session) and returns once it is handed
    // over: the WebSocket (handshake included) goes on in a detached coroutine on the session's
    // strand, which keeps only the socket (not the stream's buffers; the request only until the
    // handshake is answered). Refused requests get their 400 on the stream before it returns.
    // Never throws.
    boost::asio::awaitable<void> handle_upgrade(boost::beast::tcp_stream stream, http_request req);

    // Closes every session (close packet, WebSocket close frame; pending polls answer) and
    // refuses new ones (503). Thread-safe, idempotent. Also called by the destructor, which must
    // run before the io_context is destroyed.
    void close_all();

    std::size_t session_count() const;
    const eio_options& options() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace ptool::realtime
