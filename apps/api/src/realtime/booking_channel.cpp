// The booking namespace of Socket.IO: token check, tenant/artist rooms, lastSeq replay joined to
// the live feed without gap or duplicate, subscriptions and hold heartbeats.

#include "realtime/booking_channel.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>
#include <set>
#include <variant>

#include "domain/time.hpp"
#include "domain/validation.hpp"
#include "platform/log.hpp"
#include "platform/pause.hpp"
#include "platform/pg_error.hpp"

namespace ptool::realtime {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

struct booking_channel::socket_state {
    principal who;
    std::optional<long long> last_seq;
    std::set<std::string> artists;  // subscriptions; empty = the whole tenant
    bool joined = false;            // in its rooms (the replay has caught up)
};

namespace {

constexpr std::string_view ns = "/";
// Replay keeps at most this much queued towards a client (well below the transport's limit).
constexpr std::size_t replay_window = 256 * 1024;

std::string tenant_room(const std::string& tenant) { return "tenant:" + tenant; }
std::string artist_room(const std::string& tenant, const std::string& artist) {
    return "artist:" + tenant + ":" + artist;
}

json::object connect_error(std::string_view code, std::string_view detail) {
    return json::object{
        {"message", code}, {"data", json::object{{"code", code}, {"detail", detail}}}};
}

json::object error_ack(std::string_view code, std::string_view detail) {
    return json::object{{"error", json::object{{"code", code}, {"detail", detail}}}};
}

sio_args one(json::value v) {
    sio_args a;
    a.args.push_back(std::move(v));
    return a;
}

// lastSeq: absent/null, a non-negative integer (number or digit string).
std::variant<std::optional<long long>, std::string> read_last_seq(const json::object& auth) {
    const auto* v = auth.if_contains("lastSeq");
    if (v == nullptr || v->is_null()) return std::optional<long long>{};
    if (v->is_int64() && v->as_int64() >= 0) return std::optional<long long>{v->as_int64()};
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return std::optional<long long>{static_cast<long long>(v->as_uint64())};
    }
    if (v->is_double()) {
        double d = v->as_double();
        if (d >= 0 && d <= 9007199254740992.0 && std::floor(d) == d) {
            return std::optional<long long>{static_cast<long long>(d)};
        }
    }
    if (v->is_string()) {
        const auto& s = v->as_string();
        if (!s.empty() && s.size() <= 18 &&
            std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::optional<long long>{std::stoll(std::string(s))};
        }
    }
    return std::string("lastSeq must be a non-negative integer.");
}

// The time range an event changes on the artist's schedule: the booking's times joined with
// their previous values. nullopt for events that do not change the schedule.
std::optional<std::pair<std::string, std::string>> changed_range(
    std::string_view type, const json::value& event
) {
    if (type == "booking.updated") return std::nullopt;  // title/notes/priority only
    const auto* obj = event.if_object();
    if (obj == nullptr) return std::nullopt;
    const auto* b = obj->if_contains("booking");
    if (b == nullptr || !b->is_object()) return std::nullopt;
    const auto* start = b->as_object().if_contains("startTime");
    const auto* end = b->as_object().if_contains("endTime");
    if (start == nullptr || end == nullptr || !start->is_string() || !end->is_string()) {
        return std::nullopt;
    }
    std::string from(start->as_string());
    std::string to(end->as_string());
    if (const auto* prev = obj->if_contains("previous"); prev != nullptr && prev->is_object()) {
        const auto& p = prev->as_object();
        auto earlier = [](const std::string& a, const std::string& b2) {
            auto x = domain::parse_instant(a);
            auto y = domain::parse_instant(b2);
            return x && y && *x < *y;
        };
        if (const auto* ps = p.if_contains("startTime"); ps != nullptr && ps->is_string()) {
            std::string s(ps->as_string());
            if (earlier(s, from)) from = s;
        }
        if (const auto* pe = p.if_contains("endTime"); pe != nullptr && pe->is_string()) {
            std::string e(pe->as_string());
            if (earlier(to, e)) to = e;
        }
    }
    return std::make_pair(std::move(from), std::move(to));
}

}  // namespace

booking_channel::booking_channel(
    sio_server& sio,
    usecase::booking_service& bookings,
    usecase::availability_service& availability,
    platform::clock& clock,
    token_verifier verify,
    event_renderer render
)
    : sio_(sio),
      bookings_(bookings),
      availability_(availability),
      clock_(clock),
      verify_(std::move(verify)),
      render_(std::move(render)) {}

void booking_channel::start_at(long long seq) {
    std::lock_guard lock(mu_);
    delivered_ = seq;
    started_ = true;
}

long long booking_channel::delivered_seq() const {
    std::lock_guard lock(mu_);
    return delivered_;
}

asio::awaitable<void> booking_channel::deliver(std::vector<store::feed_event> batch) {
    if (batch.empty()) co_return;
    // Cached schedules of the artists concerned go before anyone hears of the change (the
    // instance that committed invalidated already; this covers every other instance's view).
    std::set<std::pair<std::string, std::string>> artists;
    for (const auto& e : batch) artists.emplace(e.tenant_id, e.event.artist_id);
    for (const auto& [tenant, artist] : artists) {
        co_await availability_.invalidate_artist(tenant, artist);
    }
    // Render outside the lock; broadcast and advance under it (see the header's ordering note).
    struct rendered {
        std::vector<std::string> rooms;
        std::string type;
        sio_args args;
        std::optional<sio_args> availability;
    };
    std::vector<rendered> out;
    out.reserve(batch.size());
    for (const auto& e : batch) {
        rendered r;
        r.rooms = {tenant_room(e.tenant_id), artist_room(e.tenant_id, e.event.artist_id)};
        r.type = e.event.type;
        auto v = render_(e.event);
        if (auto range = changed_range(e.event.type, v)) {
            r.availability = one(json::object{
                {"artistId", e.event.artist_id}, {"from", range->first}, {"to", range->second}});
        }
        r.args = one(std::move(v));
        out.push_back(std::move(r));
    }
    std::lock_guard lock(mu_);
    for (const auto& r : out) {
        sio_.broadcast(std::string(ns), r.rooms, r.type, r.args);
        if (r.availability)
            sio_.broadcast(std::string(ns), r.rooms, "availability.changed", *r.availability);
    }
    delivered_ = std::max(delivered_, batch.back().event.seq);
}

asio::awaitable<void> booking_channel::availability_changed(store::artist_ref artist) {
    co_await availability_.invalidate_artist(artist.tenant_id, artist.artist_id);
    std::vector<std::string> rooms{
        tenant_room(artist.tenant_id), artist_room(artist.tenant_id, artist.artist_id)};
    auto args =
        one(json::object{{"artistId", artist.artist_id}, {"from", nullptr}, {"to", nullptr}});
    sio_.broadcast(std::string(ns), rooms, "availability.changed", args);
}

asio::awaitable<std::optional<json::object>> booking_channel::on_connect(
    std::shared_ptr<sio_socket> socket, json::value auth
) {
    const auto* obj = auth.if_object();
    const json::value* token = obj != nullptr ? obj->if_contains("token") : nullptr;
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
        co_return connect_error("unauthenticated", "auth.token is missing.");
    }
    auto last_seq = read_last_seq(*obj);
    if (auto* why = std::get_if<std::string>(&last_seq)) {
        co_return connect_error("validation_failed", *why);
    }
    std::optional<principal> who;
    try {
        who = co_await verify_(std::string(token->as_string()));
    } catch (const platform::db_unavailable&) {
        co_return connect_error("unavailable", "The service is unavailable; retry shortly.");
    }
    if (!who) co_return connect_error("unauthenticated", "The token is not valid.");
    auto st = std::make_shared<socket_state>();
    st->who = std::move(*who);
    st->last_seq = std::get<std::optional<long long>>(last_seq);
    socket->user_data = st;
    co_return std::nullopt;
}

asio::awaitable<void> booking_channel::on_connected(std::shared_ptr<sio_socket> socket) {
    try {
        co_await replay_then_join(socket);
    } catch (const boost::system::system_error&) {
        throw;
    } catch (const std::exception& e) {
        platform::log_warn("realtime replay failed", {{"error", e.what()}});
        socket->disconnect();
    }
}

void booking_channel::join_rooms(const std::shared_ptr<sio_socket>& socket, socket_state& st) {
    if (st.artists.empty()) {
        sio_.join(socket, tenant_room(st.who.tenant_id));
    } else {
        for (const auto& a : st.artists) sio_.join(socket, artist_room(st.who.tenant_id, a));
    }
    st.joined = true;
}

asio::awaitable<void> booking_channel::replay_then_join(std::shared_ptr<sio_socket> socket) {
    auto st = std::static_pointer_cast<socket_state>(socket->user_data);
    // Until the pump knows where the log ends there is nothing to join (no event flows yet).
    for (;;) {
        {
            std::lock_guard lock(mu_);
            if (started_) break;
        }
        if (!socket->connected()) co_return;
        co_await platform::pause(100ms);
    }
    if (!st->last_seq) {
        std::lock_guard lock(mu_);
        join_rooms(socket, *st);
        co_return;
    }
    const long long asked = *st->last_seq;
    long long after = asked;
    for (;;) {
        long long through = 0;
        {
            std::lock_guard lock(mu_);
            through = delivered_;
            if (after >= through) {
                join_rooms(socket, *st);
                co_return;
            }
        }
        if (!socket->connected()) co_return;
        usecase::booking_service::replay_page page;
        try {
            page = co_await bookings_.replay(st->who.tenant_id, after, through, max_replay + 1);
        } catch (const platform::db_unavailable&) {
            // Cannot replay now: tell the client to refetch rather than leave a silent gap.
            socket->emit(
                "resync.required", one(json::object{{"lastSeq", asked}, {"latestSeq", through}})
            );
            after = through;
            continue;
        }
        if (static_cast<int>(page.events.size()) > max_replay) {
            socket->emit(
                "resync.required",
                one(json::object{{"lastSeq", asked}, {"latestSeq", page.latest_seq}})
            );
        } else {
            // Paced: up to 1000 events of up to ~25 KB each could exceed what the transport
            // queues for a client before dropping it as slow; wait for it to drain instead.
            for (const auto& e : page.events) {
                if (!st->artists.empty() && !st->artists.contains(e.artist_id)) continue;
                while (socket->connected() && socket->transport().buffered_bytes() > replay_window
                ) {
                    co_await platform::pause(5ms);
                }
                if (!socket->connected()) co_return;
                socket->emit(e.type, one(render_(e)));
            }
        }
        after = through;
    }
}

json::object booking_channel::subscribe(
    const std::shared_ptr<sio_socket>& socket, const sio_args& args, bool add
) {
    auto st = std::static_pointer_cast<socket_state>(socket->user_data);
    std::vector<std::string> ids;
    bool all = false;
    const json::value* list = nullptr;
    if (!args.args.empty() && args.args[0].is_object()) {
        list = args.args[0].as_object().if_contains("artistIds");
    }
    if (list == nullptr && !add &&
        (args.args.empty() || args.args[0].is_null() || args.args[0].is_object())) {
        all = true;  // unsubscribe with no list: everything
    } else {
        if (list == nullptr || !list->is_array()) {
            return error_ack("validation_failed", "artistIds must be an array of artist ids.");
        }
        for (const auto& v : list->as_array()) {
            if (!v.is_string() || !domain::is_uuid(v.as_string())) {
                return error_ack("validation_failed", "artistIds must be an array of artist ids.");
            }
            std::string id(v.as_string());
            std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) {
                return static_cast<char>(std::tolower(c));
            });
            ids.push_back(std::move(id));
        }
    }
    const auto& tenant = st->who.tenant_id;
    if (add) {
        std::set<std::string> next = st->artists;
        next.insert(ids.begin(), ids.end());
        if (next.size() > max_subscriptions) {
            return error_ack("validation_failed", "At most 1000 artists per socket.");
        }
        if (st->joined) {
            // Join the new rooms before leaving the tenant's, so nothing falls in between
            // (a broadcast to both reaches the socket once).
            for (const auto& id : ids) sio_.join(socket, artist_room(tenant, id));
            if (st->artists.empty() && !next.empty()) sio_.leave(socket, tenant_room(tenant));
        }
        st->artists = std::move(next);
    } else {
        std::set<std::string> next;
        if (!all) {
            next = st->artists;
            for (const auto& id : ids) next.erase(id);
        }
        if (st->joined) {
            if (next.empty() && !st->artists.empty()) sio_.join(socket, tenant_room(tenant));
            for (const auto& id : st->artists) {
                if (!next.contains(id)) sio_.leave(socket, artist_room(tenant, id));
            }
        }
        st->artists = std::move(next);
    }
    json::array current;
    for (const auto& id : st->artists) current.emplace_back(id);
    return json::object{{"ok", true}, {"artistIds", std::move(current)}};
}

asio::awaitable<json::object> booking_channel::heartbeat(
    std::shared_ptr<sio_socket> socket, sio_args args
) {
    auto st = std::static_pointer_cast<socket_state>(socket->user_data);
    if (!domain::at_least(st->who.role, domain::role::booker)) {
        co_return error_ack("forbidden", "Your role may not extend bookings.");
    }
    const json::value* id = nullptr;
    if (!args.args.empty() && args.args[0].is_object()) {
        id = args.args[0].as_object().if_contains("bookingId");
    }
    if (id == nullptr || !id->is_string()) {
        co_return error_ack("validation_failed", "bookingId is required.");
    }
    if (!domain::is_uuid(id->as_string())) co_return error_ack("not_found", "No such booking.");
    domain::transition_request req;
    req.action = domain::booking_action::extend;
    usecase::booking_outcome out;
    try {
        out = co_await bookings_.transition(
            st->who.tenant_id, st->who.user, std::string(id->as_string()), req, clock_.now()
        );
    } catch (const platform::db_unavailable&) {
        co_return error_ack("unavailable", "The service is unavailable; retry shortly.");
    }
    if (const auto* d = std::get_if<domain::decision>(&out)) {
        json::value expires = nullptr;
        if (d->result.expires_at)
            expires = json::string(domain::format_instant(*d->result.expires_at));
        co_return json::object{{"expiresAt", expires}};
    }
    if (const auto* e = std::get_if<domain::domain_error>(&out)) {
        co_return error_ack(domain::to_string(e->code), e->detail);
    }
    co_return error_ack("not_found", "No such booking.");
}

asio::awaitable<void> booking_channel::on_event(
    std::shared_ptr<sio_socket> socket, std::string event, sio_args args, sio_ack ack
) {
    json::object answer;
    if (event == "subscribe" || event == "unsubscribe") {
        answer = subscribe(socket, args, event == "subscribe");
    } else if (event == "hold.heartbeat") {
        answer = co_await heartbeat(socket, std::move(args));
    } else {
        answer = error_ack("not_found", "Unknown event.");
    }
    if (ack) ack(one(std::move(answer)));
}

}  // namespace ptool::realtime
