// The event pump: LISTEN/NOTIFY as a hint, booking_events read by seq behind the "ordering
// without loss" watermark, reconnection with back-off, availability notifications.

#include "realtime/event_pump.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log.hpp"
#include "platform/pause.hpp"
#include "platform/pg_error.hpp"

namespace ptool::realtime {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto connect_timeout = 5s;
// Notifications can be lost while the connection is down; announce what changed since a little
// before the loss was noticed (database and instance clocks differ slightly).
constexpr auto outage_margin = 10s;
constexpr auto slow_writer_warning = 10s;

// Waits until no transaction that was in progress when the watermark was read is still running
// (see store::event_watermark), so no seq at or below it can still commit.
asio::awaitable<void> wait_final(platform::pg_connection& c, store::event_watermark wm) {
    auto delay = 1ms;
    auto began = std::chrono::steady_clock::now();
    bool warned = false;
    while (!co_await store::watermark_final(c, wm)) {
        co_await platform::pause(delay);
        delay = std::min<std::chrono::milliseconds>(delay * 2, 50ms);
        if (!warned && std::chrono::steady_clock::now() - began > slow_writer_warning) {
            warned = true;
            platform::log_warn(
                "realtime delivery waits for a long transaction",
                {{"snapshot", wm.snapshot}, {"waited_ms", 10000}}
            );
        }
    }
}

std::optional<store::artist_ref> parse_artist_ref(std::string_view payload) {
    auto colon = payload.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == payload.size()) {
        return std::nullopt;
    }
    return store::artist_ref{
        std::string(payload.substr(0, colon)), std::string(payload.substr(colon + 1))};
}

}  // namespace

event_pump::event_pump(asio::any_io_executor ex, pump_options options, pump_callbacks callbacks)
    : ex_(std::move(ex)), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

asio::awaitable<void> event_pump::run() {
    bool outage = false;
    domain::instant outage_began{};
    auto backoff = options_.reconnect_min;
    for (;;) {
        std::string error;
        try {
            co_await serve_connection(outage, outage_began);
        } catch (const platform::db_unavailable& e) {
            error = e.what();
        } catch (const platform::db_error& e) {
            error = e.what();
        }
        bool was_listening = listening_.exchange(false);
        if (was_listening) backoff = options_.reconnect_min;
        if (!outage) {
            outage = true;
            outage_began = std::chrono::time_point_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now() - outage_margin
            );
            platform::log_warn(
                "realtime pump lost its database connection; retrying", {{"error", error}}
            );
        }
        co_await platform::pause(backoff);
        backoff = std::min(backoff * 2, options_.reconnect_max);
    }
}

asio::awaitable<void> event_pump::serve_connection(
    bool after_outage, domain::instant outage_began
) {
    auto conn = co_await platform::pg_connection::connect(ex_, options_.conninfo, connect_timeout);
    co_await conn->query("LISTEN booking_events");
    co_await conn->query("LISTEN availability_changed");
    listening_ = true;
    if (!started_) {
        auto wm = co_await store::read_global_watermark(*conn);
        co_await wait_final(*conn, wm);
        delivered_ = wm.max_seq;
        started_ = true;
        if (callbacks_.on_start) callbacks_.on_start(wm.max_seq);
        platform::log_info("realtime pump started", {{"seq", wm.max_seq}});
    }
    if (after_outage) {
        // Availability notifications sent while we were away are gone; ask what changed.
        auto changed = co_await store::availability_changed_since(*conn, outage_began);
        for (auto& a : changed) co_await callbacks_.on_availability(std::move(a));
        platform::log_info(
            "realtime pump reconnected", {{"seq", delivered_.load()}, {"artists", changed.size()}}
        );
    }
    for (;;) {
        co_await drain(*conn);
        auto note = co_await conn->wait_notification(options_.catch_up_interval);
        // Take every queued notification before the next read: one read covers them all.
        while (note) {
            if (note->channel == "availability_changed") {
                if (auto ref = parse_artist_ref(note->payload)) {
                    co_await callbacks_.on_availability(std::move(*ref));
                }
            }
            note = co_await conn->wait_notification(0ms);
        }
    }
}

asio::awaitable<void> event_pump::drain(platform::pg_connection& c) {
    auto wm = co_await store::read_global_watermark(c);
    if (wm.max_seq <= delivered_) co_return;
    co_await wait_final(c, wm);
    while (delivered_ < wm.max_seq) {
        auto events = co_await store::list_all_events(c, delivered_, wm.max_seq, options_.batch);
        if (events.empty()) break;
        long long last = events.back().event.seq;
        try {
            co_await callbacks_.on_events(std::move(events));
        } catch (const boost::system::system_error&) {
            throw;  // cancellation
        } catch (const std::exception& e) {
            platform::log_error("realtime delivery failed", {{"error", e.what()}, {"seq", last}});
        }
        delivered_ = last;
    }
    delivered_ = std::max(delivered_.load(), wm.max_seq);
}

}  // namespace ptool::realtime
