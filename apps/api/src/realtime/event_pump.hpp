#pragma once
// The event pump of one instance (SPEC §6 "ordering without loss", §7): learns of committed
// booking events of every tenant and hands them over in seq order, each exactly once.
//
// A dedicated PostgreSQL connection (not from the pool) LISTENs on booking_events and
// availability_changed. Notifications are only hints: on each one, and every catch_up_interval
// without one, the pump reads the global watermark (the highest seq visible in a snapshot),
// waits until every transaction in progress at that snapshot has ended (so no lower seq can
// still commit), then reads the events after the last one it delivered up to the watermark.
// A lost notification therefore delays an event by at most catch_up_interval and loses
// nothing. A lost connection is re-established with back-off; the pump resumes after the last
// delivered seq, and announces the artists whose availability changed while it was away
// (ptool_availability_changed_since).
//
// Writers are never serialised: a slow writer holds back delivery of later seqs until it
// commits or aborts (any transaction holding an xid counts, so keep the database to ourselves).
//
// The callbacks are awaited one at a time, in order, on the pump's executor.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "store/event_feed_store.hpp"

namespace ptool::realtime {

struct pump_options {
    std::string conninfo;  // the application role's DATABASE_URL
    std::chrono::milliseconds catch_up_interval{1000};
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{5000};
    int batch = 500;  // events per read
};

struct pump_callbacks {
    // Once, when the pump first knows where the log ends: events up to `seq` are history (the
    // pump delivers only later ones; a client's lastSeq replay reads older ones itself).
    std::function<void(long long seq)> on_start;
    // Consecutive committed events (seq order, no gaps in what is final, any tenants).
    std::function<boost::asio::awaitable<void>(std::vector<store::feed_event>)> on_events;
    // An artist's availability preferences or zone changed.
    std::function<boost::asio::awaitable<void>(store::artist_ref)> on_availability;
};

class event_pump {
public:
    event_pump(boost::asio::any_io_executor ex, pump_options options, pump_callbacks callbacks);

    // Runs until cancelled (terminal cancellation through the co_spawn's slot). Database
    // failures are logged (one warning per outage) and retried; callbacks must not throw (an
    // exception from one is logged and the batch is not retried).
    boost::asio::awaitable<void> run();

    // True once on_start was called.
    bool started() const { return started_.load(); }
    // The last seq handed to on_events (or the start position).
    long long delivered_seq() const { return delivered_.load(); }
    // True while the LISTEN connection is up.
    bool listening() const { return listening_.load(); }

private:
    boost::asio::awaitable<void> serve_connection(bool after_outage, domain::instant outage_began);
    boost::asio::awaitable<void> drain(platform::pg_connection& c);

    boost::asio::any_io_executor ex_;
    pump_options options_;
    pump_callbacks callbacks_;
    std::atomic<bool> started_{false};
    std::atomic<bool> listening_{false};
    std::atomic<long long> delivered_{0};
};

}  // namespace ptool::realtime
