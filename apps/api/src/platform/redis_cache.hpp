#pragma once

// A Redis cache of computed values (schedules, SPEC §5) on hiredis's async API, driven by the
// Asio loop (no thread, no blocking call). Values are opaque strings filed under a `scope` (one
// artist: "<tenant>:<artist>") and a key within it.
//
// Invalidation works across instances through counters in Redis, not by deleting entries: every
// scope has a version counter (INCR on invalidate) and the whole cache an epoch. An entry's
// Redis key embeds the epoch and scope version read *before* the value was computed, so a
// value computed from data older than an invalidation is never found again (a reader that
// raced the writer files it under the old version). Entries also expire after their TTL.
//
// Failure model: Redis is optional. Every operation degrades to "miss" / no-op when Redis is
// absent (empty URL), unreachable, slow (each command has a deadline) or answers an error; the
// first failure after a healthy period is logged once (warn), recovery once (info). The client
// reconnects by itself (with back-off, at most one attempt in flight). Because an invalidation
// may have been lost while Redis was unreachable, the first successful exchange after a failure
// bumps the epoch (so entries written before the outage are never served) before any lookup
// is answered from Redis.
//
// While not connected (at startup, during an outage, while reconnecting) lookups answer a miss
// at once without waiting for a connection. The connection is checked with AUTH/SELECT (when the
// URL has them) and an INCR of the epoch or a PING before it serves.
//
// Metrics (platform::metrics): ptool_cache_requests_total{result="hit"|"miss"|"error"} for
// lookups ("error": Redis not connected, slow or failing, answered as a miss; a disabled cache
// counts "miss"), ptool_cache_invalidations_total{result="ok"|"error"}, and the gauge
// ptool_cache_up (registered by the constructor; 1 while up()).
//
// Thread-safety: lookup(), put(), invalidate(), up() and close() may be called from any thread
// or strand: the cache runs its own work on a strand of `ex` (lookup/put/invalidate hop onto it
// and resume the caller on its own executor). close() and the destructor free the hiredis
// context on that strand: at once when called on it, else when the io_context next runs it,
// or when the io_context is destroyed (pending work keeps the internals alive until then, so
// the cache may be destroyed before or after the io_context stopped). Owned by cli/serve.cpp;
// outlives every request.
//
// Process state: when a URL is given, the constructor sets SIGPIPE to SIG_IGN if it still has
// its default action (hiredis writes with write(2); a reset connection must not kill us).
//
// Errors: never throws for Redis failures. The constructor throws std::invalid_argument for a
// malformed URL (the message never quotes the URL: it may hold a password). If the awaiting
// coroutine is cancelled, an operation returns promptly as a miss/no-op (a command already
// sent still runs in Redis), or throws operation_aborted if cancelled before it started.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/metrics.hpp"

namespace ptool::platform {

class redis_cache {
public:
    struct options {
        // redis://[[user]:password@]host[:port][/db]; empty: disabled (always miss).
        std::string url;
        std::chrono::milliseconds command_timeout{100};
        std::chrono::milliseconds reconnect_min{100};
        std::chrono::milliseconds reconnect_max{5000};
        std::string prefix = "ptool:";  // every Redis key starts with it
    };

    redis_cache(boost::asio::any_io_executor ex, options opts, metrics& m);
    ~redis_cache();
    redis_cache(const redis_cache&) = delete;
    redis_cache& operator=(const redis_cache&) = delete;

    // What a lookup found. `stamp` identifies the (epoch, scope version) the lookup saw; pass it
    // to put() after computing a missing value. nullopt stamp: Redis unusable, do not put.
    struct lookup_result {
        std::optional<std::string> value;  // a hit
        std::optional<std::string> stamp;
    };

    // One round trip (an MGET of epoch, version and the entry, which carries its stamp).
    boost::asio::awaitable<lookup_result> lookup(std::string scope, std::string key);

    // Files `value` under (stamp, scope, key) for `ttl` (at least 1 s). No-op while Redis is
    // not connected or for a malformed stamp.
    boost::asio::awaitable<void> put(
        std::string scope,
        std::string stamp,
        std::string key,
        std::string value,
        std::chrono::seconds ttl
    );

    // Bumps the version of each scope (one round trip): entries filed before are never found
    // again, on any instance. Call after the change committed and before its event is
    // broadcast. On failure the epoch is bumped once Redis answers again (see above).
    boost::asio::awaitable<void> invalidate(std::vector<std::string> scopes);

    // True when the last exchange with Redis succeeded (false when disabled).
    bool up() const;

    // Closes the connection and stops reconnecting; later calls are misses/no-ops. Idempotent.
    void close();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace ptool::platform
