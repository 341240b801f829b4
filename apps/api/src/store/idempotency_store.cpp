// Idempotency-Key rows: claim (insert or take over), read, complete, release, purge. The claim
// is a single upsert, so two requests racing for one key serialise on its unique index and
// exactly one of them owns it.

#include "store/idempotency_store.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "store/rows.hpp"

namespace ptool::store {

namespace {

// See tenant_store.cpp on GCC 12: parameter lists are built before co_await.
constexpr std::string_view claim_sql =
    "INSERT INTO idempotency_keys AS k (tenant_id, method, path, key, request_hash, state, "
    "created_at, expires_at) "
    "VALUES ($1::uuid, $2, $3, $4, $5, 'in_progress', $6::timestamptz, $7::timestamptz) "
    "ON CONFLICT (tenant_id, method, path, key) DO UPDATE SET "
    "request_hash = EXCLUDED.request_hash, state = 'in_progress', response_status = NULL, "
    "response_headers = NULL, response_body = NULL, created_at = EXCLUDED.created_at, "
    "expires_at = EXCLUDED.expires_at "
    "WHERE k.expires_at <= $6::timestamptz "
    "   OR (k.state = 'in_progress' AND k.created_at <= $8::timestamptz) "
    "RETURNING 1";
constexpr std::string_view find_sql =
    "SELECT request_hash, state, (extract(epoch FROM created_at) * 1000000)::int8, "
    "(extract(epoch FROM expires_at) * 1000000)::int8, response_status, "
    "response_headers::text, response_body "
    "FROM idempotency_keys WHERE tenant_id = $1::uuid AND method = $2 AND path = $3 AND key = $4";
constexpr std::string_view complete_sql =
    "UPDATE idempotency_keys SET state = 'done', response_status = $6::int4, "
    "response_headers = $7::jsonb, response_body = $8 "
    "WHERE tenant_id = $1::uuid AND method = $2 AND path = $3 AND key = $4 "
    "AND state = 'in_progress' AND created_at = $5::timestamptz";
constexpr std::string_view release_sql =
    "DELETE FROM idempotency_keys "
    "WHERE tenant_id = $1::uuid AND method = $2 AND path = $3 AND key = $4 "
    "AND state = 'in_progress' AND created_at = $5::timestamptz";
constexpr std::string_view purge_sql =
    "SELECT ptool_purge_idempotency_keys($1::timestamptz, $2::int4)";

platform::pg_params scope_params(const idempotency_scope& s) {
    return {s.tenant_id, s.method, s.path, s.key};
}

std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers) {
    boost::json::object o;
    for (const auto& [k, v] : headers) o[k] = v;
    return boost::json::serialize(o);
}

// Headers as stored by headers_json; a malformed value (never written by us) reads as none.
std::vector<std::pair<std::string, std::string>> parse_headers(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return out;
    for (const auto& [k, val] : v.as_object()) {
        if (val.is_string()) out.emplace_back(std::string(k), std::string(val.as_string()));
    }
    return out;
}

}  // namespace

boost::asio::awaitable<bool> claim_idempotency_key(
    platform::pg_connection& c,
    const idempotency_scope& scope,
    const std::string& request_hash,
    domain::instant now,
    domain::instant expires_at,
    domain::instant abandoned_before
) {
    auto params = scope_params(scope);
    params.emplace_back(request_hash);
    params.emplace_back(domain::format_instant(now));
    params.emplace_back(domain::format_instant(expires_at));
    params.emplace_back(domain::format_instant(abandoned_before));
    auto r = co_await c.query(claim_sql, std::move(params));
    co_return r.rows() == 1;
}

boost::asio::awaitable<std::optional<idempotency_record>> find_idempotency_key(
    platform::pg_connection& c, const idempotency_scope& scope
) {
    auto params = scope_params(scope);
    auto r = co_await c.query(find_sql, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    idempotency_record rec;
    rec.request_hash = std::string(r.get(0, 0));
    rec.done = r.get(0, 1) == "done";
    rec.created_at = us_to_instant(r.get(0, 2));
    rec.expires_at = us_to_instant(r.get(0, 3));
    if (rec.done) {
        stored_response res;
        res.status = static_cast<int>(int8_value(r.get(0, 4)));
        if (auto h = r.opt(0, 5)) res.headers = parse_headers(*h);
        res.body = std::string(r.get(0, 6));
        rec.response = std::move(res);
    }
    co_return rec;
}

boost::asio::awaitable<bool> complete_idempotency_key(
    platform::pg_connection& c,
    const idempotency_scope& scope,
    domain::instant claimed_at,
    const stored_response& response
) {
    auto params = scope_params(scope);
    params.emplace_back(domain::format_instant(claimed_at));
    params.emplace_back(std::to_string(response.status));
    params.emplace_back(headers_json(response.headers));
    params.emplace_back(response.body);
    auto r = co_await c.query(complete_sql, std::move(params));
    co_return r.affected() == 1;
}

boost::asio::awaitable<bool> release_idempotency_key(
    platform::pg_connection& c, const idempotency_scope& scope, domain::instant claimed_at
) {
    auto params = scope_params(scope);
    params.emplace_back(domain::format_instant(claimed_at));
    auto r = co_await c.query(release_sql, std::move(params));
    co_return r.affected() == 1;
}

boost::asio::awaitable<int> purge_idempotency_keys(
    platform::pg_connection& c, domain::instant now, int limit
) {
    platform::pg_params params{domain::format_instant(now), std::to_string(limit)};
    auto r = co_await c.query(purge_sql, std::move(params));
    co_return static_cast<int>(int8_value(r.get(0, 0)));
}

}  // namespace ptool::store
