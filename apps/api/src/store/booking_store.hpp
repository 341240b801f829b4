#pragma once
// SQL for bookings and their events. Every function runs on a connection inside a transaction
// whose app.tenant_id is already set (RLS shows only that tenant's rows). Throws db_error /
// db_unavailable like the connection does. Time-dependent statements take `now` as a parameter
// (the service clock, which the test clock moves), never SQL now().

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/booking.hpp"
#include "domain/tenant.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// A booking as read, with what effective_status needs beyond the row: whether some pencil
// names it as its challenger.
struct booking_row {
    domain::booking booking;
    bool is_challenger = false;
};

// What a write transaction learns when it takes the artist's lock.
struct artist_lock {
    bool locked = true;  // false only when try_only and another transaction holds it
    bool artist_exists = false;
    bool project_exists = true;  // true when no project was asked about
    domain::tenant_settings settings;
};

// Serialises the writes of one artist's calendar: a transaction-level advisory lock on
// (tenant, artist), taken in the same statement that reads the tenant's settings and checks that
// the artist (and `project_id`, if given) exist. Every writer of bookings takes it first, so
// concurrent overlapping writes never race inside the exclusion constraint (SPEC §3.1).
// `try_only` (the sweeper) does not wait: locked = false when another transaction holds it.
boost::asio::awaitable<artist_lock> lock_artist(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const std::optional<std::string>& project_id = std::nullopt,
    bool try_only = false
);

// The write path in one round trip: lock_artist plus the calendar over `range` (closed over
// challenges like load_calendar, which may need more round trips in rare cases). `cal` is empty
// when the artist does not exist.
struct create_context {
    artist_lock lock;
    domain::calendar cal;
};
boost::asio::awaitable<create_context> lock_for_create(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const std::optional<std::string>& project_id,
    std::pair<domain::instant, domain::instant> range
);

// The same for an existing booking: its artist's lock, the booking (row-locked) and the
// calendar over its range plus `extra`. `row` is nullopt when the booking is not visible.
struct target_context {
    artist_lock lock;
    std::optional<booking_row> row;
    domain::calendar cal;
};
boost::asio::awaitable<target_context> lock_for_booking(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& booking_id,
    std::vector<std::pair<domain::instant, domain::instant>> extra
);

// One booking by id (nullopt when not visible). `for_update` takes its row lock.
boost::asio::awaitable<std::optional<booking_row>> find_booking(
    platform::pg_connection& c, const std::string& id, bool for_update = false
);

// The calendar a decision needs (see domain::calendar): bookings of the artist with a stored
// status hold/pencil/confirmed overlapping [from, to), widened until it is closed over
// challenges (the challenger of a challenged pencil, the pencils of a challenging hold, and what
// overlaps them). Call with the artist's lock held.
boost::asio::awaitable<domain::calendar> load_calendar(
    platform::pg_connection& c,
    const std::string& artist_id,
    std::vector<std::pair<domain::instant, domain::instant>> ranges
);

// The schedule's input: the artist's bookings with a stored status hold/pencil/confirmed
// overlapping [from, to), by (start_time, id); callers apply effective_status. As a statement
// for a pipeline, and the reader of its result.
platform::pg_statement active_bookings_statement(
    const std::string& artist_id, domain::instant from, domain::instant to
);
std::vector<booking_row> read_booking_rows(const platform::pg_result& r);

// The active pencil/confirmed bookings of the artist overlapping [from, to) at `now`: the
// `conflicts` of a booking_conflict read back after the constraint fired (SQLSTATE 23P01).
boost::asio::awaitable<std::vector<domain::booking>> find_exclusive_overlaps(
    platform::pg_connection& c,
    const std::string& artist_id,
    domain::instant from,
    domain::instant to,
    const std::optional<std::string>& except_id,
    domain::instant now
);

// Writes the changes in order, each with its event, in one round trip (pipeline): INSERT for a
// new booking, UPDATE guarded by before->version otherwise; with `commit`, COMMIT ends the same
// pipeline (nothing commits if any statement fails). `payloads[i]` is the JSON text of change
// i's event payload. Throws db_error (23P01 when the exclusion constraint refuses a change;
// 40001 when a guarded UPDATE found another version, which the transaction retries).
boost::asio::awaitable<void> write_changes(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    domain::instant now,
    const std::vector<domain::booking_change>& changes,
    const std::vector<std::string>& payloads,
    bool commit = false
);

// GET /bookings: filters and keyset page in (start_time, id) order. `statuses` filter the
// effective status at `now`.
struct booking_query {
    std::optional<std::string> artist_id;
    std::optional<std::string> project_id;
    std::vector<domain::booking_status> statuses;  // empty: all
    std::optional<domain::instant> from;
    std::optional<domain::instant> to;
    std::optional<std::pair<domain::instant, std::string>> after;  // the cursor
    int limit = 50;
};
// Returns up to limit + 1 rows (the extra one tells the caller there is a next page).
boost::asio::awaitable<std::vector<booking_row>> list_bookings(
    platform::pg_connection& c, const booking_query& q, domain::instant now
);

// A stored event row.
struct event_row {
    long long seq = 0;
    std::string type;
    std::string booking_id;
    std::string artist_id;
    std::string actor;
    domain::instant occurred_at;
    std::string payload;  // JSON text
};

// Events of one booking with seq > after_seq, oldest first, up to limit + 1 rows.
boost::asio::awaitable<std::vector<event_row>> list_booking_events(
    platform::pg_connection& c, const std::string& booking_id, long long after_seq, int limit
);

// The tenant's events with after_seq < seq <= through_seq, in seq order, up to `limit` rows.
boost::asio::awaitable<std::vector<event_row>> list_events(
    platform::pg_connection& c, long long after_seq, long long through_seq, int limit
);

// The "ordering without loss" watermark (SPEC §6) for the tenant's feed: the highest seq visible
// now, and what must end before no seq at or below it can still appear. A writer takes its xid
// before it draws a seq (booking_events_next_seq), so the writers that could still commit a
// seq <= max_seq are the transactions in progress when the snapshot was taken: those listed in
// its xip, and also those whose xid is >= its xmax (PostgreSQL's xmax is the latest completed
// xid + 1, so a running transaction newer than every completed one is in no xip). The reader
// therefore draws an xid of its own (`fence`) right after the snapshot: every xid below it was
// assigned before, and the watermark is final once every xid of xip and of [xmax, fence) has
// ended. One round trip (pipelined); call watermark_final until it answers true.
struct event_watermark {
    long long max_seq = 0;
    std::string snapshot;  // pg_snapshot text
    long long fence = 0;   // the reader's own xid, drawn after the snapshot
};
boost::asio::awaitable<event_watermark> read_event_watermark(platform::pg_connection& c);
// The watermark from the results of [<snapshot + max seq statement>, <fence statement>].
event_watermark watermark_from(const std::vector<platform::pg_result>& results);
boost::asio::awaitable<bool> watermark_final(platform::pg_connection& c, const event_watermark& wm);

// Sweeper: due work across tenants (SECURITY DEFINER ptool_due_bookings).
struct due_booking {
    std::string tenant_id;
    std::string booking_id;
};
boost::asio::awaitable<std::vector<due_booking>> find_due_bookings(
    platform::pg_connection& c, domain::instant now, int limit
);

// Locks the booking row unless another transaction holds it (FOR UPDATE SKIP LOCKED);
// nullopt when it is locked elsewhere or gone.
boost::asio::awaitable<std::optional<booking_row>> lock_booking_skip_locked(
    platform::pg_connection& c, const std::string& id
);

}  // namespace ptool::store
