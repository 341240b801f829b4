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
// Metrics (platform::metrics): ptool_cache_requests_total{result="hit"|"miss"|"error"} for
// lookups, ptool_cache_invalidations_total{result="ok"|"error"}, and the gauge ptool_cache_up.
//
// Thread-safety: all members must be called on `ex` (one strand/io_context thread). Owned by
// cli/serve.cpp; outlives every request. Never throws for Redis failures.

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
        std::string url;  // redis://[:password@]host[:port][/db]; empty: disabled (always miss)
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

    // One round trip (a Lua script reads epoch, version and the entry together).
    boost::asio::awaitable<lookup_result> lookup(std::string scope, std::string key);

    // Files `value` under (stamp, scope, key) for `ttl` (at least 1 s).
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

    // Closes the connection and stops reconnecting; later calls are misses/no-ops.
    void close();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace ptool::platform
