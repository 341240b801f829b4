// run_idempotent against the real database (TEST_DATABASE_URL, app role): first run stored,
// duplicates replayed, mismatches refused, errors not stored, concurrent duplicates executed
// once, in-progress timeouts, abandoned and expired keys taken over, purge.

#include "http/idempotency.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "platform/pg_test_support.hpp"
#include "platform/pg_transaction.hpp"
#include "store/idempotency_store.hpp"
#include "usecase/tenants.hpp"

namespace ptool::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

constexpr const char* path = "/api/v1/things";

struct env {
    platform::pg_pool& pool;
    platform::clock& clock;
};

// Each test gets its own adjustable clock besides the pool.
void run(const std::function<asio::awaitable<void>(env)>& body) {
    platform::clock clock(/*adjustable=*/true);
    auto with_clock = [&body, &clock](platform::pg_pool& pool) { return body(env{pool, clock}); };
    platform::testing::run_with_pool(with_clock, 6);
}

request make_request(const std::optional<std::string>& key, std::string body) {
    request r{bhttp::verb::post, path, 11};
    if (key) r.set("Idempotency-Key", *key);
    r.set(bhttp::field::content_type, "application/json");
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

std::string fresh_key() {
    static std::atomic<int> n{0};
    return "key-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
           "-" + std::to_string(n++);
}

// The handler stand-in: counts its runs, optionally waits, answers `status`.
struct fake_handler {
    std::atomic<int> runs{0};
    bhttp::status status = bhttp::status::created;
    std::chrono::milliseconds delay{0};
    bool throws = false;
};

asio::awaitable<response> handle(fake_handler& h) {
    int n = ++h.runs;
    if (h.delay.count() > 0) {
        asio::steady_timer t(co_await asio::this_coro::executor, h.delay);
        co_await t.async_wait(asio::use_awaitable);
    }
    if (h.throws) throw std::runtime_error("handler failed");
    response res{h.status, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::location, "/api/v1/things/" + std::to_string(n));
    res.set(bhttp::field::etag, "\"1\"");
    res.set(bhttp::field::server, "not-replayed");
    res.body() = R"({"run":)" + std::to_string(n) + "}";
    res.prepare_payload();
    co_return res;
}

asio::awaitable<response> call(
    env e,
    fake_handler& h,
    const request& req,
    const std::string& tenant,
    idempotency_options opts = {},
    std::string at = path
) {
    idempotent_work work = [&h]() { return handle(h); };
    co_return co_await run_idempotent(
        e.pool, e.clock, req, std::move(at), tenant, std::move(work), opts
    );
}

asio::awaitable<std::optional<store::idempotency_record>> find_in(
    platform::pg_connection& c, const store::idempotency_scope& scope
) {
    co_return co_await store::find_idempotency_key(c, scope);
}

asio::awaitable<std::optional<store::idempotency_record>> record_of(
    env e, const std::string& tenant, const std::string& key
) {
    store::idempotency_scope scope{tenant, "POST", path, key};
    auto fn = [&](platform::pg_connection& c) { return find_in(c, scope); };
    co_return co_await platform::with_tenant_transaction(e.pool, tenant, fn);
}

asio::awaitable<std::string> new_tenant(env e) {
    co_return co_await usecase::create_tenant(e.pool, "idempotency pg", e.clock.now());
}

std::string header(const response& r, std::string_view name) {
    auto it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

// ---- tests ---------------------------------------------------------------------------------

asio::awaitable<void> without_a_key_every_call_runs(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto req = make_request(std::nullopt, "{}");
    auto a = co_await call(e, h, req, tenant);
    auto b = co_await call(e, h, req, tenant);
    EXPECT_EQ(h.runs, 2);
    EXPECT_EQ(a.result(), bhttp::status::created);
    EXPECT_EQ(header(b, "Idempotent-Replayed"), "");
}

TEST(idempotency_pg, without_a_key_every_call_runs) { run(without_a_key_every_call_runs); }

asio::awaitable<void> duplicate_replays_the_first_response(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto key = fresh_key();
    auto first_req = make_request(key, R"({"b": [1, {"y": 2, "x": 1}], "a": "x"})");
    auto first = co_await call(e, h, first_req, tenant);
    EXPECT_EQ(first.result(), bhttp::status::created);
    EXPECT_EQ(header(first, "Idempotent-Replayed"), "");
    auto rec = co_await record_of(e, tenant, key);
    PTOOL_CO_ASSERT_TRUE(rec.has_value());
    EXPECT_TRUE(rec->done);
    EXPECT_EQ(rec->expires_at - rec->created_at, std::chrono::hours(24));

    // Same JSON, other member order and spacing.
    auto again_req = make_request(key, R"({"a":"x","b":[1,{"x":1,"y":2}]})");
    auto again = co_await call(e, h, again_req, tenant);
    EXPECT_EQ(h.runs, 1);
    EXPECT_EQ(again.result(), bhttp::status::created);
    EXPECT_EQ(again.body(), first.body());
    EXPECT_EQ(header(again, "Location"), header(first, "Location"));
    EXPECT_EQ(header(again, "ETag"), "\"1\"");
    EXPECT_EQ(header(again, "Content-Type"), "application/json");
    EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
    EXPECT_EQ(header(again, "Server"), "");
}

TEST(idempotency_pg, duplicate_replays_the_first_response) {
    run(duplicate_replays_the_first_response);
}

asio::awaitable<void> another_body_is_a_mismatch(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto key = fresh_key();
    auto a = make_request(key, R"({"name":"A"})");
    co_await call(e, h, a, tenant);
    auto b = make_request(key, R"({"name":"B"})");
    auto res = co_await call(e, h, b, tenant);
    EXPECT_EQ(res.result(), bhttp::status::unprocessable_entity);
    EXPECT_NE(res.body().find("idempotency_key_mismatch"), std::string::npos) << res.body();
    EXPECT_EQ(h.runs, 1);
}

TEST(idempotency_pg, another_body_is_a_mismatch) { run(another_body_is_a_mismatch); }

asio::awaitable<void> empty_body_equals_empty_object(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto key = fresh_key();
    auto a = make_request(key, "");
    co_await call(e, h, a, tenant);
    auto b = make_request(key, "{ }");
    auto res = co_await call(e, h, b, tenant);
    EXPECT_EQ(header(res, "Idempotent-Replayed"), "true");
    EXPECT_EQ(h.runs, 1);
}

TEST(idempotency_pg, empty_body_equals_empty_object) { run(empty_body_equals_empty_object); }

asio::awaitable<void> errors_are_not_stored(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    h.status = bhttp::status::unprocessable_entity;
    auto key = fresh_key();
    auto req = make_request(key, R"({"x":1})");
    auto first = co_await call(e, h, req, tenant);
    EXPECT_EQ(first.result(), bhttp::status::unprocessable_entity);
    EXPECT_FALSE((co_await record_of(e, tenant, key)).has_value());
    h.status = bhttp::status::created;
    auto second = co_await call(e, h, req, tenant);
    EXPECT_EQ(second.result(), bhttp::status::created);
    EXPECT_EQ(header(second, "Idempotent-Replayed"), "");
    EXPECT_EQ(h.runs, 2);

    // An exception releases the key too, and is rethrown.
    fake_handler boom;
    boom.throws = true;
    auto key2 = fresh_key();
    auto req2 = make_request(key2, "{}");
    bool threw = false;
    try {
        co_await call(e, boom, req2, tenant);
    } catch (const std::runtime_error&) {
        threw = true;
    }
    EXPECT_TRUE(threw);
    EXPECT_FALSE((co_await record_of(e, tenant, key2)).has_value());
}

TEST(idempotency_pg, errors_are_not_stored) { run(errors_are_not_stored); }

asio::awaitable<void> bad_keys_are_422(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto long_req = make_request(std::string(256, 'k'), "{}");
    auto res = co_await call(e, h, long_req, tenant);
    EXPECT_EQ(res.result(), bhttp::status::unprocessable_entity);
    EXPECT_NE(res.body().find("/Idempotency-Key"), std::string::npos) << res.body();
    auto empty_req = make_request(std::string(), "{}");
    EXPECT_EQ(
        (co_await call(e, h, empty_req, tenant)).result(), bhttp::status::unprocessable_entity
    );
    EXPECT_EQ(h.runs, 0);
    auto max_req = make_request(std::string(255, 'k'), "{}");
    // 255 characters is fine (this tenant is fresh, so the key is too).
    EXPECT_EQ((co_await call(e, h, max_req, tenant)).result(), bhttp::status::created);
}

TEST(idempotency_pg, bad_keys_are_422) { run(bad_keys_are_422); }

asio::awaitable<void> scope_is_tenant_method_and_path(env e) {
    auto t1 = co_await new_tenant(e);
    auto t2 = co_await new_tenant(e);
    fake_handler h;
    auto key = fresh_key();
    auto req = make_request(key, "{}");
    co_await call(e, h, req, t1);
    auto other_tenant = co_await call(e, h, req, t2);
    EXPECT_EQ(header(other_tenant, "Idempotent-Replayed"), "");
    auto other_path = co_await call(e, h, req, t1, {}, "/api/v1/others");
    EXPECT_EQ(header(other_path, "Idempotent-Replayed"), "");
    EXPECT_EQ(h.runs, 3);
    auto replay = co_await call(e, h, req, t2);
    EXPECT_EQ(header(replay, "Idempotent-Replayed"), "true");
    EXPECT_EQ(replay.body(), other_tenant.body());
}

TEST(idempotency_pg, scope_is_tenant_method_and_path) { run(scope_is_tenant_method_and_path); }

asio::awaitable<void> concurrent_duplicates_run_once(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    h.delay = std::chrono::milliseconds(300);
    auto key = fresh_key();
    auto req = make_request(key, R"({"n":1})");
    auto a = call(e, h, req, tenant);
    auto b = call(e, h, req, tenant);
    auto c = call(e, h, req, tenant);
    auto [ra, rb, rc] = co_await (std::move(a) && std::move(b) && std::move(c));
    EXPECT_EQ(h.runs, 1);
    int replayed = 0;
    for (const auto* r : {&ra, &rb, &rc}) {
        EXPECT_EQ(r->result(), bhttp::status::created);
        EXPECT_EQ(r->body(), R"({"run":1})");
        if (header(*r, "Idempotent-Replayed") == "true") ++replayed;
    }
    EXPECT_EQ(replayed, 2);
}

TEST(idempotency_pg, concurrent_duplicates_run_once) { run(concurrent_duplicates_run_once); }

asio::awaitable<response> call_later(
    env e, fake_handler& h, const request& req, const std::string& tenant, idempotency_options opts
) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
    co_return co_await call(e, h, req, tenant, opts);
}

asio::awaitable<void> long_running_first_gives_409(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler slow;
    slow.delay = std::chrono::milliseconds(1500);
    fake_handler never;
    auto key = fresh_key();
    auto req = make_request(key, "{}");
    idempotency_options impatient;
    impatient.max_wait = std::chrono::milliseconds(300);
    auto first = call(e, slow, req, tenant);
    auto dup = call_later(e, never, req, tenant, impatient);
    auto [r1, r2] = co_await (std::move(first) && std::move(dup));
    EXPECT_EQ(r1.result(), bhttp::status::created);
    EXPECT_EQ(r2.result(), bhttp::status::conflict);
    EXPECT_NE(r2.body().find("idempotency_in_progress"), std::string::npos) << r2.body();
    EXPECT_EQ(header(r2, "Retry-After"), "1");
    EXPECT_EQ(never.runs, 0);
    // The same body with another key while in flight would be another request entirely; the
    // same key with another body is refused at once even while in flight.
}

TEST(idempotency_pg, long_running_first_gives_409) { run(long_running_first_gives_409); }

asio::awaitable<bool> claim_in(
    platform::pg_connection& c,
    const store::idempotency_scope& scope,
    const std::string& hash,
    domain::instant at
) {
    co_return co_await store::claim_idempotency_key(
        c, scope, hash, at, at + std::chrono::hours(24), at - std::chrono::seconds(60)
    );
}

asio::awaitable<void> abandoned_in_progress_is_taken_over(env e) {
    auto tenant = co_await new_tenant(e);
    auto key = fresh_key();
    // A request that claimed the key two minutes ago and crashed.
    store::idempotency_scope scope{tenant, "POST", path, key};
    auto hash = request_fingerprint("{}");
    auto then = e.clock.now() - std::chrono::minutes(2);
    auto fn = [&](platform::pg_connection& c) { return claim_in(c, scope, hash, then); };
    EXPECT_TRUE(co_await platform::with_tenant_transaction(e.pool, tenant, fn));
    fake_handler h;
    auto req = make_request(key, "{}");
    auto res = co_await call(e, h, req, tenant);
    EXPECT_EQ(res.result(), bhttp::status::created);
    EXPECT_EQ(h.runs, 1);
    auto rec = co_await record_of(e, tenant, key);
    PTOOL_CO_ASSERT_TRUE(rec.has_value());
    EXPECT_TRUE(rec->done);

    // A fresh in_progress claim (10 s old) is not taken over: the duplicate waits, then 409.
    auto key2 = fresh_key();
    store::idempotency_scope scope2{tenant, "POST", path, key2};
    auto recent = e.clock.now() - std::chrono::seconds(10);
    auto fn2 = [&](platform::pg_connection& c) { return claim_in(c, scope2, hash, recent); };
    EXPECT_TRUE(co_await platform::with_tenant_transaction(e.pool, tenant, fn2));
    idempotency_options quick;
    quick.max_wait = std::chrono::milliseconds(120);
    auto req2 = make_request(key2, "{}");
    auto res2 = co_await call(e, h, req2, tenant, quick);
    EXPECT_EQ(res2.result(), bhttp::status::conflict);
    EXPECT_EQ(h.runs, 1);
}

TEST(idempotency_pg, abandoned_in_progress_is_taken_over) {
    run(abandoned_in_progress_is_taken_over);
}

asio::awaitable<void> expired_keys_are_absent_and_purged(env e) {
    auto tenant = co_await new_tenant(e);
    fake_handler h;
    auto key = fresh_key();
    auto a = make_request(key, R"({"v":1})");
    co_await call(e, h, a, tenant);
    e.clock.advance(std::chrono::hours(24));  // expires_at == now: expired
    // Another body after expiry is a new request, not a mismatch.
    auto b = make_request(key, R"({"v":2})");
    auto res = co_await call(e, h, b, tenant);
    EXPECT_EQ(res.result(), bhttp::status::created);
    EXPECT_EQ(header(res, "Idempotent-Replayed"), "");
    EXPECT_EQ(h.runs, 2);

    e.clock.advance(std::chrono::hours(25));
    int purged = co_await purge_expired_idempotency_keys(e.pool, e.clock.now(), 100000);
    EXPECT_GE(purged, 1);
    EXPECT_FALSE((co_await record_of(e, tenant, key)).has_value());
}

TEST(idempotency_pg, expired_keys_are_absent_and_purged) {
    run(expired_keys_are_absent_and_purged);
}

}  // namespace
}  // namespace ptool::http
