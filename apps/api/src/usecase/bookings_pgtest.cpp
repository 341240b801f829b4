// Booking use cases against the real database (TEST_DATABASE_URL, app role): the write path
// under the artist lock, races on one slot, the sweeper and the event feed.

#include "usecase/bookings.hpp"

#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "http/dto/booking_dto.hpp"
#include "platform/pg_test_support.hpp"
#include "usecase/usecase_pgtest_support.hpp"
#include "platform/pg_transaction.hpp"
#include "usecase/tenants.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using domain::booking_status;
using domain::instant;
using platform::testing::now;
using platform::testing::run_with_pool;

using testing::encode_event;
using testing::fixture;
using testing::uuid;

asio::awaitable<fixture> make_fixture(platform::pg_pool& pool) {
    return testing::make_fixture(pool, "bookings pgtest");
}

domain::new_booking hold_at(const fixture& f, instant start, std::chrono::minutes length) {
    domain::new_booking nb;
    nb.id = uuid();
    nb.artist_id = f.artist;
    nb.start_time = start;
    nb.end_time = start + length;
    nb.created_by = "pgtest";
    return nb;
}

instant tomorrow_at_ten() { return std::chrono::floor<std::chrono::hours>(now()) + 24h + 10h; }

asio::awaitable<void> lifecycle_writes_rows_and_events(platform::pg_pool& pool) {
    booking_service svc(pool, encode_event);
    auto f = co_await make_fixture(pool);
    auto t0 = now();
    auto out = co_await svc.create(f.tenant, "alice", hold_at(f, tomorrow_at_ten(), 120min), t0);
    EXPECT_TRUE(std::holds_alternative<domain::decision>(out));
    if (!std::holds_alternative<domain::decision>(out)) co_return;
    auto id = std::get<domain::decision>(out).result.id;

    domain::transition_request pencil{domain::booking_action::pencil, {}, {}, 1};
    out = co_await svc.transition(f.tenant, "alice", id, pencil, now());
    EXPECT_TRUE(std::holds_alternative<domain::decision>(out));

    domain::transition_request confirm{domain::booking_action::confirm, {}, {}, 1};
    out = co_await svc.transition(f.tenant, "bob", id, confirm, now());
    EXPECT_TRUE(std::holds_alternative<domain::domain_error>(out));
    if (!(std::holds_alternative<domain::domain_error>(out))) co_return;
    EXPECT_EQ(std::get<domain::domain_error>(out).code, domain::booking_errc::version_mismatch);
    EXPECT_EQ(std::get<domain::domain_error>(out).current_version, 2);

    confirm.if_match = 2;
    out = co_await svc.transition(f.tenant, "bob", id, confirm, now());
    EXPECT_TRUE(std::holds_alternative<domain::decision>(out));

    auto row = co_await svc.get(f.tenant, id);
    EXPECT_TRUE(row.has_value());
    if (!row) co_return;
    EXPECT_EQ(row->booking.status, booking_status::confirmed);
    EXPECT_EQ(row->booking.version, 3);
    EXPECT_FALSE(row->booking.expires_at.has_value());

    auto events = co_await svc.events_of(f.tenant, id, 0, 50);
    EXPECT_TRUE(events.has_value());
    if (!events) co_return;
    EXPECT_EQ(events->data.size(), 3U);
    if (!((events->data.size()) == (3U))) co_return;
    EXPECT_EQ(events->data[0].type, "booking.held");
    EXPECT_EQ(events->data[1].type, "booking.pencilled");
    EXPECT_EQ(events->data[2].type, "booking.confirmed");
    EXPECT_EQ(events->data[2].actor, "bob");
    EXPECT_LT(events->data[0].seq, events->data[1].seq);
    EXPECT_LT(events->data[1].seq, events->data[2].seq);

    // The tenant feed hands out the same three, in seq order.
    auto feed = co_await svc.feed(f.tenant, 0, 50);
    EXPECT_EQ(feed.size(), 3U);
    if (!((feed.size()) == (3U))) co_return;
    EXPECT_EQ(feed[0].seq, events->data[0].seq);
    EXPECT_EQ(feed[2].seq, events->data[2].seq);
    auto after = co_await svc.feed(f.tenant, feed[1].seq, 50);
    EXPECT_EQ(after.size(), 1U);
    if (!((after.size()) == (1U))) co_return;
    EXPECT_EQ(after[0].type, "booking.confirmed");
}

TEST(bookings_pg, lifecycle_writes_rows_and_events) {
    run_with_pool(lifecycle_writes_rows_and_events);
}

// nullopt: the pencil was created; else the code it was refused with.
asio::awaitable<std::optional<domain::booking_errc>> create_pencil_code(
    booking_service& svc, const fixture& f, instant start
) {
    auto nb = hold_at(f, start, 60min);
    nb.status = booking_status::pencil;
    auto out = co_await svc.create(f.tenant, "racer", nb, now());
    if (std::holds_alternative<domain::decision>(out)) co_return std::nullopt;
    co_return std::get<domain::domain_error>(out).code;
}

asio::awaitable<void> racing_pencils_one_wins(platform::pg_pool& pool) {
    booking_service svc(pool, encode_event);
    auto f = co_await make_fixture(pool);
    auto start = tomorrow_at_ten();
    // Twenty creates of the same slot in flight at once on eight connections.
    std::vector<std::optional<domain::booking_errc>> codes(20, domain::booking_errc::outranked);
    int done = 0;
    auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        asio::co_spawn(
            ex,
            create_pencil_code(svc, f, start),
            [&, i](std::exception_ptr e, std::optional<domain::booking_errc> c) {
                EXPECT_FALSE(e) << "a racer threw";
                codes[i] = c;
                ++done;
            }
        );
    }
    asio::steady_timer t(ex);
    for (int i = 0; i < 3000 && done < static_cast<int>(codes.size()); ++i) {
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(done, static_cast<int>(codes.size()));
    if (!((done) == (static_cast<int>(codes.size())))) co_return;
    int won = 0;
    int conflicts = 0;
    for (auto c : codes) {
        if (!c) ++won;
        if (c == domain::booking_errc::booking_conflict) ++conflicts;
    }
    EXPECT_EQ(won, 1);
    EXPECT_EQ(conflicts, static_cast<int>(codes.size()) - 1);
}

TEST(bookings_pg, racing_pencils_one_wins) { run_with_pool(racing_pencils_one_wins, 8); }

asio::awaitable<void> sweeper_expires_lapsed_hold(platform::pg_pool& pool) {
    booking_service svc(pool, encode_event);
    auto f = co_await make_fixture(pool);
    auto t0 = now();
    auto out = co_await svc.create(f.tenant, "alice", hold_at(f, tomorrow_at_ten(), 60min), t0);
    EXPECT_TRUE(std::holds_alternative<domain::decision>(out));
    if (!(std::holds_alternative<domain::decision>(out))) co_return;
    auto id = std::get<domain::decision>(out).result.id;

    // Thirty-one minutes later the hold (30 min TTL) is due; sweeping twice writes one event.
    auto later = t0 + 31min;
    int changed = 0;
    for (int pass = 0; pass < 20; ++pass) changed += co_await svc.sweep_once(later, 1000);
    EXPECT_GE(changed, 1);
    auto row = co_await svc.get(f.tenant, id);
    EXPECT_TRUE(row.has_value());
    if (!(row.has_value())) co_return;
    EXPECT_EQ(row->booking.status, booking_status::expired);
    EXPECT_EQ(row->booking.version, 2);
    auto events = co_await svc.events_of(f.tenant, id, 0, 50);
    EXPECT_TRUE(events.has_value());
    if (!(events.has_value())) co_return;
    EXPECT_EQ(events->data.size(), 2U);
    if (!((events->data.size()) == (2U))) co_return;
    EXPECT_EQ(events->data[1].type, "booking.expired");
    EXPECT_EQ(events->data[1].actor, "system:sweeper");
}

TEST(bookings_pg, sweeper_expires_lapsed_hold) { run_with_pool(sweeper_expires_lapsed_hold); }

asio::awaitable<void> unknown_artist_is_a_422(platform::pg_pool& pool) {
    booking_service svc(pool, encode_event);
    auto f = co_await make_fixture(pool);
    auto nb = hold_at(f, tomorrow_at_ten(), 60min);
    nb.artist_id = uuid();
    nb.project_id = uuid();
    auto out = co_await svc.create(f.tenant, "alice", nb, now());
    EXPECT_TRUE(std::holds_alternative<domain::domain_error>(out));
    if (!(std::holds_alternative<domain::domain_error>(out))) co_return;
    const auto& e = std::get<domain::domain_error>(out);
    EXPECT_EQ(e.code, domain::booking_errc::validation_failed);
    EXPECT_EQ(e.errors.size(), 2U);
    if (!((e.errors.size()) == (2U))) co_return;
    EXPECT_EQ(e.errors[0].path, "/artistId");
    EXPECT_EQ(e.errors[1].path, "/projectId");
}

TEST(bookings_pg, unknown_artist_is_a_422) { run_with_pool(unknown_artist_is_a_422); }

}  // namespace
}  // namespace ptool::usecase
