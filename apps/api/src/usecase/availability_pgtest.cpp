// Availability use cases against the real database: preferences stored and read back with the
// artist's zone, enforcement through the booking write path (preferences read under the artist
// lock), schedules and slots computed from PostgreSQL (cache disabled here; the Redis paths
// are covered by platform/redis_cache_pgtest.cpp and the e2e suites).

#include "usecase/availability.hpp"

#include <gtest/gtest.h>

#include <boost/asio/this_coro.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "http/dto/booking_dto.hpp"
#include "platform/pg_test_support.hpp"
#include "platform/pg_transaction.hpp"
#include "usecase/bookings.hpp"
#include "usecase/tenants.hpp"
#include "usecase/usecase_pgtest_support.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using domain::instant;
using platform::testing::now;
using platform::testing::run_with_pool;

using testing::encode_event;
using testing::fixture;
using testing::uuid;

asio::awaitable<fixture> make_fixture(platform::pg_pool& pool) {
    return testing::make_fixture(pool, "availability pgtest");
}

// Berlin, weekdays 09:00-17:00, and a day off on the first Monday of the test week.
domain::availability berlin_weekdays(date::year_month_day day_off) {
    domain::availability a;
    a.timezone = "Europe/Berlin";
    std::vector<domain::weekly_window> weekly;
    for (auto d : {date::Monday, date::Tuesday, date::Wednesday, date::Thursday, date::Friday}) {
        weekly.push_back({d, domain::wall_window{9 * 60, 17 * 60}});
    }
    a.weekly = std::move(weekly);
    a.overrides.push_back({day_off, {}});
    return a;
}

// The Monday at least 7 days after now, 00:00 UTC (winter or summer: Berlin is +1 or +2).
date::sys_days next_monday() {
    auto today = date::floor<date::days>(now());
    auto d = today + date::days{7};
    while (date::weekday{d} != date::Monday) d += date::days{1};
    return d;
}

struct services_under_test {
    platform::metrics metrics;
    platform::redis_cache cache;
    std::vector<schedule_view> encoded;
    availability_service availability;
    booking_service bookings;

    services_under_test(platform::pg_pool& pool, asio::any_io_executor ex)
        : cache(ex, platform::redis_cache::options{}, metrics),
          availability(
              pool,
              cache,
              [this](const schedule_view& v) {
                  encoded.push_back(v);
                  return std::string("{}");
              }
          ),
          bookings(pool, encode_event, [this](std::string t, std::string a) {
              return availability.invalidate_artist(std::move(t), std::move(a));
          }) {}
};

asio::awaitable<void> preferences_round_trip(platform::pg_pool& pool) {
    services_under_test s(pool, co_await asio::this_coro::executor);
    auto f = co_await make_fixture(pool);

    auto none = co_await s.availability.get(f.tenant, f.artist);
    PTOOL_CO_ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->timezone, "UTC");
    EXPECT_FALSE(none->weekly.has_value());
    EXPECT_TRUE(none->overrides.empty());
    EXPECT_FALSE((co_await s.availability.get(f.tenant, uuid())).has_value());

    auto prefs = berlin_weekdays(date::year_month_day{next_monday()});
    auto stored = co_await s.availability.put(f.tenant, f.artist, prefs, now());
    PTOOL_CO_ASSERT_TRUE(stored.has_value());
    auto read = co_await s.availability.get(f.tenant, f.artist);
    PTOOL_CO_ASSERT_TRUE(read.has_value());
    EXPECT_EQ(*read, prefs);  // including the artist's new zone

    // Another tenant sees neither the artist nor its preferences.
    auto other = co_await create_tenant(pool, "availability pgtest other", now());
    EXPECT_FALSE((co_await s.availability.get(other, f.artist)).has_value());
    EXPECT_FALSE((co_await s.availability.put(other, f.artist, prefs, now())).has_value());
}
TEST(availability_pg, preferences_round_trip) { run_with_pool(preferences_round_trip); }

asio::awaitable<void> bookings_are_checked_against_stored_preferences(platform::pg_pool& pool) {
    services_under_test s(pool, co_await asio::this_coro::executor);
    auto f = co_await make_fixture(pool);
    auto monday = next_monday();
    co_await s.availability.put(
        f.tenant, f.artist, berlin_weekdays(date::year_month_day{monday}), now()
    );
    const instant tuesday{monday + date::days{1}};
    // Tuesday 12:00-14:00 UTC is inside 09:00-17:00 Berlin in winter (+1) and summer (+2).
    domain::new_booking nb;
    nb.id = uuid();
    nb.artist_id = f.artist;
    nb.start_time = tuesday + 12h;
    nb.end_time = tuesday + 14h;
    nb.created_by = "pgtest";
    auto ok = co_await s.bookings.create(f.tenant, "pgtest", nb, now());
    EXPECT_TRUE(std::holds_alternative<domain::decision>(ok));

    // The Monday is a day off: refused, with windows offered.
    nb.id = uuid();
    nb.start_time = instant{monday} + 12h;
    nb.end_time = instant{monday} + 14h;
    auto refused = co_await s.bookings.create(f.tenant, "pgtest", nb, now());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::domain_error>(refused));
    const auto& e = std::get<domain::domain_error>(refused);
    EXPECT_EQ(e.code, domain::booking_errc::outside_availability);
    EXPECT_FALSE(e.windows.empty());

    // A manager's override goes through and is remembered in the row.
    nb.override_availability = true;
    auto overridden = co_await s.bookings.create(f.tenant, "pgtest", nb, now());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::decision>(overridden));
    auto row = co_await s.bookings.get(f.tenant, nb.id);
    PTOOL_CO_ASSERT_TRUE(row.has_value());
    EXPECT_TRUE(row->booking.availability_overridden);

    // Rescheduling the first booking onto the day off is refused too.
    domain::booking_patch p;
    p.start_time = instant{monday} + 15h;
    p.end_time = instant{monday} + 16h;
    p.if_match = 1;
    auto moved = co_await s.bookings.patch(
        f.tenant, "pgtest", std::get<domain::decision>(ok).result.id, p, now()
    );
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::domain_error>(moved));
    EXPECT_EQ(
        std::get<domain::domain_error>(moved).code, domain::booking_errc::outside_availability
    );
}
TEST(availability_pg, bookings_are_checked_against_stored_preferences) {
    run_with_pool(bookings_are_checked_against_stored_preferences);
}

asio::awaitable<void> schedule_and_slots_from_the_database(platform::pg_pool& pool) {
    services_under_test s(pool, co_await asio::this_coro::executor);
    auto f = co_await make_fixture(pool);
    auto monday = next_monday();
    co_await s.availability.put(
        f.tenant, f.artist, berlin_weekdays(date::year_month_day{monday}), now()
    );
    const instant tuesday{monday + date::days{1}};
    domain::new_booking nb;
    nb.id = uuid();
    nb.artist_id = f.artist;
    nb.start_time = tuesday + 12h;
    nb.end_time = tuesday + 13h;
    nb.created_by = "pgtest";
    auto created = co_await s.bookings.create(f.tenant, "pgtest", nb, now());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<domain::decision>(created));

    auto body = co_await s.availability.schedule(f.tenant, f.artist, tuesday, tuesday + 24h, now());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<std::string>(body));
    PTOOL_CO_ASSERT_TRUE(s.encoded.size() == 1U);
    const auto& v = s.encoded.front();
    EXPECT_EQ(v.timezone, "Europe/Berlin");
    // unavailable, available, held (the hold), available, unavailable.
    PTOOL_CO_ASSERT_TRUE(v.segments.size() == 5U);
    EXPECT_EQ(v.segments[2].state, domain::schedule_state::held);
    EXPECT_EQ(v.segments[2].start, tuesday + 12h);
    EXPECT_EQ(v.segments[2].booking_ids, std::vector<std::string>{nb.id});
    EXPECT_EQ(v.segments.front().start, tuesday);
    EXPECT_EQ(v.segments.back().end, tuesday + 24h);

    auto slots =
        co_await s.availability.slots(f.tenant, f.artist, tuesday, tuesday + 24h, 1h, 1h, now());
    PTOOL_CO_ASSERT_TRUE(std::holds_alternative<slots_view>(slots));
    const auto& starts = std::get<slots_view>(slots).starts;
    EXPECT_FALSE(starts.empty());
    for (auto t : starts) EXPECT_FALSE(t < tuesday + 13h && t + 1h > tuesday + 12h);

    auto missing =
        co_await s.availability.schedule(f.tenant, uuid(), tuesday, tuesday + 24h, now());
    EXPECT_TRUE(std::holds_alternative<artist_not_found>(missing));
}
TEST(availability_pg, schedule_and_slots_from_the_database) {
    run_with_pool(schedule_and_slots_from_the_database);
}

}  // namespace
}  // namespace ptool::usecase
