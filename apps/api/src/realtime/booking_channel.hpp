#pragma once
// The product behaviour of the Socket.IO namespace "/" (SPEC §7, §10 "Real time"):
// - CONNECT auth {token, lastSeq?}: a bad token is refused with {"message":"unauthenticated"};
//   a lastSeq that is not a non-negative integer with {"message":"validation_failed"}.
// - Every socket receives its tenant's booking events (one Socket.IO event per booking event,
//   named by its type, payload the event object of SPEC §6) and `availability.changed`
//   {artistId, from, to}, in seq order, each once, only after commit.
// - `subscribe` {artistIds} (cumulative) narrows that to those artists; `unsubscribe`
//   {artistIds} (or no payload: all) undoes; both ack {ok: true, artistIds: [current set]};
//   an empty set means the whole tenant again.
// - lastSeq replays the tenant's events with seq > lastSeq before live ones, without gap or
//   duplicate; more than max_replay of them → `resync.required` {lastSeq, latestSeq} instead.
// - `hold.heartbeat` {bookingId} extends a hold like POST /bookings/{id}/extend; ack
//   {expiresAt} or {error: {code, detail}}.
//
// Rooms: `tenant:<tid>` holds the sockets that follow the whole tenant, `artist:<tid>:<aid>` the
// sockets subscribed to that artist; an event goes to the union of its tenant's and artist's
// rooms (each socket once).
//
// Ordering: deliver() is called by the event pump with consecutive final events; it broadcasts
// them and advances the delivered seq under one mutex, and a connecting socket joins its rooms
// under the same mutex only once its replay has caught up with the delivered seq. So an event
// reaches a socket either by replay or live, never both, never neither.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/role.hpp"
#include "platform/clock.hpp"
#include "realtime/sio_server.hpp"
#include "store/event_feed_store.hpp"
#include "usecase/availability.hpp"
#include "usecase/bookings.hpp"

namespace ptool::realtime {

// Who a socket is, from its token.
struct principal {
    std::string tenant_id;
    std::string user;
    domain::role role = domain::role::viewer;
};

// Verifies a token: nullopt when it is not acceptable. May throw db_unavailable.
using token_verifier =
    std::function<boost::asio::awaitable<std::optional<principal>>(std::string token)>;

// The event object of SPEC §6 for a stored event (the same JSON as GET /events shows).
using event_renderer = std::function<boost::json::value(const store::event_row&)>;

class booking_channel : public sio_namespace {
public:
    static constexpr int max_replay = 1000;
    static constexpr std::size_t max_subscriptions = 1000;

    booking_channel(
        sio_server& sio,
        usecase::booking_service& bookings,
        usecase::availability_service& availability,
        platform::clock& clock,
        token_verifier verify,
        event_renderer render
    );

    // Event pump callbacks (see event_pump.hpp).
    void start_at(long long seq);
    boost::asio::awaitable<void> deliver(std::vector<store::feed_event> batch);
    boost::asio::awaitable<void> availability_changed(store::artist_ref artist);

    // sio_namespace
    boost::asio::awaitable<std::optional<boost::json::object>> on_connect(
        std::shared_ptr<sio_socket> socket, boost::json::value auth
    ) override;
    boost::asio::awaitable<void> on_connected(std::shared_ptr<sio_socket> socket) override;
    boost::asio::awaitable<void> on_event(
        std::shared_ptr<sio_socket> socket, std::string event, sio_args args, sio_ack ack
    ) override;

    long long delivered_seq() const;

private:
    struct socket_state;
    boost::asio::awaitable<void> replay_then_join(std::shared_ptr<sio_socket> socket);
    void join_rooms(const std::shared_ptr<sio_socket>& socket, socket_state& st);
    boost::json::object subscribe(
        const std::shared_ptr<sio_socket>& socket, const sio_args& args, bool add
    );
    boost::asio::awaitable<boost::json::object> heartbeat(
        std::shared_ptr<sio_socket> socket, sio_args args
    );

    sio_server& sio_;
    usecase::booking_service& bookings_;
    usecase::availability_service& availability_;
    platform::clock& clock_;
    token_verifier verify_;
    event_renderer render_;

    mutable std::mutex mu_;    // orders deliveries against joins
    bool started_ = false;     // guarded by mu_
    long long delivered_ = 0;  // guarded by mu_
};

}  // namespace ptool::realtime
