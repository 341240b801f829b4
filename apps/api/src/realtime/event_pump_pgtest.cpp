// The event pump against the real database (TEST_DATABASE_URL): a lower seq that commits late
// is delivered before the higher one (never skipped), a lost LISTEN connection loses nothing,
// and availability notifications arrive.

#include "realtime/event_pump.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <mutex>

#include "platform/pg_test_support.hpp"
#include "usecase/bookings.hpp"
#include "usecase/usecase_pgtest_support.hpp"

namespace ptool::realtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using platform::testing::run_with_pool;
using usecase::testing::encode_event;
using usecase::testing::fixture;
using usecase::testing::uuid;

// What the pump handed over for one tenant. Thread-safe.
struct recorder {
    std::string tenant;
    std::mutex mu;
    bool started = false;
    std::vector<long long> seqs;
    std::vector<std::string> artists_changed;

    std::vector<long long> seen() {
        std::lock_guard lock(mu);
        return seqs;
    }
    std::vector<std::string> availability() {
        std::lock_guard lock(mu);
        return artists_changed;
    }
};

asio::awaitable<void> record_events(recorder& r, std::vector<store::feed_event> batch) {
    std::lock_guard lock(r.mu);
    for (const auto& e : batch) {
        if (e.tenant_id == r.tenant) r.seqs.push_back(e.event.seq);
    }
    co_return;
}

asio::awaitable<void> record_availability(recorder& r, store::artist_ref a) {
    std::lock_guard lock(r.mu);
    if (a.tenant_id == r.tenant) r.artists_changed.push_back(a.artist_id);
    co_return;
}

// The pump, running on the test's executor until stop().
class running_pump {
public:
    running_pump(asio::any_io_executor ex, recorder& r, std::string conninfo)
        : pump_(
              ex,
              pump_options{.conninfo = std::move(conninfo), .catch_up_interval = 200ms},
              pump_callbacks{
                  .on_start =
                      [&r](long long) {
                          std::lock_guard lock(r.mu);
                          r.started = true;
                      },
                  .on_events = [&r](std::vector<store::feed_event> b
                               ) { return record_events(r, std::move(b)); },
                  .on_availability = [&r](store::artist_ref a
                                     ) { return record_availability(r, std::move(a)); },
              }
          ) {
        asio::co_spawn(
            ex,
            pump_.run(),
            asio::bind_cancellation_slot(
                signal_.slot(), [this](const std::exception_ptr&) { done_ = true; }
            )
        );
    }

    const event_pump& pump() const { return pump_; }

    asio::awaitable<void> stop() {
        signal_.emit(asio::cancellation_type::terminal);
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < 300 && !done_; ++i) {
            t.expires_after(10ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        EXPECT_TRUE(done_.load());
    }

private:
    event_pump pump_;
    asio::cancellation_signal signal_;
    std::atomic<bool> done_{false};
};

// Polls `ready` every 10 ms for up to `limit`.
asio::awaitable<bool> eventually(std::function<bool()> ready, std::chrono::milliseconds limit) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    auto until = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > until) co_return false;
        t.expires_after(10ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    co_return true;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

domain::new_booking hold_at(const fixture& f, domain::instant start) {
    domain::new_booking nb;
    nb.id = uuid();
    nb.artist_id = f.artist;
    nb.start_time = start;
    nb.end_time = start + 1h;
    nb.created_by = "pumptest";
    return nb;
}

domain::instant in_days(int days) {
    return std::chrono::floor<std::chrono::hours>(platform::testing::now()) + days * 24h + 10h;
}

asio::awaitable<std::string> create_hold(
    usecase::booking_service& svc, const fixture& f, domain::instant start
) {
    auto out =
        co_await svc.create(f.tenant, "pumptest", hold_at(f, start), platform::testing::now());
    EXPECT_TRUE(std::holds_alternative<domain::decision>(out));
    if (!std::holds_alternative<domain::decision>(out)) co_return std::string();
    co_return std::get<domain::decision>(out).result.id;
}

asio::awaitable<long long> insert_raw_event(
    platform::pg_connection& c, const fixture& f, const std::string& booking_id
) {
    platform::pg_params params{f.tenant, booking_id, f.artist};
    auto r = co_await c.query(
        "INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, "
        "payload) VALUES ($1::uuid, $2::uuid, $3::uuid, 'booking.updated', 'pumptest', now(), "
        "'{}') RETURNING seq",
        std::move(params)
    );
    co_return std::stoll(std::string(r.get(0, 0)));
}

asio::awaitable<void> late_commit_is_not_skipped(platform::pg_pool& pool) {
    usecase::booking_service svc(pool, encode_event);
    auto f = co_await usecase::testing::make_fixture(pool, "pump order");
    auto first = co_await create_hold(svc, f, in_days(1));
    recorder r;
    r.tenant = f.tenant;
    auto ex = co_await asio::this_coro::executor;
    running_pump p(ex, r, platform::testing::app_url());
    auto started = co_await eventually(
        [&r] {
            std::lock_guard l(r.mu);
            return r.started;
        },
        5s
    );
    EXPECT_TRUE(started);

    // Writer B takes its xid first; writer A takes a later xid and draws a seq and stays open;
    // B draws a higher seq and commits first. A's xid is then above every completed xid, so it
    // is in no snapshot's xip: only the reader's fence (store::event_watermark) covers it.
    auto a = co_await platform::pg_connection::connect(ex, platform::testing::app_url(), 5s);
    auto b = co_await platform::pg_connection::connect(ex, platform::testing::app_url(), 5s);
    co_await b->query("BEGIN");
    platform::pg_params tenant_b{f.tenant};
    co_await b->query("SELECT set_config('app.tenant_id', $1, true)", std::move(tenant_b));
    co_await b->query("SELECT pg_current_xact_id()");
    co_await a->query("BEGIN");
    platform::pg_params tenant{f.tenant};
    co_await a->query("SELECT set_config('app.tenant_id', $1, true)", std::move(tenant));
    long long low = co_await insert_raw_event(*a, f, first);
    long long high = co_await insert_raw_event(*b, f, first);
    EXPECT_LT(low, high);
    co_await b->query("COMMIT");
    co_await sleep_for(400ms);  // two catch-up periods after B's commit
    EXPECT_TRUE(r.seen().empty()) << "a higher seq was delivered while a lower one could commit";

    co_await a->query("COMMIT");
    auto both = co_await eventually([&r] { return r.seen().size() >= 2; }, 5s);
    EXPECT_TRUE(both);
    auto seen = r.seen();
    EXPECT_EQ(seen.size(), 2U);
    if (seen.size() == 2) {
        EXPECT_EQ(seen[0], low);
        EXPECT_EQ(seen[1], high);
    }
    co_await p.stop();
}

TEST(event_pump_pg, late_commit_is_not_skipped) { run_with_pool(late_commit_is_not_skipped); }

asio::awaitable<void> terminate_pump_backend(std::string application_name) {
    auto ex = co_await asio::this_coro::executor;
    // The pump connects as the application role, which may signal its own role's backends.
    auto owner = co_await platform::pg_connection::connect(ex, platform::testing::app_url(), 5s);
    platform::pg_params params{application_name};
    auto r = co_await owner->query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = $1",
        std::move(params)
    );
    EXPECT_EQ(r.get(0, 0), "1");
}

asio::awaitable<void> lost_connection_loses_nothing(platform::pg_pool& pool) {
    usecase::booking_service svc(pool, encode_event);
    auto f = co_await usecase::testing::make_fixture(pool, "pump reconnect");
    recorder r;
    r.tenant = f.tenant;
    auto name = "pumptest-" + uuid().substr(0, 8);
    running_pump p(
        co_await asio::this_coro::executor,
        r,
        platform::testing::with_option(platform::testing::app_url(), "application_name", name)
    );
    auto started =
        co_await eventually([&p] { return p.pump().listening() && p.pump().started(); }, 5s);
    EXPECT_TRUE(started);
    co_await create_hold(svc, f, in_days(3));
    auto ok1 = co_await eventually([&r] { return r.seen().size() == 1; }, 5s);
    EXPECT_TRUE(ok1);

    co_await terminate_pump_backend(name);
    // Written while the pump is (or is about to be) away: its notification may be lost.
    co_await create_hold(svc, f, in_days(4));
    co_await create_hold(svc, f, in_days(5));
    auto all = co_await eventually([&r] { return r.seen().size() >= 3; }, 10s);
    EXPECT_TRUE(all);
    auto seen = r.seen();
    EXPECT_EQ(seen.size(), 3U);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        EXPECT_LT(seen[i - 1], seen[i]);
    }
    auto ok2 = co_await eventually([&p] { return p.pump().listening(); }, 5s);
    EXPECT_TRUE(ok2);
    co_await p.stop();
}

TEST(event_pump_pg, lost_connection_loses_nothing) { run_with_pool(lost_connection_loses_nothing); }

asio::awaitable<void> put_preferences_in(platform::pg_connection& c, const fixture& f) {
    platform::pg_params params{f.tenant, f.artist};
    co_await c.query(
        "INSERT INTO artist_availability (tenant_id, artist_id, weekly) "
        "VALUES ($1::uuid, $2::uuid, '[]')",
        std::move(params)
    );
}

asio::awaitable<void> availability_changes_are_announced(platform::pg_pool& pool) {
    auto f = co_await usecase::testing::make_fixture(pool, "pump availability");
    recorder r;
    r.tenant = f.tenant;
    running_pump p(co_await asio::this_coro::executor, r, platform::testing::app_url());
    auto ok3 = co_await eventually([&p] { return p.pump().listening(); }, 5s);
    EXPECT_TRUE(ok3);
    auto fn = [&f](platform::pg_connection& c) { return put_preferences_in(c, f); };
    co_await platform::with_tenant_transaction(pool, f.tenant, fn);
    auto ok4 = co_await eventually([&r] { return !r.availability().empty(); }, 5s);
    EXPECT_TRUE(ok4);
    auto changed = r.availability();
    EXPECT_EQ(changed.size(), 1U);
    if (!changed.empty()) {
        EXPECT_EQ(changed[0], f.artist);
    }
    co_await p.stop();
}

TEST(event_pump_pg, availability_changes_are_announced) {
    run_with_pool(availability_changes_are_announced);
}

}  // namespace
}  // namespace ptool::realtime
