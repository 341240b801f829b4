#pragma once
// SQL for Idempotency-Key records (SPEC §3.4, §10 "Idempotency"; table idempotency_keys).
// Tenant functions run inside a transaction whose app.tenant_id is set (RLS); the purge runs
// without a tenant through the SECURITY DEFINER function ptool_purge_idempotency_keys. All times
// come from the service clock. Throws db_error / db_unavailable like the connection does.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// Which request a key belongs to: keys are per tenant + method + path.
struct idempotency_scope {
    std::string tenant_id;
    std::string method;  // "POST"
    std::string path;    // the request path without query, e.g. "/api/v1/artists"
    std::string key;     // 1..255 characters (CHECK constraint)
};

// A stored 2xx response, replayed verbatim.
struct stored_response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Location, ETag
    std::string body;
    friend bool operator==(const stored_response&, const stored_response&) = default;
};

struct idempotency_record {
    std::string request_hash;
    bool done = false;  // false: in_progress
    domain::instant created_at;
    domain::instant expires_at;
    std::optional<stored_response> response;  // set when done
};

// Makes the caller the owner of the key: inserts it as in_progress (created_at = now), or
// takes over a row that expired (expires_at <= now) or whose first request was abandoned
// (in_progress and created_at <= abandoned_before). True when the caller now owns the key;
// false when another request holds it (read it with find_idempotency_key). Blocks while
// another transaction inserts the same key, until that commits.
boost::asio::awaitable<bool> claim_idempotency_key(
    platform::pg_connection& c,
    const idempotency_scope& scope,
    const std::string& request_hash,
    domain::instant now,
    domain::instant expires_at,
    domain::instant abandoned_before
);

// The record of the key, nullopt when there is none.
boost::asio::awaitable<std::optional<idempotency_record>> find_idempotency_key(
    platform::pg_connection& c, const idempotency_scope& scope
);

// Stores the response of the claim made at `claimed_at` and marks the key done. False when the
// claim is gone (taken over as abandoned, or purged).
boost::asio::awaitable<bool> complete_idempotency_key(
    platform::pg_connection& c,
    const idempotency_scope& scope,
    domain::instant claimed_at,
    const stored_response& response
);

// Deletes the in_progress claim made at `claimed_at` (the request failed; errors are not
// stored). False when the claim is gone.
boost::asio::awaitable<bool> release_idempotency_key(
    platform::pg_connection& c, const idempotency_scope& scope, domain::instant claimed_at
);

// Deletes up to `limit` keys of any tenant with expires_at <= now; returns how many. Runs in a
// transaction without a tenant.
boost::asio::awaitable<int> purge_idempotency_keys(
    platform::pg_connection& c, domain::instant now, int limit
);

}  // namespace ptool::store
