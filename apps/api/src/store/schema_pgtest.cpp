// The schema's integrity guarantees checked with direct SQL as the application role (and, where
// said, the owner): exclusivity of pencil/confirmed bookings, CHECKs, tenant isolation by RLS,
// privileges, the append-only event log, NOTIFY, and the cross-tenant maintenance functions.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/pgtest_support.hpp"

namespace ptool::store {
namespace {

using namespace std::chrono_literals;
using pgtest::pg_connection;
using pgtest::pg_param;

constexpr const char* insert_booking_sql = R"sql(
INSERT INTO bookings (tenant_id, artist_id, start_time, end_time, status, expires_at, created_by)
VALUES ($1, $2, $3, $4, $5,
        CASE WHEN $5 IN ('confirmed', 'cancelled') THEN NULL
             ELSE timestamptz '2099-01-01T00:00:00Z' END,
        'test-user')
RETURNING id
)sql";

constexpr const char* insert_event_sql = R"sql(
INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, payload)
VALUES ($1, $2, $3, 'booking.held', 'test-user', now(), '{"booking": {}}')
RETURNING seq
)sql";

// A booking of `artist` in `tenant` (the session's current tenant); returns its id.
std::string add_booking(
    pg_connection& c,
    const std::string& tenant,
    const std::string& artist,
    const char* start,
    const char* end,
    const char* status
) {
    return c.value(insert_booking_sql, {tenant, artist, start, end, status});
}

// The SQLSTATE of inserting that booking, "" if it succeeded.
std::string booking_error(
    pg_connection& c,
    const std::string& tenant,
    const std::string& artist,
    const char* start,
    const char* end,
    const char* status
) {
    return c.error_of(insert_booking_sql, {tenant, artist, start, end, status});
}

std::string add_event(
    pg_connection& c,
    const std::string& tenant,
    const std::string& booking,
    const std::string& artist
) {
    return c.value(insert_event_sql, {tenant, booking, artist});
}

// One row of a table-driven test: a statement fragment, the SQLSTATE it must end with ("" for
// success) and why.
struct sql_case {
    std::string sql;
    std::string sqlstate;
    std::string why;
};

// One fresh tenant with one artist per test, the app connection's context set to the tenant.
struct schema : ::testing::Test {
    pg_connection app_ = pgtest::connect_app();
    std::string tenant_ = pgtest::create_tenant(app_);
    std::string artist_ = pgtest::create_artist(app_, tenant_);

    std::string count(const char* table, const std::string& id) {
        return app_.value(std::string{"SELECT count(*) FROM "} + table + " WHERE id = $1", {id});
    }
};

// Exclusivity (SPEC §3.1) ---------------------------------------------------------------------

TEST_F(schema, overlapping_pencils_conflict) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "pencil");
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T11:00Z", "2031-03-01T13:00Z", "pencil"),
        "23P01"
    );
    // Containment is overlap too.
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T10:30Z", "2031-03-01T11:00Z", "pencil"),
        "23P01"
    );
}

TEST_F(schema, pencil_and_confirmed_conflict_both_ways) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "pencil");
    EXPECT_EQ(
        booking_error(
            app_, tenant_, artist_, "2031-03-01T09:00Z", "2031-03-01T10:01Z", "confirmed"
        ),
        "23P01"
    );
    add_booking(app_, tenant_, artist_, "2031-03-02T10:00Z", "2031-03-02T12:00Z", "confirmed");
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-02T11:59Z", "2031-03-02T13:00Z", "pencil"),
        "23P01"
    );
}

TEST_F(schema, overlapping_confirmed_bookings_conflict) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed");
    EXPECT_EQ(
        booking_error(
            app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed"
        ),
        "23P01"
    );
    // Offsets are instants: 11:30+01:00 is 10:30Z.
    EXPECT_EQ(
        booking_error(
            app_, tenant_, artist_, "2031-03-01T11:30+01:00", "2031-03-01T14:00+01:00", "confirmed"
        ),
        "23P01"
    );
}

TEST_F(schema, touching_ranges_do_not_conflict) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed");
    EXPECT_EQ(
        booking_error(
            app_, tenant_, artist_, "2031-03-01T12:00Z", "2031-03-01T14:00Z", "confirmed"
        ),
        ""
    );
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T08:00Z", "2031-03-01T10:00Z", "pencil"),
        ""
    );
}

TEST_F(schema, holds_overlap_each_other_pencils_and_confirmed) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "pencil");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(
            booking_error(app_, tenant_, artist_, "2031-03-01T09:00Z", "2031-03-01T13:00Z", "hold"),
            ""
        );
    }
    // The database does not stop a hold over a confirmed booking; the use case refuses it with
    // booking_conflict (SPEC §3.1), which needs no constraint because holds never block anyone.
    add_booking(app_, tenant_, artist_, "2031-03-02T10:00Z", "2031-03-02T12:00Z", "confirmed");
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-02T11:00Z", "2031-03-02T13:00Z", "hold"), ""
    );
}

TEST_F(schema, terminal_bookings_do_not_block) {
    for (const char* status : {"released", "expired", "cancelled"}) {
        add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", status);
    }
    EXPECT_EQ(
        booking_error(
            app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed"
        ),
        ""
    );
}

TEST_F(schema, changing_into_an_overlap_conflicts) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed");
    const std::string hold =
        add_booking(app_, tenant_, artist_, "2031-03-01T11:00Z", "2031-03-01T13:00Z", "hold");
    // Promoting the overlapping hold.
    EXPECT_EQ(
        app_.error_of(
            "UPDATE bookings SET status = 'pencil', version = version + 1 "
            "WHERE tenant_id = $1 AND id = $2",
            {tenant_, hold}
        ),
        "23P01"
    );
    // Rescheduling a pencil onto the confirmed booking.
    const std::string pencil =
        add_booking(app_, tenant_, artist_, "2031-03-01T14:00Z", "2031-03-01T15:00Z", "pencil");
    EXPECT_EQ(
        app_.error_of(
            "UPDATE bookings SET start_time = '2031-03-01T11:30Z', end_time = '2031-03-01T12:30Z' "
            "WHERE tenant_id = $1 AND id = $2",
            {tenant_, pencil}
        ),
        "23P01"
    );
    // Releasing makes room again.
    app_.exec(
        "UPDATE bookings SET status = 'cancelled', version = version + 1 "
        "WHERE tenant_id = $1 AND status = 'confirmed' AND artist_id = $2",
        {tenant_, artist_}
    );
    EXPECT_EQ(
        app_.error_of(
            "UPDATE bookings SET status = 'pencil' WHERE tenant_id = $1 AND id = $2",
            {tenant_, hold}
        ),
        ""
    );
}

TEST_F(schema, different_artists_never_conflict) {
    const std::string other = pgtest::create_artist(app_, tenant_, "other artist");
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed");
    EXPECT_EQ(
        booking_error(app_, tenant_, other, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed"),
        ""
    );
}

TEST_F(schema, the_same_artist_id_in_two_tenants_never_conflicts) {
    add_booking(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed");
    const std::string other_tenant = pgtest::create_tenant(app_, "other tenant");
    pgtest::create_artist(app_, other_tenant, "same id elsewhere", artist_);
    EXPECT_EQ(
        booking_error(
            app_, other_tenant, artist_, "2031-03-01T10:00Z", "2031-03-01T12:00Z", "confirmed"
        ),
        ""
    );
}

TEST_F(schema, a_race_for_one_slot_has_exactly_one_winner) {
    pg_connection first = pgtest::connect_app();
    pg_connection second = pgtest::connect_app();
    first.set_tenant(tenant_);
    second.set_tenant(tenant_);

    first.exec("BEGIN");
    add_booking(first, tenant_, artist_, "2031-04-01T10:00Z", "2031-04-01T12:00Z", "confirmed");
    second.send(
        insert_booking_sql, {tenant_, artist_, "2031-04-01T11:00Z", "2031-04-01T13:00Z", "pencil"}
    );
    // The second insert must wait for the first transaction rather than pass or fail early.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!app_.is_waiting_for_lock(second.backend_pid()) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(app_.is_waiting_for_lock(second.backend_pid()));
    first.exec("COMMIT");
    EXPECT_EQ(second.finish_sent(), "23P01");

    // And when the first one rolls back, the waiting one wins.
    first.exec("BEGIN");
    add_booking(first, tenant_, artist_, "2031-04-02T10:00Z", "2031-04-02T12:00Z", "confirmed");
    second.send(
        insert_booking_sql, {tenant_, artist_, "2031-04-02T11:00Z", "2031-04-02T13:00Z", "pencil"}
    );
    first.exec("ROLLBACK");
    EXPECT_EQ(second.finish_sent(), "");
}

// CHECK constraints -----------------------------------------------------------------------------

TEST_F(schema, end_must_be_after_start) {
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T10:00Z", "hold"),
        "23514"
    );
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T09:00Z", "hold"),
        "23514"
    );
}

TEST_F(schema, duration_lies_between_one_minute_and_31_days) {
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T10:00:59Z", "hold"),
        "23514"
    );
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T10:00Z", "2031-03-01T10:01Z", "hold"), ""
    );
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T00:00Z", "2031-04-01T00:00Z", "hold"), ""
    );
    EXPECT_EQ(
        booking_error(app_, tenant_, artist_, "2031-03-01T00:00Z", "2031-04-01T00:00:01Z", "hold"),
        "23514"
    );
}

TEST_F(schema, lifecycle_invariants_are_checked) {
    struct insert_case {
        std::string columns;  // besides tenant, artist, times and created_by
        std::string values;
        std::string sqlstate;
        std::string why;
    };
    const std::vector<insert_case> cases{
        {"status, expires_at", "'maybe', now()", "23514", "unknown status"},
        {"status", "'hold'", "23514", "a hold needs expires_at"},
        {"status", "'pencil'", "23514", "a pencil needs expires_at"},
        {"status, expires_at", "'confirmed', now()", "23514", "confirmed never expires"},
        {"status, expires_at, priority", "'hold', now(), 101", "23514", "priority <= 100"},
        {"status, expires_at, priority", "'hold', now(), -1", "23514", "priority >= 0"},
        {"status, expires_at, version", "'hold', now(), 0", "23514", "version > 0"},
        {"status, expires_at, title", "'hold', now(), repeat('x', 201)", "23514", "title"},
        {"status, expires_at, notes", "'hold', now(), repeat('x', 10001)", "23514", "notes"},
        {"status, expires_at, status_reason",
         "'hold', now(), 'why'",
         "23514",
         "statusReason only on released/cancelled"},
        {"status, expires_at, status_reason", "'released', now(), 'why'", "", "released"},
        {"status, status_reason", "'cancelled', 'why'", "", "cancelled with a reason"},
        {"status, expires_at", "'hold', now()", "", "a plain hold"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(
            app_.error_of(
                "INSERT INTO bookings (tenant_id, artist_id, start_time, end_time, created_by, " +
                    c.columns + ") VALUES ($1, $2, '2031-05-01T10:00Z', '2031-05-01T11:00Z', " +
                    "'u', " + c.values + ")",
                {tenant_, artist_}
            ),
            c.sqlstate
        ) << c.why;
    }
}

TEST_F(schema, text_limits_count_characters_and_created_by_is_required) {
    const char* sql =
        "INSERT INTO bookings (tenant_id, artist_id, start_time, end_time, status, expires_at, "
        "title, created_by) VALUES ($1, $2, '2031-05-01T10:00Z', '2031-05-01T11:00Z', 'hold', "
        "now(), $3, $4)";
    EXPECT_EQ(app_.error_of(sql, {tenant_, artist_, "t", ""}), "23514") << "empty created_by";
    if (app_.value("SHOW server_encoding") == "UTF8") {
        std::string two_hundred;
        for (int i = 0; i < 200; ++i) {
            two_hundred += "\xc3\xa9";  // é, two bytes in UTF-8
        }
        EXPECT_EQ(app_.error_of(sql, {tenant_, artist_, two_hundred, "u"}), "");
    }
}

TEST_F(schema, only_a_pencil_carries_a_complete_challenge) {
    const std::string hold =
        add_booking(app_, tenant_, artist_, "2031-06-01T10:00Z", "2031-06-01T12:00Z", "hold");
    const std::string pencil =
        add_booking(app_, tenant_, artist_, "2031-06-01T11:00Z", "2031-06-01T12:00Z", "pencil");
    const std::string soon = "2031-01-01T00:00Z";
    struct challenge_case {
        std::string target;
        pg_param by;
        pg_param deadline;
        std::string sqlstate;
        std::string why;
    };
    const std::vector<challenge_case> cases{
        {pencil, hold, std::nullopt, "23514", "both or neither"},
        {pencil, std::nullopt, soon, "23514", "both or neither"},
        {pencil, pencil, soon, "23514", "not itself"},
        {pencil, hold, "2099-01-01T00:00:01Z", "23514", "deadline after the pencil's expiry"},
        {hold, pencil, soon, "23514", "only pencils are challenged"},
        {pencil, pgtest::random_uuid(), soon, "23503", "the challenger must exist"},
        {pencil, hold, soon, "", "a valid challenge"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(
            app_.error_of(
                "UPDATE bookings SET challenge_by_booking_id = $3, challenge_deadline = $4 "
                "WHERE tenant_id = $1 AND id = $2",
                {tenant_, c.target, c.by, c.deadline}
            ),
            c.sqlstate
        ) << c.why;
    }
    // Confirming a challenged pencil must clear the challenge in the same statement.
    const std::vector<sql_case> confirm{
        {"", "23514", "challenge left on a confirmed booking"},
        {", challenge_by_booking_id = NULL, challenge_deadline = NULL", "", "cleared"},
    };
    for (const auto& c : confirm) {
        EXPECT_EQ(
            app_.error_of(
                "UPDATE bookings SET status = 'confirmed', expires_at = NULL" + c.sql +
                    " WHERE tenant_id = $1 AND id = $2",
                {tenant_, pencil}
            ),
            c.sqlstate
        ) << c.why;
    }
}

TEST_F(schema, tenant_settings_have_defaults) {
    EXPECT_EQ(
        app_.value(
            "SELECT format('%s/%s/%s/%s', hold_ttl_minutes, hold_max_minutes, pencil_ttl_hours, "
            "challenge_window_hours) FROM tenants WHERE id = $1",
            {tenant_}
        ),
        "30/480/48/24"
    );
}

TEST_F(schema, tenant_settings_have_ranges) {
    const std::vector<sql_case> cases{
        {"hold_ttl_minutes = 0", "23514", "hold ttl >= 1"},
        {"hold_ttl_minutes = 121", "23514", "hold ttl <= 120"},
        {"hold_max_minutes = 29", "23514", "hold max below hold ttl"},
        {"hold_max_minutes = 10081", "23514", "hold max <= 10080"},
        {"hold_ttl_minutes = 120, hold_max_minutes = 120", "", "both at once"},
        {"hold_ttl_minutes = 121, hold_max_minutes = 200", "23514", "hold ttl <= 120"},
        {"pencil_ttl_hours = 23", "23514", "pencil ttl >= 24"},
        {"pencil_ttl_hours = 49", "23514", "pencil ttl <= 48"},
        {"pencil_ttl_hours = 24", "", "pencil ttl 24"},
        {"challenge_window_hours = 0", "23514", "challenge window >= 1"},
        {"challenge_window_hours = 73", "23514", "challenge window <= 72"},
        {"challenge_window_hours = 72", "", "challenge window 72"},
        {"name = ''", "23514", "a name"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(
            app_.error_of("UPDATE tenants SET " + c.sql + " WHERE id = $1", {tenant_}), c.sqlstate
        ) << c.why;
    }
}

TEST_F(schema, availability_and_idempotency_rows_are_checked) {
    EXPECT_EQ(
        app_.error_of(
            "INSERT INTO artist_availability (tenant_id, artist_id, weekly) VALUES ($1, $2, '{}')",
            {tenant_, artist_}
        ),
        "23514"
    );
    EXPECT_EQ(
        app_.error_of(
            "INSERT INTO artist_availability (tenant_id, artist_id) VALUES ($1, $2)",
            {tenant_, pgtest::random_uuid()}
        ),
        "23503"
    );
    EXPECT_EQ(
        app_.value(
            "INSERT INTO artist_availability (tenant_id, artist_id) VALUES ($1, $2) "
            "RETURNING format('%s %s', coalesce(weekly::text, 'null'), overrides)",
            {tenant_, artist_}
        ),
        "null []"
    );

    const char* key_sql =
        "INSERT INTO idempotency_keys (tenant_id, method, path, key, request_hash, state, "
        "response_status, expires_at) VALUES ($1, 'POST', '/api/v1/bookings', $2, 'h', $3, $4, "
        "now() + interval '24 hours')";
    EXPECT_EQ(
        app_.error_of(key_sql, {tenant_, std::string(256, 'k'), "in_progress", std::nullopt}),
        "23514"
    );
    EXPECT_EQ(app_.error_of(key_sql, {tenant_, "k1", "done", std::nullopt}), "23514")
        << "done needs a response";
    EXPECT_EQ(
        app_.error_of(key_sql, {tenant_, std::string(255, 'k'), "in_progress", std::nullopt}), ""
    );
    EXPECT_EQ(app_.error_of(key_sql, {tenant_, "k2", "done", "201"}), "");
    EXPECT_EQ(app_.error_of(key_sql, {tenant_, "k2", "done", "201"}), "23505") << "one per key";
}

// Tenant isolation (SPEC §8) ------------------------------------------------------------------

struct isolation : schema {
    // Tenant A's rows, created by the fixture's connection which is then switched to tenant B.
    std::string tenant_a_ = tenant_;
    std::string project_a_ = pgtest::create_project(app_, tenant_a_);
    std::string booking_a_ =
        add_booking(app_, tenant_a_, artist_, "2031-07-01T10:00Z", "2031-07-01T12:00Z", "hold");
    std::string event_a_ = add_event(app_, tenant_a_, booking_a_, artist_);
    std::string tenant_b_ = pgtest::create_tenant(app_, "tenant b");  // now the context

    // Row counts of tenant A's data seen by `conn` in its current context.
    std::string visible_a(pg_connection& conn) {
        return conn.value(
            "SELECT format('%s %s %s %s %s', "
            "(SELECT count(*) FROM tenants WHERE id = $1), "
            "(SELECT count(*) FROM artists WHERE tenant_id = $1), "
            "(SELECT count(*) FROM projects WHERE tenant_id = $1), "
            "(SELECT count(*) FROM bookings WHERE tenant_id = $1), "
            "(SELECT count(*) FROM booking_events WHERE tenant_id = $1))",
            {tenant_a_}
        );
    }

    // Each write to tenant A's rows changes nothing in the current context.
    void expect_updates_touch_nothing() {
        EXPECT_EQ(
            app_.exec("UPDATE tenants SET name = 'x' WHERE id = $1", {tenant_a_}).affected(), 0
        );
        EXPECT_EQ(
            app_.exec("UPDATE artists SET name = 'x' WHERE tenant_id = $1", {tenant_a_}).affected(),
            0
        );
        EXPECT_EQ(
            app_.exec("UPDATE bookings SET title = 'x' WHERE id = $1", {booking_a_}).affected(), 0
        );
        EXPECT_EQ(
            app_.exec("DELETE FROM idempotency_keys WHERE tenant_id = $1", {tenant_a_}).affected(),
            0
        );
    }

    void expect_inserts_refused() {
        EXPECT_EQ(
            app_.error_of(
                "INSERT INTO artists (tenant_id, name) VALUES ($1, 'intruder')", {tenant_a_}
            ),
            "42501"
        );
        EXPECT_EQ(
            booking_error(
                app_, tenant_a_, artist_, "2031-07-02T10:00Z", "2031-07-02T12:00Z", "hold"
            ),
            "42501"
        );
        EXPECT_EQ(add_event_error(), "42501");
        EXPECT_EQ(
            app_.error_of(
                "INSERT INTO tenants (id, name) VALUES ($1, 'x')", {pgtest::random_uuid()}
            ),
            "42501"
        );
    }

    std::string add_event_error() {
        return app_.error_of(insert_event_sql, {tenant_a_, booking_a_, artist_});
    }
};

TEST_F(isolation, the_owning_tenant_sees_its_rows) {
    app_.set_tenant(tenant_a_);
    EXPECT_EQ(visible_a(app_), "1 1 1 1 1");
}

TEST_F(isolation, another_tenant_sees_updates_and_inserts_nothing) {
    EXPECT_EQ(visible_a(app_), "0 0 0 0 0");
    expect_updates_touch_nothing();
    expect_inserts_refused();
    EXPECT_EQ(count("bookings", booking_a_), "0");
}

TEST_F(isolation, no_tenant_means_no_rows) {
    pg_connection fresh = pgtest::connect_app();  // app.tenant_id never set
    EXPECT_EQ(visible_a(fresh), "0 0 0 0 0");
    for (const char* setting : {"", "garbage", "not-a-uuid-but-36-characters-long-xx", "'"}) {
        app_.set_tenant(setting);
        EXPECT_EQ(visible_a(app_), "0 0 0 0 0") << "app.tenant_id = '" << setting << "'";
        expect_updates_touch_nothing();
        expect_inserts_refused();
    }
    app_.exec("RESET app.tenant_id");
    EXPECT_EQ(visible_a(app_), "0 0 0 0 0");
}

TEST_F(isolation, a_transaction_local_tenant_ends_with_the_transaction) {
    app_.set_tenant("");
    app_.exec("BEGIN");
    app_.exec("SELECT set_config('app.tenant_id', $1, true)", {tenant_a_});
    EXPECT_EQ(visible_a(app_), "1 1 1 1 1");
    app_.exec("COMMIT");
    EXPECT_EQ(visible_a(app_), "0 0 0 0 0");
}

TEST_F(isolation, a_row_cannot_be_moved_into_another_tenant) {
    app_.set_tenant(tenant_a_);
    EXPECT_EQ(
        app_.error_of("UPDATE tenants SET id = $2 WHERE id = $1", {tenant_a_, tenant_b_}), "42501"
    );
    EXPECT_EQ(
        app_.error_of("UPDATE bookings SET tenant_id = $2 WHERE id = $1", {booking_a_, tenant_b_}),
        "42501"
    );
}

TEST_F(isolation, a_booking_cannot_reference_another_tenants_artist_or_project) {
    // Tenant B's context, tenant B's booking, tenant A's artist/project ids.
    EXPECT_EQ(
        booking_error(app_, tenant_b_, artist_, "2031-07-03T10:00Z", "2031-07-03T12:00Z", "hold"),
        "23503"
    );
    const std::string artist_b = pgtest::create_artist(app_, tenant_b_);
    EXPECT_EQ(
        app_.error_of(
            "INSERT INTO bookings (tenant_id, artist_id, project_id, start_time, end_time, "
            "status, expires_at, created_by) VALUES ($1, $2, $3, '2031-07-03T10:00Z', "
            "'2031-07-03T12:00Z', 'hold', now(), 'u')",
            {tenant_b_, artist_b, project_a_}
        ),
        "23503"
    );
    // Nor can an event point at another tenant's booking.
    const std::string booking_b =
        add_booking(app_, tenant_b_, artist_b, "2031-07-03T10:00Z", "2031-07-03T12:00Z", "hold");
    EXPECT_EQ(app_.error_of(insert_event_sql, {tenant_b_, booking_a_, artist_b}), "23503");
    EXPECT_EQ(app_.error_of(insert_event_sql, {tenant_b_, booking_b, artist_b}), "");
}

TEST_F(isolation, the_owner_is_subject_to_the_policies_too) {
    pg_connection owner = pgtest::connect_owner();
    EXPECT_EQ(visible_a(owner), "0 0 0 0 0");
    owner.set_tenant(tenant_b_);
    EXPECT_EQ(visible_a(owner), "0 0 0 0 0");
    owner.set_tenant(tenant_a_);
    EXPECT_EQ(visible_a(owner), "1 1 1 1 1");
}

TEST_F(schema, every_tenant_table_forces_row_level_security) {
    // Every table with a tenant_id column, and tenants itself: also those added later.
    const std::string tenant_tables = R"sql(
        SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (
                   SELECT 1 FROM pg_policy AS p WHERE p.polrelid = c.oid) AS isolated
          FROM pg_class AS c
          JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND (c.relname = 'tenants' OR EXISTS (
                    SELECT 1 FROM pg_attribute AS a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
    )sql";
    EXPECT_EQ(
        app_.scalar(
            "SELECT string_agg(relname, ', ') FROM (" + tenant_tables +
            ") AS t "
            "WHERE NOT isolated"
        ),
        std::nullopt
    ) << "tables without ENABLE + FORCE ROW LEVEL SECURITY and a policy";
    EXPECT_EQ(
        app_.value(
            "SELECT count(*) FROM (" + tenant_tables +
            ") AS t WHERE relname IN ('tenants', "
            "'artists', 'projects', 'bookings', 'booking_events', 'artist_availability', "
            "'idempotency_keys')"
        ),
        "7"
    );
}

// The application role ---------------------------------------------------------------------

TEST_F(schema, the_app_role_cannot_escape_row_level_security) {
    const std::vector<std::string> refused{
        "ALTER TABLE bookings DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE bookings NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE tenants DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE booking_events DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE booking_events NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE booking_events DISABLE TRIGGER booking_events_append_only",
        "DROP POLICY bookings_isolation ON bookings",
        "CREATE POLICY sneaky ON bookings FOR SELECT USING (true)",
        "SET ROLE ptool_owner",
        "SET SESSION AUTHORIZATION ptool_owner",
        "SELECT rolpassword FROM pg_authid",
        "SET session_replication_role = replica",
    };
    for (const auto& sql : refused) {
        EXPECT_EQ(app_.error_of(sql), "42501") << sql;
    }
    // With row_security off, a query subject to RLS fails instead of bypassing it.
    app_.exec("SET row_security = off");
    EXPECT_EQ(app_.error_of("SELECT count(*) FROM bookings"), "42501");
    app_.exec("RESET row_security");
}

TEST_F(schema, the_app_role_is_unprivileged_and_owns_nothing) {
    EXPECT_EQ(
        app_.value(
            "SELECT format('%s %s %s %s', rolsuper, rolbypassrls, rolcreaterole, rolcreatedb) "
            "FROM pg_roles WHERE rolname = current_user"
        ),
        "f f f f"
    );
    EXPECT_EQ(app_.value("SELECT current_user"), "ptool_app");
    EXPECT_EQ(
        app_.value("SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + "
                   "(SELECT count(*) FROM pg_proc WHERE proowner = r.oid) + "
                   "(SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) "
                   "FROM pg_roles AS r WHERE r.rolname = current_user"),
        "0"
    );
    EXPECT_EQ(
        app_.value("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                   "WHERE r.rolname = current_user"),
        "0"
    ) << "member of no role";
    EXPECT_EQ(app_.error_of("CREATE TABLE sneaky (id int)"), "42501");
    EXPECT_EQ(
        app_.error_of("CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'"), "42501"
    );
}

TEST_F(schema, the_app_role_cannot_rewrite_identity_columns) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-08-01T10:00Z", "2031-08-01T12:00Z", "hold");
    const std::string other = pgtest::create_artist(app_, tenant_, "other");
    const std::vector<sql_case> cases{
        {"UPDATE bookings SET artist_id = $2::uuid WHERE id = $1", "42501", "artist"},
        {"UPDATE bookings SET id = $2::uuid WHERE id = $1", "42501", "id"},
        {"UPDATE bookings SET created_by = $2 WHERE id = $1", "42501", "creator"},
        {"UPDATE bookings SET created_at = now() WHERE id = $1 AND $2 <> ''", "42501", "created"},
        {"UPDATE artists SET tenant_id = tenant_id WHERE id = $2::uuid AND $1 <> ''",
         "42501",
         "an artist's tenant"},
        {"DELETE FROM bookings WHERE id = $1 AND $2 <> ''", "42501", "delete a booking"},
        {"DELETE FROM artists WHERE id = $2::uuid AND $1 <> ''", "42501", "delete an artist"},
        {"UPDATE bookings SET status = 'pencil', priority = 5, version = version + 1, "
         "title = 't', notes = 'n', updated_at = now(), project_id = NULL "
         "WHERE id = $1 AND $2 <> ''",
         "",
         "the columns a change may touch"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(app_.error_of(c.sql, {booking, other}), c.sqlstate) << c.why;
    }
}

// The event log (SPEC §6) -----------------------------------------------------------------------

TEST_F(schema, booking_events_are_append_only_for_the_app_role) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-09-01T10:00Z", "2031-09-01T12:00Z", "hold");
    const std::string seq = add_event(app_, tenant_, booking, artist_);
    EXPECT_EQ(
        app_.error_of("UPDATE booking_events SET actor = 'x' WHERE seq = $1", {seq}), "42501"
    );
    EXPECT_EQ(app_.error_of("DELETE FROM booking_events WHERE seq = $1", {seq}), "42501");
    EXPECT_EQ(app_.error_of("TRUNCATE booking_events"), "42501");
    // seq and xid come from their defaults only.
    EXPECT_EQ(
        app_.error_of(
            "INSERT INTO booking_events (seq, tenant_id, booking_id, artist_id, type, actor, "
            "occurred_at) VALUES (1, $1, $2, $3, 'booking.held', 'u', now())",
            {tenant_, booking, artist_}
        ),
        "42501"
    );
    EXPECT_EQ(
        app_.error_of(
            "INSERT INTO booking_events (xid, tenant_id, booking_id, artist_id, type, actor, "
            "occurred_at) VALUES ('1', $1, $2, $3, 'booking.held', 'u', now())",
            {tenant_, booking, artist_}
        ),
        "42501"
    );
    EXPECT_EQ(app_.value("SELECT count(*) FROM booking_events WHERE seq = $1", {seq}), "1");
}

TEST_F(schema, booking_events_refuse_change_even_for_the_owner) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-09-01T10:00Z", "2031-09-01T12:00Z", "hold");
    const std::string seq = add_event(app_, tenant_, booking, artist_);
    pg_connection owner = pgtest::connect_owner();
    owner.set_tenant(tenant_);
    // Inside a transaction that is rolled back, in case the trigger ever stops working.
    for (const std::string& sql :
         {"UPDATE booking_events SET actor = 'x' WHERE seq = " + seq,
          "DELETE FROM booking_events WHERE seq = " + seq,
          std::string{"DELETE FROM booking_events WHERE false"},
          std::string{"TRUNCATE booking_events"}}) {
        owner.exec("BEGIN");
        EXPECT_EQ(owner.error_of(sql), "23001") << sql;
        EXPECT_NE(owner.last_error().find("booking_events is append-only"), std::string::npos)
            << owner.last_error();
        owner.exec("ROLLBACK");
    }
    EXPECT_EQ(owner.value("SELECT actor FROM booking_events WHERE seq = $1", {seq}), "test-user");
}

TEST_F(schema, booking_events_check_their_type_and_payload) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-09-01T10:00Z", "2031-09-01T12:00Z", "hold");
    const char* sql =
        "INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, "
        "payload) VALUES ($1, $2, $3, $4, 'u', now(), $5)";
    for (const char* type :
         {"booking.held",
          "booking.pencilled",
          "booking.confirmed",
          "booking.extended",
          "booking.rescheduled",
          "booking.updated",
          "booking.released",
          "booking.expired",
          "booking.cancelled",
          "booking.challenged",
          "booking.challenge_won",
          "booking.challenge_failed",
          "booking.challenge_withdrawn"}) {
        EXPECT_EQ(app_.error_of(sql, {tenant_, booking, artist_, type, "{}"}), "") << type;
    }
    EXPECT_EQ(app_.error_of(sql, {tenant_, booking, artist_, "booking.deleted", "{}"}), "23514");
    EXPECT_EQ(app_.error_of(sql, {tenant_, booking, artist_, "booking.held", "[]"}), "23514");
}

TEST_F(schema, an_event_records_its_writers_transaction_and_increasing_seq) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-09-01T10:00Z", "2031-09-01T12:00Z", "hold");
    app_.exec("BEGIN");
    const std::string first = add_event(app_, tenant_, booking, artist_);
    const std::string second = add_event(app_, tenant_, booking, artist_);
    EXPECT_EQ(
        app_.value(
            "SELECT bool_and(xid = pg_current_xact_id()) FROM booking_events "
            "WHERE seq IN ($1, $2)",
            {first, second}
        ),
        "t"
    );
    app_.exec("COMMIT");
    EXPECT_LT(std::stoll(first), std::stoll(second));
}

TEST_F(schema, drawing_a_seq_assigns_the_transaction_id_first) {
    // A writer must own an xid before it holds a seq, or a reader's snapshot could miss it.
    app_.exec("BEGIN");
    EXPECT_EQ(app_.scalar("SELECT pg_current_xact_id_if_assigned()::text"), std::nullopt);
    app_.exec("SELECT booking_events_next_seq()");
    EXPECT_NE(app_.scalar("SELECT pg_current_xact_id_if_assigned()::text"), std::nullopt);
    app_.exec("ROLLBACK");
}

TEST_F(schema, an_event_insert_notifies_at_commit_only) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-09-01T10:00Z", "2031-09-01T12:00Z", "hold");
    pg_connection listener = pgtest::connect_app();
    listener.listen("booking_events");

    // Other writers on a shared database (a dev server's sweeper, other tenants) may notify
    // too: only this tenant's notifications count.
    auto next_of_ours = [&](std::chrono::milliseconds wait) {
        const auto until = std::chrono::steady_clock::now() + wait;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now()
            );
            if (left <= 0ms) return std::optional<pgtest::pg_notification>{};
            auto n = listener.wait_notification(left);
            if (!n || n->payload.rfind(tenant_ + ":", 0) == 0) return n;
        }
    };

    app_.exec("BEGIN");
    const std::string rolled_back = add_event(app_, tenant_, booking, artist_);
    app_.exec("ROLLBACK");
    app_.exec("BEGIN");
    const std::string seq = add_event(app_, tenant_, booking, artist_);
    EXPECT_FALSE(next_of_ours(200ms).has_value()) << "delivered before commit";
    app_.exec("COMMIT");

    const auto note = next_of_ours(5s);
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(note->channel, "booking_events");
    EXPECT_EQ(note->payload, tenant_ + ":" + seq);
    EXPECT_FALSE(next_of_ours(100ms).has_value())
        << "the rolled-back insert (seq " << rolled_back << ") must not notify";
}

// Cross-tenant maintenance functions ------------------------------------------------------------

// Each test works inside one transaction that is rolled back: the functions read every tenant,
// so committed rows would accumulate in their answers across runs.
struct maintenance : schema {
    void SetUp() override { app_.exec("BEGIN"); }
    void TearDown() override { app_.exec("ROLLBACK"); }
};

TEST_F(maintenance, due_bookings_lists_lapsed_holds_pencils_and_challenges_of_every_tenant) {
    auto add = [&](const std::string& tenant,
                   const std::string& artist,
                   const char* start,
                   const char* status,
                   const char* expires) {
        return app_.value(
            "INSERT INTO bookings (tenant_id, artist_id, start_time, end_time, status, "
            "expires_at, created_by) VALUES ($1, $2, $3, $3::timestamptz + interval '1 hour', $4, "
            "$5, 'u') RETURNING id",
            {tenant, artist, start, status, expires}
        );
    };
    const std::string a_hold =
        add(tenant_, artist_, "1981-01-01T10:00Z", "hold", "1981-01-01T09:00Z");
    const std::string a_pencil =
        add(tenant_, artist_, "1981-01-02T10:00Z", "pencil", "1981-01-01T09:30Z");
    const std::string a_later =
        add(tenant_, artist_, "1981-01-03T10:00Z", "hold", "1991-01-01T00:00Z");
    const std::string a_released =
        add(tenant_, artist_, "1981-01-04T10:00Z", "released", "1981-01-01T08:00Z");
    const std::string tenant_b = pgtest::create_tenant(app_, "tenant b");
    const std::string artist_b = pgtest::create_artist(app_, tenant_b);
    const std::string b_hold =
        add(tenant_b, artist_b, "1981-01-01T10:00Z", "hold", "1981-01-01T08:30Z");
    const std::string b_pencil =
        add(tenant_b, artist_b, "1981-01-01T11:00Z", "pencil", "1981-01-01T10:00Z");
    app_.exec(
        "UPDATE bookings SET challenge_by_booking_id = $2, challenge_deadline = "
        "'1981-01-01T08:30Z' "
        "WHERE id = $1",
        {b_pencil, b_hold}
    );

    app_.set_tenant("");  // the sweeper has no tenant
    const auto due = app_.exec(
        "SELECT booking_id::text, due_kind FROM ptool_due_bookings('1990-01-01T00:00Z', 10000)"
    );
    std::vector<std::string> ours;
    const std::set<std::string> mine{a_hold, a_pencil, a_later, a_released, b_hold, b_pencil};
    for (int row = 0; row < due.rows(); ++row) {
        if (mine.contains(due.value(row, 0))) {
            ours.push_back(due.value(row, 0) + " " + due.value(row, 1));
        }
    }
    // Oldest first; at equal times the challenge is decided before its challenger expires.
    const std::vector<std::string> expected{
        b_pencil + " challenge_deadline",  // 08:30
        b_hold + " expiry",                // 08:30
        a_hold + " expiry",                // 09:00
        a_pencil + " expiry",              // 09:30
        b_pencil + " expiry",              // 10:00
    };
    EXPECT_EQ(ours, expected);
    EXPECT_EQ(app_.value("SELECT count(*) FROM bookings"), "0") << "still no tenant";
    EXPECT_EQ(app_.value("SELECT coalesce(current_setting('ptool.maintenance', true), '')"), "");
}

TEST_F(maintenance, the_app_role_cannot_switch_maintenance_reads_on_itself) {
    add_booking(app_, tenant_, artist_, "2031-10-01T10:00Z", "2031-10-01T12:00Z", "hold");
    app_.set_tenant("");
    app_.exec("SELECT set_config('ptool.maintenance', 'on', true)");
    EXPECT_EQ(app_.value("SELECT count(*) FROM bookings WHERE tenant_id = $1", {tenant_}), "0");
    EXPECT_EQ(app_.value("SELECT count(*) FROM tenants WHERE id = $1", {tenant_}), "0");
}

TEST_F(maintenance, tenant_ids_lists_every_tenant) {
    const std::string tenant_b = pgtest::create_tenant(app_, "tenant b");
    app_.set_tenant("");
    const auto ids = app_.exec("SELECT id::text FROM ptool_tenant_ids() AS t(id)");
    std::set<std::string> all;
    for (int row = 0; row < ids.rows(); ++row) {
        all.insert(ids.value(row, 0));
    }
    EXPECT_TRUE(all.contains(tenant_));
    EXPECT_TRUE(all.contains(tenant_b));
}

TEST_F(maintenance, purge_deletes_only_expired_idempotency_keys) {
    const char* sql =
        "INSERT INTO idempotency_keys (tenant_id, method, path, key, request_hash, expires_at) "
        "VALUES ($1, 'POST', '/api/v1/bookings', $2, 'h', $3)";
    app_.exec(sql, {tenant_, "old", "1981-01-01T00:00Z"});
    app_.exec(sql, {tenant_, "fresh", "1991-01-01T00:00Z"});
    app_.set_tenant("");
    EXPECT_GE(
        std::stoi(app_.value("SELECT ptool_purge_idempotency_keys('1990-01-01', 100000)")), 1
    );
    app_.set_tenant(tenant_);
    EXPECT_EQ(
        app_.value(
            "SELECT string_agg(key, ',' ORDER BY key) FROM idempotency_keys "
            "WHERE tenant_id = $1",
            {tenant_}
        ),
        "fresh"
    );
}

TEST_F(maintenance, events_between_reads_every_tenant_in_seq_order) {
    const std::string booking_a =
        add_booking(app_, tenant_, artist_, "2031-10-01T10:00Z", "2031-10-01T12:00Z", "hold");
    const std::string seq_a = add_event(app_, tenant_, booking_a, artist_);
    const std::string tenant_b = pgtest::create_tenant(app_, "tenant b");
    const std::string artist_b = pgtest::create_artist(app_, tenant_b);
    const std::string booking_b =
        add_booking(app_, tenant_b, artist_b, "2031-10-01T10:00Z", "2031-10-01T12:00Z", "hold");
    const std::string seq_b = add_event(app_, tenant_b, booking_b, artist_b);
    app_.set_tenant("");

    const std::string max_seq = app_.value("SELECT max_seq FROM ptool_event_watermark()");
    EXPECT_GE(std::stoll(max_seq), std::stoll(seq_b));
    const auto events = app_.exec(
        "SELECT seq, tenant_id::text FROM ptool_events_between($1::bigint - 1, $2, 10)",
        {seq_a, seq_b}
    );
    ASSERT_EQ(events.rows(), 2);
    EXPECT_EQ(events.value(0, 0), seq_a);
    EXPECT_EQ(events.value(0, 1), tenant_);
    EXPECT_EQ(events.value(1, 0), seq_b);
    EXPECT_EQ(events.value(1, 1), tenant_b);
}

// SPEC §6 "ordering without loss": a seq below the visible maximum that commits late is held
// back by the watermark until its writer finishes.
TEST_F(schema, the_watermark_waits_for_writers_in_progress) {
    const std::string booking =
        add_booking(app_, tenant_, artist_, "2031-11-01T10:00Z", "2031-11-01T12:00Z", "hold");
    pg_connection slow = pgtest::connect_app();
    slow.set_tenant(tenant_);
    slow.exec("BEGIN");
    const std::string late = add_event(slow, tenant_, booking, artist_);   // drawn first
    const std::string early = add_event(app_, tenant_, booking, artist_);  // committed first
    ASSERT_LT(std::stoll(late), std::stoll(early));

    pg_connection reader = pgtest::connect_app();
    const auto mark = reader.exec("SELECT snapshot::text, max_seq FROM ptool_event_watermark()");
    const std::string snapshot = mark.value(0, 0);
    EXPECT_GE(std::stoll(mark.value(0, 1)), std::stoll(early));
    const char* settled_sql =
        "SELECT coalesce(bool_and(coalesce(pg_xact_status(x) <> 'in progress', true)), true) "
        "FROM pg_snapshot_xip($1::pg_snapshot) AS x";
    EXPECT_EQ(reader.value(settled_sql, {snapshot}), "f") << "the slow writer is in progress";
    EXPECT_EQ(
        reader.value(
            "SELECT count(*) FROM ptool_events_between($1::bigint - 1, $2, 10) WHERE seq = $1",
            {late, early}
        ),
        "0"
    );

    slow.exec("COMMIT");
    EXPECT_EQ(reader.value(settled_sql, {snapshot}), "t");
    EXPECT_EQ(
        reader.value(
            "SELECT string_agg(seq::text, ',' ORDER BY seq) "
            "FROM ptool_events_between($1::bigint - 1, $2, 10) WHERE seq IN ($1, $2)",
            {late, early}
        ),
        late + "," + early
    );
}

}  // namespace
}  // namespace ptool::store
