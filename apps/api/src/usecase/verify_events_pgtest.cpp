// verify-events against the real database: rows and events written directly with SQL (as the
// application role), then replayed; plus the pure history checks on hand-made histories.

#include "usecase/verify_events.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>

#include "platform/pg_test_support.hpp"
#include "store/pgtest_support.hpp"

namespace ptool::usecase {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace pgt = store::pgtest;

struct verify_run {
    verify_summary summary;
    std::vector<booking_difference> differences;
};

asio::awaitable<void> verify_into(
    asio::any_io_executor ex, std::string tenant, int page_size, verify_run* out
) {
    platform::pg_pool pool(
        ex, platform::pg_pool::options{.conninfo = platform::testing::app_url(), .max_size = 2}
    );
    auto collect = [out](const booking_difference& d) { out->differences.push_back(d); };
    std::function<void(const booking_difference&)> sink = collect;
    verify_options options{.tenant_id = std::move(tenant), .page_size = page_size};
    std::exception_ptr failure;
    try {
        out->summary = co_await verify_events(pool, std::move(options), std::move(sink));
    } catch (...) {
        failure = std::current_exception();
    }
    pool.close();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

verify_run run_verify(const std::string& tenant, int page_size = 200) {
    verify_run out;
    auto make = [&tenant, page_size, &out](asio::any_io_executor ex) {
        return verify_into(std::move(ex), tenant, page_size, &out);
    };
    platform::testing::run_test(2, make);
    return out;
}

std::string joined(const booking_difference& d) {
    std::string s;
    for (const auto& p : d.problems) {
        s += p + "; ";
    }
    return s;
}

// A tenant with one artist, bookings and events written as the application role.
class verify_fixture : public ::testing::Test {
protected:
    void SetUp() override {
        tenant_ = pgt::create_tenant(app_, "verify-events test");
        artist_ = pgt::create_artist(app_, tenant_);
    }

    // A hold as the API would show it right after creation.
    json::object new_hold(const std::string& id) {
        // A day of its own per booking, so pencils never meet the exclusion constraint.
        const std::string day =
            "2031-05-" + std::string(day_ < 10 ? "0" : "") + std::to_string(day_);
        ++day_;
        return json::object{
            {"id", id},
            {"artistId", artist_},
            {"projectId", nullptr},
            {"startTime", day + "T10:00:00Z"},
            {"endTime", day + "T12:00:00Z"},
            {"status", "hold"},
            {"priority", 0},
            {"expiresAt", "2031-04-01T10:30:00Z"},
            {"version", 1},
            {"title", "Shoot"},
            {"notes", nullptr},
            {"statusReason", nullptr},
            {"challenge", nullptr},
            {"createdBy", "booker@test"},
            {"createdAt", "2031-04-01T10:00:00Z"},
            {"updatedAt", "2031-04-01T10:00:00Z"},
        };
    }

    // Inserts the row from a booking JSON (API shape).
    void insert_row(const json::object& b) {
        app_.exec(
            "INSERT INTO bookings (tenant_id, id, artist_id, project_id, start_time, end_time, "
            "  status, priority, expires_at, version, title, notes, status_reason, "
            "  challenge_by_booking_id, challenge_deadline, created_by, created_at, updated_at) "
            "SELECT $1::uuid, (j->>'id')::uuid, (j->>'artistId')::uuid, "
            "  (j->>'projectId')::uuid, (j->>'startTime')::timestamptz, "
            "  (j->>'endTime')::timestamptz, j->>'status', (j->>'priority')::int, "
            "  (j->>'expiresAt')::timestamptz, (j->>'version')::int, j->>'title', j->>'notes', "
            "  j->>'statusReason', (j->'challenge'->>'byBookingId')::uuid, "
            "  (j->'challenge'->>'deadline')::timestamptz, j->>'createdBy', "
            "  (j->>'createdAt')::timestamptz, (j->>'updatedAt')::timestamptz "
            "FROM (SELECT $2::jsonb AS j) AS s",
            {tenant_, json::serialize(b)}
        );
    }

    // Overwrites the row's mutable columns from a booking JSON.
    void update_row(const json::object& b) {
        app_.exec(
            "UPDATE bookings AS b SET project_id = (j->>'projectId')::uuid, "
            "  start_time = (j->>'startTime')::timestamptz, "
            "  end_time = (j->>'endTime')::timestamptz, status = j->>'status', "
            "  priority = (j->>'priority')::int, expires_at = (j->>'expiresAt')::timestamptz, "
            "  version = (j->>'version')::int, title = j->>'title', notes = j->>'notes', "
            "  status_reason = j->>'statusReason', "
            "  challenge_by_booking_id = (j->'challenge'->>'byBookingId')::uuid, "
            "  challenge_deadline = (j->'challenge'->>'deadline')::timestamptz, "
            "  updated_at = (j->>'updatedAt')::timestamptz "
            "FROM (SELECT $2::jsonb AS j) AS s WHERE b.id = $1::uuid",
            {json::value_to<std::string>(b.at("id")), json::serialize(b)}
        );
    }

    void add_event(
        const std::string& type, const json::object& booking, const json::value& previous
    ) {
        json::object payload{{"booking", booking}, {"previous", previous}, {"reason", nullptr}};
        app_.exec(
            "INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, "
            "  occurred_at, payload) "
            "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, 'booker@test', $5::timestamptz, $6::jsonb)",
            {tenant_,
             json::value_to<std::string>(booking.at("id")),
             json::value_to<std::string>(booking.at("artistId")),
             type,
             json::value_to<std::string>(booking.at("updatedAt")),
             json::serialize(payload)}
        );
    }

    // A consistent booking: held, extended, pencilled; the row is the last snapshot.
    json::object consistent_booking() {
        const auto id = pgt::random_uuid();
        auto v1 = new_hold(id);
        insert_row(v1);
        add_event("booking.held", v1, nullptr);

        auto v2 = v1;
        v2["expiresAt"] = "2031-04-01T10:50:00Z";
        v2["version"] = 2;
        v2["updatedAt"] = "2031-04-01T10:20:00Z";
        add_event(
            "booking.extended",
            v2,
            json::object{
                {"expiresAt", v1["expiresAt"]}, {"version", 1}, {"updatedAt", v1["updatedAt"]}}
        );

        auto v3 = v2;
        v3["status"] = "pencil";
        v3["expiresAt"] = "2031-04-03T10:40:00.5Z";
        v3["version"] = 3;
        v3["updatedAt"] = "2031-04-01T10:40:00.5Z";
        add_event(
            "booking.pencilled",
            v3,
            json::object{
                {"status", "hold"},
                {"expiresAt", v2["expiresAt"]},
                {"version", 2},
                {"updatedAt", v2["updatedAt"]}}
        );
        update_row(v3);
        return v3;
    }

    pgt::pg_connection app_ = pgt::connect_app();
    std::string tenant_;
    std::string artist_;
    int day_ = 1;
};

TEST_F(verify_fixture, VerifyConsistentBookingsAreClean) {
    consistent_booking();
    consistent_booking();
    const auto r = run_verify(tenant_);
    EXPECT_TRUE(r.differences.empty()) << (r.differences.empty() ? "" : joined(r.differences[0]));
    EXPECT_EQ(r.summary.tenants, 1U);
    EXPECT_EQ(r.summary.bookings, 2U);
    EXPECT_EQ(r.summary.events, 6U);
    EXPECT_EQ(r.summary.differing_bookings, 0U);
}

TEST_F(verify_fixture, VerifyPagesThroughEveryBooking) {
    for (int i = 0; i < 5; ++i) {
        consistent_booking();
    }
    const auto r = run_verify(tenant_, /*page_size=*/2);
    EXPECT_TRUE(r.differences.empty());
    EXPECT_EQ(r.summary.bookings, 5U);
    EXPECT_EQ(r.summary.events, 15U);
}

TEST_F(verify_fixture, VerifyReportsARowChangedWithoutAnEvent) {
    consistent_booking();
    auto b = consistent_booking();
    b["title"] = "Changed behind the log's back";
    b["version"] = 4;
    update_row(b);
    const auto r = run_verify(tenant_);
    ASSERT_EQ(r.differences.size(), 1U);
    const auto& d = r.differences[0];
    EXPECT_EQ(d.tenant_id, tenant_);
    EXPECT_EQ(d.booking_id, json::value_to<std::string>(b["id"]));
    const auto text = joined(d);
    EXPECT_NE(text.find("title"), std::string::npos) << text;
    EXPECT_NE(text.find("version"), std::string::npos) << text;
    EXPECT_EQ(r.summary.differing_bookings, 1U);
}

TEST_F(verify_fixture, VerifyReportsAStatusWrittenWithoutItsEvent) {
    auto b = consistent_booking();
    b["status"] = "expired";
    update_row(b);  // the sweeper's write without booking.expired, same version
    const auto r = run_verify(tenant_);
    ASSERT_EQ(r.differences.size(), 1U);
    EXPECT_NE(joined(r.differences[0]).find("status"), std::string::npos);
}

TEST_F(verify_fixture, VerifyReportsABookingWithoutEvents) {
    consistent_booking();
    const auto id = pgt::random_uuid();
    insert_row(new_hold(id));
    const auto r = run_verify(tenant_);
    ASSERT_EQ(r.differences.size(), 1U);
    EXPECT_EQ(r.differences[0].booking_id, id);
    EXPECT_EQ(joined(r.differences[0]), "no events; ");
}

TEST_F(verify_fixture, VerifyReportsAMissingEventInTheMiddle) {
    const auto id = pgt::random_uuid();
    auto v1 = new_hold(id);
    insert_row(v1);
    add_event("booking.held", v1, nullptr);
    auto v3 = v1;
    v3["status"] = "released";
    v3["version"] = 3;
    v3["statusReason"] = "client cancelled";
    v3["updatedAt"] = "2031-04-01T10:25:00Z";
    // v2 (an extension) is missing: previous refers to values the log never showed.
    add_event(
        "booking.released",
        v3,
        json::object{
            {"status", "hold"},
            {"statusReason", nullptr},
            {"expiresAt", "2031-04-01T10:50:00Z"},
            {"version", 2}}
    );
    update_row(v3);
    const auto r = run_verify(tenant_);
    ASSERT_EQ(r.differences.size(), 1U);
    const auto text = joined(r.differences[0]);
    EXPECT_NE(text.find("version 3 after version 1"), std::string::npos) << text;
    EXPECT_NE(text.find("previous.expiresAt"), std::string::npos) << text;
}

TEST_F(verify_fixture, VerifyReportsALaterMissingEvent) {
    // The row moved on (v4) but the log stops at v3.
    auto b = consistent_booking();
    b["status"] = "confirmed";
    b["expiresAt"] = nullptr;
    b["version"] = 4;
    b["updatedAt"] = "2031-04-01T11:00:00Z";
    update_row(b);
    const auto r = run_verify(tenant_);
    ASSERT_EQ(r.differences.size(), 1U);
    const auto text = joined(r.differences[0]);
    EXPECT_NE(text.find("status: row \"confirmed\", events (seq"), std::string::npos) << text;
}

TEST_F(verify_fixture, VerifyLeavesOtherTenantsAlone) {
    consistent_booking();
    pgt::pg_connection other = pgt::connect_app();
    const auto other_tenant = pgt::create_tenant(other, "verify-events other");
    const auto other_artist = pgt::create_artist(other, other_tenant);
    other.exec(
        "INSERT INTO bookings (tenant_id, id, artist_id, start_time, end_time, status, "
        "  expires_at, created_by) "
        "VALUES ($1::uuid, $2::uuid, $3::uuid, '2031-01-01T10:00Z', '2031-01-01T11:00Z', "
        "  'hold', '2031-01-01T09:00Z', 'x')",
        {other_tenant, pgt::random_uuid(), other_artist}
    );
    app_.set_tenant(tenant_);
    EXPECT_TRUE(run_verify(tenant_).differences.empty());
    const auto r = run_verify(other_tenant);
    EXPECT_EQ(r.differences.size(), 1U);
    ASSERT_FALSE(r.differences.empty());
    EXPECT_EQ(r.differences[0].tenant_id, other_tenant);
}

// Pure checks -----------------------------------------------------------------------------------

store::stored_booking_event event(
    long long seq, std::string type, json::object booking, json::value previous
) {
    store::stored_booking_event e;
    e.seq = seq;
    e.type = std::move(type);
    e.artist_id = json::value_to<std::string>(booking.at("artistId"));
    e.payload = json::object{
        {"booking", std::move(booking)}, {"previous", std::move(previous)}, {"reason", nullptr}};
    return e;
}

store::stored_booking row_of(const json::object& b) {
    store::stored_booking r;
    r.id = json::value_to<std::string>(b.at("id"));
    r.artist_id = json::value_to<std::string>(b.at("artistId"));
    r.start_time = *domain::parse_instant(json::value_to<std::string>(b.at("startTime")));
    r.end_time = *domain::parse_instant(json::value_to<std::string>(b.at("endTime")));
    r.status = json::value_to<std::string>(b.at("status"));
    r.priority = json::value_to<int>(b.at("priority"));
    if (b.at("expiresAt").is_string()) {
        r.expires_at = domain::parse_instant(json::value_to<std::string>(b.at("expiresAt")));
    }
    r.version = json::value_to<int>(b.at("version"));
    if (b.at("title").is_string()) {
        r.title = json::value_to<std::string>(b.at("title"));
    }
    r.created_by = json::value_to<std::string>(b.at("createdBy"));
    r.created_at = *domain::parse_instant(json::value_to<std::string>(b.at("createdAt")));
    r.updated_at = *domain::parse_instant(json::value_to<std::string>(b.at("updatedAt")));
    return r;
}

json::object sample_hold() {
    return json::object{
        {"id", "6f1c1d2e-0000-4000-8000-000000000001"},
        {"artistId", "6f1c1d2e-0000-4000-8000-0000000000aa"},
        {"projectId", nullptr},
        {"startTime", "2031-05-01T10:00:00Z"},
        {"endTime", "2031-05-01T12:00:00Z"},
        {"status", "hold"},
        {"priority", 0},
        {"expiresAt", "2031-04-01T10:30:00Z"},
        {"version", 1},
        {"title", "Shoot"},
        {"notes", nullptr},
        {"statusReason", nullptr},
        {"challenge", nullptr},
        {"createdBy", "booker@test"},
        {"createdAt", "2031-04-01T10:00:00Z"},
        {"updatedAt", "2031-04-01T10:00:00Z"},
    };
}

TEST(VerifyHistory, InstantsCompareAsInstantsAndIdsIgnoreCase) {
    auto b = sample_hold();
    auto row = row_of(b);
    b["startTime"] = "2031-05-01T12:00:00+02:00";
    b["expiresAt"] = "2031-04-01t10:30:00.000000z";
    b["id"] = "6F1C1D2E-0000-4000-8000-000000000001";
    store::booking_history h{row, {event(1, "booking.held", b, nullptr)}};
    EXPECT_TRUE(check_booking_history(h).empty());
}

TEST(VerifyHistory, FirstEventMustBeACreationAtVersionOne) {
    auto b = sample_hold();
    b["version"] = 2;
    store::booking_history h{row_of(b), {event(1, "booking.extended", b, nullptr)}};
    const auto p = check_booking_history(h);
    ASSERT_EQ(p.size(), 2U);
    EXPECT_NE(p[0].find("not a creation"), std::string::npos);
    EXPECT_NE(p[1].find("first event has version"), std::string::npos);
}

TEST(VerifyHistory, ChangedFieldMissingFromPreviousAndTypeMismatch) {
    auto v1 = sample_hold();
    auto v2 = v1;
    v2["version"] = 2;
    v2["status"] = "pencil";
    v2["title"] = "Retitled";
    // booking.extended cannot leave a pencil; previous forgets title.
    store::booking_history h{
        row_of(v2),
        {event(1, "booking.held", v1, nullptr),
         event(2, "booking.extended", v2, json::object{{"status", "hold"}, {"version", 1}})}};
    const auto p = check_booking_history(h);
    std::string all;
    for (const auto& s : p) {
        all += s + "\n";
    }
    EXPECT_NE(all.find("does not fit the event type"), std::string::npos) << all;
    EXPECT_NE(all.find("title changed but previous does not list it"), std::string::npos) << all;
    EXPECT_EQ(all.find("status changed"), std::string::npos) << all;
}

TEST(VerifyHistory, NothingMayFollowATerminalStatus) {
    auto v1 = sample_hold();
    auto v2 = v1;
    v2["version"] = 2;
    v2["status"] = "expired";
    auto v3 = v2;
    v3["version"] = 3;
    v3["title"] = "after";
    store::booking_history h{
        row_of(v3),
        {event(1, "booking.held", v1, nullptr),
         event(2, "booking.expired", v2, json::object{{"status", "hold"}}),
         event(3, "booking.updated", v3, json::object{{"title", "Shoot"}})}};
    const auto p = check_booking_history(h);
    std::string all;
    for (const auto& s : p) {
        all += s + "\n";
    }
    EXPECT_NE(all.find("after the terminal status"), std::string::npos) << all;
    EXPECT_NE(all.find("does not fit the event type"), std::string::npos) << all;
}

}  // namespace
}  // namespace ptool::usecase
