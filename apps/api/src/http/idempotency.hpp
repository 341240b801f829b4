#pragma once
// Idempotency-Key for POST requests (SPEC §3.4, §10 "Idempotency"), as a wrapper every POST
// handler calls after its 401/403 checks:
//
//   idempotent_work work = [&]() { return create_artist_in(ctx, s, me); };  // named coroutine
//   co_return co_await run_idempotent(s, ctx, me, std::move(work));
//
// (Name the std::function first: see platform/pg_transaction.hpp on GCC 12 and temporaries
// inside co_await. `work` is called at most once.)
//
// Behaviour:
// - No Idempotency-Key header: runs `work` and returns its response.
// - A key that is empty, longer than 255 characters or not printable ASCII (0x20..0x7E): 422
//   validation_failed with one error at path "/Idempotency-Key" (the header, not a body member).
// - Keys are per tenant + method + path (the path without query). The request's identity is
//   the SHA-256 of its canonical JSON body (canonical_json; an empty body counts as {}; a body
//   that is not JSON is hashed as its raw bytes, and its 400 is never stored).
// - First request: the key is recorded as in_progress (expires 24 h later by the service
//   clock), `work` runs, a 2xx response is stored (status, Location, ETag, Content-Type and
//   body) and the key becomes done; any other status, or an exception, deletes the key (errors
//   are not stored; a retry runs again). Exceptions are rethrown.
// - A duplicate (same key, scope) with another body: 422 idempotency_key_mismatch. With the
//   same body: a done key replays the stored response verbatim plus `Idempotent-Replayed:
//   true`; an in_progress key is polled (every poll_interval, up to max_wait) and replayed once
//   done, re-run if its first request failed (key deleted), else 409 idempotency_in_progress
//   with Retry-After: 1. `work` never runs twice for one key while the key lives, except when an
//   in_progress key is older than abandoned_after (its request crashed): it is taken over.
//   The handler's own transaction and the key's rows are separate transactions, so a crash (or
//   a failure to store the 2xx, which is logged; the 2xx is still returned) between them leaves
//   the key in_progress until it is abandoned.
// - Keys with expires_at <= now count as absent (a new request takes the key over); the purge
//   coroutine below deletes them.
//
// Throws db_unavailable / db_error (the dispatcher turns them into 503/500) and whatever `work`
// throws. Any thread/strand; the pool and clock must outlive the call.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/validation.hpp"
#include "http/auth.hpp"
#include "http/routes.hpp"
#include "http/types.hpp"
#include "platform/clock.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::http {

using idempotent_work = std::function<boost::asio::awaitable<response>()>;

struct idempotency_options {
    std::chrono::seconds ttl{24 * 3600};          // how long a done key replays
    std::chrono::seconds abandoned_after{60};     // an older in_progress key may be taken over
    std::chrono::milliseconds poll_interval{50};  // a duplicate re-reads the key this often
    std::chrono::milliseconds max_wait{5000};     // ... for at most this long, then 409
};

// The wrapper for a handler: tenant from `me`, method and path from `ctx`.
boost::asio::awaitable<response> run_idempotent(
    services s, request_context& ctx, const principal& me, idempotent_work work
);

// The same with explicit collaborators (tests use short waits).
boost::asio::awaitable<response> run_idempotent(
    platform::pg_pool& pool,
    platform::clock& clock,
    const request& req,
    std::string path,
    std::string tenant_id,
    idempotent_work work,
    idempotency_options opts = {}
);

// Deletes expired keys of every tenant (expires_at <= clock.now()) in batches of `batch`, then
// sleeps `interval`, forever. Database errors are logged and retried after the interval; it
// returns when the coroutine is cancelled or its timer is aborted. Spawn it once per instance
// (several instances may run it at once). The pool and clock must outlive it.
boost::asio::awaitable<void> purge_idempotency_keys_forever(
    platform::pg_pool& pool,
    platform::clock& clock,
    std::chrono::seconds interval = std::chrono::seconds(60),
    int batch = 1000
);

// One purge pass: deletes up to `limit` expired keys; returns how many. Throws db_*.
boost::asio::awaitable<int> purge_expired_idempotency_keys(
    platform::pg_pool& pool, platform::time_point now, int limit
);

// Pure helpers, exposed for tests ---------------------------------------------------------

// Errors of an Idempotency-Key header value (empty when valid).
domain::field_errors check_idempotency_key(std::string_view key);

// Serialises `v` with object members sorted by key (recursively) and numbers normalised
// (an integral double in the int64 range prints as that integer), so equal JSON gives equal
// text.
std::string canonical_json(const boost::json::value& v);

// Lower-case hex SHA-256 of the canonical form of `body` (see the file comment).
std::string request_fingerprint(std::string_view body);

}  // namespace ptool::http
