// Idempotency-Key handling shared by every POST: claim the key, run the handler once, store its
// 2xx response, replay it to duplicates. Each database step is its own short transaction, so no
// lock is held while the handler runs.

#include "http/idempotency.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <variant>

#include "http/problem.hpp"
#include "platform/log.hpp"
#include "platform/pg_transaction.hpp"
#include "store/idempotency_store.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t max_key_length = 255;
constexpr std::string_view key_header = "Idempotency-Key";
// The response headers a replay repeats; the rest (Date, Content-Length...) are regenerated.
constexpr bhttp::field replayed_fields[] = {
    bhttp::field::content_type, bhttp::field::location, bhttp::field::etag};

void append_canonical(const boost::json::value& v, std::string& out) {
    switch (v.kind()) {
        case boost::json::kind::object: {
            const auto& o = v.as_object();
            std::vector<const boost::json::key_value_pair*> members;
            members.reserve(o.size());
            for (const auto& kv : o) members.push_back(&kv);
            std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
                return a->key() < b->key();
            });
            out += '{';
            bool first = true;
            for (const auto* kv : members) {
                if (!first) out += ',';
                first = false;
                out += boost::json::serialize(boost::json::string(kv->key()));
                out += ':';
                append_canonical(kv->value(), out);
            }
            out += '}';
            return;
        }
        case boost::json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& e : v.as_array()) {
                if (!first) out += ',';
                first = false;
                append_canonical(e, out);
            }
            out += ']';
            return;
        }
        case boost::json::kind::double_: {
            double d = v.get_double();
            // 2^63 is exactly representable; the int64 range is [-2^63, 2^63).
            constexpr double two63 = 9223372036854775808.0;
            if (d >= -two63 && d < two63 &&
                d == static_cast<double>(static_cast<std::int64_t>(d))) {
                out += std::to_string(static_cast<std::int64_t>(d));
                return;
            }
            out += boost::json::serialize(v);
            return;
        }
        default:
            // null, bool, string, int64 and uint64 print identically for equal values.
            out += boost::json::serialize(v);
            return;
    }
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest(SHA-256) failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(static_cast<std::size_t>(len) * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4U];
        out += hex[md[i] & 0x0FU];
    }
    return out;
}

domain::instant to_instant(platform::time_point t) { return domain::instant(t.time_since_epoch()); }

// What a claim attempt found: we own the key, or its record (nullopt: gone, try again).
struct claim_outcome {
    bool owned = false;
    std::optional<store::idempotency_record> record;
};

asio::awaitable<claim_outcome> claim_in(
    platform::pg_connection& c,
    const store::idempotency_scope& scope,
    const std::string& hash,
    domain::instant now,
    const idempotency_options& opts
) {
    claim_outcome out;
    out.owned = co_await store::claim_idempotency_key(
        c, scope, hash, now, now + opts.ttl, now - opts.abandoned_after
    );
    if (!out.owned) out.record = co_await store::find_idempotency_key(c, scope);
    co_return out;
}

asio::awaitable<bool> complete_in(
    platform::pg_connection& c,
    const store::idempotency_scope& scope,
    domain::instant claimed_at,
    const store::stored_response& res
) {
    co_return co_await store::complete_idempotency_key(c, scope, claimed_at, res);
}

asio::awaitable<bool> release_in(
    platform::pg_connection& c, const store::idempotency_scope& scope, domain::instant claimed_at
) {
    co_return co_await store::release_idempotency_key(c, scope, claimed_at);
}

asio::awaitable<int> purge_in(platform::pg_connection& c, domain::instant now, int limit) {
    co_return co_await store::purge_idempotency_keys(c, now, limit);
}

response replay(const store::stored_response& stored, const request& req) {
    response res{static_cast<bhttp::status>(stored.status), req.version()};
    for (const auto& [k, v] : stored.headers) res.set(k, v);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("Idempotent-Replayed", "true");
    res.body() = stored.body;
    res.prepare_payload();
    return res;
}

store::stored_response to_stored(const response& res) {
    store::stored_response out;
    out.status = static_cast<int>(res.result_int());
    for (auto f : replayed_fields) {
        auto it = res.find(f);
        if (it != res.end())
            out.headers.emplace_back(std::string(it->name_string()), std::string(it->value()));
    }
    out.body = res.body();
    return out;
}

// Runs `work` as the owner of the key claimed at `claimed_at`; stores or releases the key.
asio::awaitable<response> run_as_owner(
    platform::pg_pool& pool,
    const store::idempotency_scope& scope,
    domain::instant claimed_at,
    idempotent_work& work
) {
    std::optional<response> res;
    std::exception_ptr failure;
    try {
        res = co_await work();
    } catch (...) {
        failure = std::current_exception();
    }
    bool success = !failure && res->result_int() >= 200 && res->result_int() < 300;
    if (success) {
        auto stored = to_stored(*res);
        auto fn = [&](platform::pg_connection& c) {
            return complete_in(c, scope, claimed_at, stored);
        };
        // The work is done and committed: the client gets its 2xx even if storing it fails. The
        // key then stays in_progress until it is abandoned (a duplicate meanwhile gets 409), and a
        // retry after that runs again: the one case where a key does not prevent a second run.
        try {
            bool kept = co_await platform::with_tenant_transaction(pool, scope.tenant_id, fn);
            if (!kept) {
                platform::log_warn(
                    "idempotency key taken over before its request finished",
                    {{"path", scope.path}, {"tenant_id", scope.tenant_id}}
                );
            }
        } catch (const std::exception& e) {
            platform::log_warn(
                "could not store an idempotent response",
                {{"path", scope.path}, {"error", e.what()}}
            );
        }
        co_return std::move(*res);
    }
    try {
        auto fn = [&](platform::pg_connection& c) { return release_in(c, scope, claimed_at); };
        co_await platform::with_tenant_transaction(pool, scope.tenant_id, fn);
    } catch (const std::exception& e) {
        // The key stays in_progress and is taken over once abandoned; the request's own outcome
        // (below) is what the client must see.
        platform::log_warn(
            "could not release an idempotency key", {{"path", scope.path}, {"error", e.what()}}
        );
    }
    if (failure) std::rethrow_exception(failure);
    co_return std::move(*res);
}

}  // namespace

domain::field_errors check_idempotency_key(std::string_view key) {
    if (key.empty()) return {{std::string("/") + std::string(key_header), "must not be empty"}};
    if (key.size() > max_key_length) {
        return {{std::string("/") + std::string(key_header), "must be at most 255 characters"}};
    }
    for (char c : key) {
        if (c < 0x20 || c > 0x7E) {
            return {
                {std::string("/") + std::string(key_header),
                 "must contain printable ASCII characters only"}};
        }
    }
    return {};
}

std::string canonical_json(const boost::json::value& v) {
    std::string out;
    append_canonical(v, out);
    return out;
}

std::string request_fingerprint(std::string_view body) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return sha256_hex("json:{}");
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) return sha256_hex(std::string("raw:").append(body));
    return sha256_hex("json:" + canonical_json(v));
}

asio::awaitable<response> run_idempotent(
    services s, request_context& ctx, const principal& me, idempotent_work work
) {
    co_return co_await run_idempotent(
        s.pool, s.clock, ctx.req, ctx.path, me.tenant_id, std::move(work)
    );
}

asio::awaitable<response> run_idempotent(
    platform::pg_pool& pool,
    platform::clock& clock,
    const request& req,
    std::string path,
    std::string tenant_id,
    idempotent_work work,
    idempotency_options opts
) {
    auto header = req.find(key_header);
    if (header == req.end()) co_return co_await work();
    std::string_view key = header->value();
    if (auto errs = check_idempotency_key(key); !errs.empty()) {
        co_return make_problem_response(validation_failed(errs), req.version(), true);
    }
    store::idempotency_scope scope{
        std::move(tenant_id), std::string(req.method_string()), std::move(path), std::string(key)};
    const std::string hash = request_fingerprint(req.body());
    const auto wait_until = std::chrono::steady_clock::now() + opts.max_wait;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        const auto now = to_instant(clock.now());
        auto fn = [&](platform::pg_connection& c) { return claim_in(c, scope, hash, now, opts); };
        claim_outcome got = co_await platform::with_tenant_transaction(pool, scope.tenant_id, fn);
        if (got.owned) co_return co_await run_as_owner(pool, scope, now, work);
        const bool waited_enough =
            std::chrono::steady_clock::now() + opts.poll_interval > wait_until;
        if (!got.record || got.record->expires_at <= now) {
            // Gone (its first request failed) or expired: claim it again at once. The deadline
            // bounds this loop should the key keep changing hands.
            if (waited_enough) {
                co_return make_problem_response(idempotency_in_progress(), req.version(), true);
            }
            continue;
        }
        if (got.record->request_hash != hash) {
            co_return make_problem_response(idempotency_key_mismatch(), req.version(), true);
        }
        if (got.record->done && got.record->response) {
            co_return replay(*got.record->response, req);
        }
        if (waited_enough) {
            co_return make_problem_response(idempotency_in_progress(), req.version(), true);
        }
        timer.expires_after(opts.poll_interval);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<int> purge_expired_idempotency_keys(
    platform::pg_pool& pool, platform::time_point now, int limit
) {
    const auto at = to_instant(now);
    auto fn = [&](platform::pg_connection& c) { return purge_in(c, at, limit); };
    co_return co_await platform::with_transaction(pool, fn);
}

asio::awaitable<void> purge_idempotency_keys_forever(
    platform::pg_pool& pool, platform::clock& clock, std::chrono::seconds interval, int batch
) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        try {
            int purged = 0;
            do {
                purged = co_await purge_expired_idempotency_keys(pool, clock.now(), batch);
                if (purged > 0) platform::log_debug("purged idempotency keys", {{"count", purged}});
            } while (purged == batch);
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) co_return;
            platform::log_warn("idempotency key purge failed", {{"error", e.what()}});
        } catch (const std::exception& e) {
            platform::log_warn("idempotency key purge failed", {{"error", e.what()}});
        }
        timer.expires_after(interval);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
    }
}

}  // namespace ptool::http
