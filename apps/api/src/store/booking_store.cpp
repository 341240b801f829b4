// Bookings and booking events in PostgreSQL: the artist lock, calendars for decisions, guarded
// writes with their events in one pipeline, keyset lists and the event-feed watermark.

#include "store/booking_store.hpp"

#include <algorithm>
#include <set>

#include "platform/pg_error.hpp"
#include "store/availability_store.hpp"
#include "store/rows.hpp"

namespace ptool::store {

namespace {

using domain::instant;

// Instants cross the wire as microseconds since the epoch (exact, and independent of the
// session's DateStyle/TimeZone); parameters go in as RFC 3339 text.
#define PTOOL_US(col) "(extract(epoch FROM " col ") * 1000000)::int8"

constexpr std::string_view booking_columns = "b.id, b.artist_id, b.project_id, " PTOOL_US(
    "b.start_time"
) ", " PTOOL_US("b.end_time") ", b.status, b.priority, " PTOOL_US("b.expires_at"
) ", b.version, b.title, b.notes, "
  "b.status_reason, b.challenge_by_booking_id, " PTOOL_US("b.challenge_deadline"
  ) ", b.created_by, " PTOOL_US("b.created_at"
  ) ", " PTOOL_US("b.updated_at"
                  // An uncorrelated IN: PostgreSQL hashes the (few) challengers once per statement
                  // instead of probing per row (bench/availability: 0.75 ms of a 31-day schedule).
  ) ", b.id IN (SELECT p.challenge_by_booking_id FROM bookings AS p "
    "WHERE p.challenge_by_booking_id IS NOT NULL) AS is_challenger, "
    "b.availability_overridden";

// The effective status of SPEC §3.2 in SQL; must agree with domain::effective_status. {now} is
// replaced by the clock's parameter number.
constexpr std::string_view effective_status_sql =
    "CASE WHEN b.status IN ('hold', 'pencil') AND b.expires_at <= {now}::timestamptz "
    "AND b.challenge_by_booking_id IS NULL AND NOT EXISTS (SELECT 1 FROM bookings AS p "
    "WHERE p.tenant_id = b.tenant_id AND p.challenge_by_booking_id = b.id) "
    "THEN 'expired' ELSE b.status END";

constexpr std::string_view lock_artist_sql =
    "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0)), "
    "EXISTS (SELECT 1 FROM artists WHERE id = $2::uuid), "
    "($3::uuid IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = $3::uuid)), "
    "t.id, t.name, t.hold_ttl_minutes, t.hold_max_minutes, t.pencil_ttl_hours, "
    "t.challenge_window_hours FROM tenants AS t WHERE t.id = $1::uuid";
constexpr std::string_view try_lock_artist_sql =
    "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0)), "
    "EXISTS (SELECT 1 FROM artists WHERE id = $2::uuid), "
    "($3::uuid IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = $3::uuid)), "
    "t.id, t.name, t.hold_ttl_minutes, t.hold_max_minutes, t.pencil_ttl_hours, "
    "t.challenge_window_hours FROM tenants AS t WHERE t.id = $1::uuid";

// The lock of lock_artist_sql, reached through a booking id ($2).
constexpr std::string_view lock_booking_artist_sql =
    "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || b.artist_id::text, 0)), true, "
    "true, t.id, t.name, t.hold_ttl_minutes, t.hold_max_minutes, t.pencil_ttl_hours, "
    "t.challenge_window_hours FROM tenants AS t, bookings AS b "
    "WHERE t.id = $1::uuid AND b.id = $2::uuid";

const std::string& find_booking_sql() {
    static const std::string sql =
        "SELECT " + std::string(booking_columns) + " FROM bookings AS b WHERE b.id = $1::uuid";
    return sql;
}
const std::string& find_booking_for_update_sql() {
    static const std::string sql = find_booking_sql() + " FOR UPDATE OF b";
    return sql;
}
const std::string& lock_booking_skip_locked_sql() {
    static const std::string sql = find_booking_sql() + " FOR UPDATE OF b SKIP LOCKED";
    return sql;
}
const std::string& calendar_sql() {
    static const std::string sql =
        "SELECT " + std::string(booking_columns) +
        " FROM bookings AS b WHERE b.artist_id = $1::uuid "
        "AND b.status IN ('hold', 'pencil', 'confirmed') "
        "AND tstzrange(b.start_time, b.end_time, '[)') && $2::tstzmultirange "
        // Btree bounds for the planner (a booking lasts at most 31 days): under RLS it does not
        // use the GiST range index, and without them it would walk the artist's whole history.
        "AND b.start_time < upper($2::tstzmultirange) "
        "AND b.start_time > lower($2::tstzmultirange) - interval '31 days' "
        "ORDER BY b.start_time, b.id";
    return sql;
}
// calendar_sql for the artist of booking $1, over its range plus the ranges $2.
const std::string& booking_calendar_sql() {
    static const std::string sql =
        "SELECT " + std::string(booking_columns) +
        " FROM bookings AS t, bookings AS b, LATERAL (SELECT "
        "tstzmultirange(tstzrange(t.start_time, t.end_time, '[)')) + $2::tstzmultirange AS r) "
        "AS w WHERE t.id = $1::uuid AND b.artist_id = t.artist_id "
        "AND b.status IN ('hold', 'pencil', 'confirmed') "
        "AND tstzrange(b.start_time, b.end_time, '[)') && w.r "
        "AND b.start_time < upper(w.r) AND b.start_time > lower(w.r) - interval '31 days' "
        "ORDER BY b.start_time, b.id";
    return sql;
}
const std::string& bookings_by_id_sql() {
    static const std::string sql = "SELECT " + std::string(booking_columns) +
                                   " FROM bookings AS b WHERE b.id = ANY($1::uuid[])";
    return sql;
}
const std::string& exclusive_overlaps_sql() {
    static const std::string sql = "SELECT " + std::string(booking_columns) +
                                   " FROM bookings AS b WHERE b.artist_id = $1::uuid "
                                   "AND b.status IN ('pencil', 'confirmed') "
                                   "AND tstzrange(b.start_time, b.end_time, '[)') && "
                                   "tstzrange($2::timestamptz, $3::timestamptz, '[)') "
                                   "AND b.start_time < $3::timestamptz "
                                   "AND b.start_time > $2::timestamptz - interval '31 days' "
                                   "AND ($4::uuid IS NULL OR b.id <> $4::uuid) "
                                   "AND (b.status = 'confirmed' OR b.expires_at > $5::timestamptz "
                                   "OR b.challenge_by_booking_id IS NOT NULL) "
                                   "ORDER BY b.start_time, b.id";
    return sql;
}

constexpr std::string_view insert_booking_sql =
    "INSERT INTO bookings (tenant_id, id, artist_id, project_id, start_time, end_time, status, "
    "priority, expires_at, version, title, notes, status_reason, challenge_by_booking_id, "
    "challenge_deadline, availability_overridden, created_by, created_at, updated_at) VALUES "
    "($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::timestamptz, $6::timestamptz, $7, $8::int, "
    "$9::timestamptz, $10::int, $11, $12, $13, $14::uuid, $15::timestamptz, $16::boolean, $17, "
    "$18::timestamptz, $19::timestamptz)";
// Guarded by the version read: no match raises 40001 inside the pipeline (0002_write_guard.sql),
// so a COMMIT queued behind it never runs.
constexpr std::string_view update_booking_sql =
    "WITH u AS (UPDATE bookings SET project_id = $3::uuid, start_time = $4::timestamptz, "
    "end_time = $5::timestamptz, status = $6, priority = $7::int, expires_at = $8::timestamptz, "
    "version = $9::int, title = $10, notes = $11, status_reason = $12, "
    "challenge_by_booking_id = $13::uuid, challenge_deadline = $14::timestamptz, "
    "availability_overridden = $15::boolean, updated_at = $16::timestamptz "
    "WHERE id = $1::uuid AND version = $2::int RETURNING 1) "
    "SELECT ptool_expect_one_row((SELECT count(*) FROM u), 'booking')";
constexpr std::string_view insert_event_sql =
    "INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, "
    "payload) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::timestamptz, $7::jsonb)";

constexpr std::string_view event_columns =
    "e.seq, e.type, e.booking_id, e.artist_id, e.actor, " PTOOL_US("e.occurred_at"
    ) ", e.payload::text";

const std::string& booking_events_sql() {
    static const std::string sql = "SELECT " + std::string(event_columns) +
                                   " FROM booking_events AS e WHERE e.booking_id = $1::uuid "
                                   "AND e.seq > $2::int8 ORDER BY e.seq LIMIT $3::int";
    return sql;
}
const std::string& events_sql() {
    static const std::string sql = "SELECT " + std::string(event_columns) +
                                   " FROM booking_events AS e WHERE e.seq > $1::int8 "
                                   "AND e.seq <= $2::int8 ORDER BY e.seq LIMIT $3::int";
    return sql;
}

constexpr std::string_view watermark_sql =
    "SELECT pg_current_snapshot()::text, coalesce((SELECT e.seq FROM booking_events AS e "
    "ORDER BY e.seq DESC LIMIT 1), 0)";
constexpr std::string_view watermark_fence_sql = "SELECT pg_current_xact_id()::text";
// Every xid of the snapshot's xip and of [xmax, fence) must have ended (see event_watermark).
constexpr std::string_view watermark_final_sql =
    "SELECT coalesce(bool_and(pg_xact_status(t.x) IS DISTINCT FROM 'in progress'), true) "
    "FROM (SELECT x FROM pg_snapshot_xip($1::pg_snapshot) AS x UNION ALL "
    "SELECT g::text::xid8 FROM generate_series(pg_snapshot_xmax($1::pg_snapshot)::text::int8, "
    "$2::int8 - 1) AS g) AS t";
constexpr std::string_view due_sql =
    "SELECT tenant_id, booking_id FROM ptool_due_bookings($1::timestamptz, $2::int)";

#undef PTOOL_US

std::optional<instant> opt_instant(const platform::pg_result& r, int row, int col) {
    auto v = r.opt(row, col);
    if (!v) return std::nullopt;
    return us_to_instant(*v);
}

booking_row read_booking(const platform::pg_result& r, int row) {
    booking_row out;
    auto& b = out.booking;
    b.id = std::string(r.get(row, 0));
    b.artist_id = std::string(r.get(row, 1));
    b.project_id = opt_string(r, row, 2);
    b.start_time = us_to_instant(r.get(row, 3));
    b.end_time = us_to_instant(r.get(row, 4));
    b.status = domain::parse_booking_status(r.get(row, 5)).value_or(domain::booking_status::hold);
    b.priority = static_cast<int>(int8_value(r.get(row, 6)));
    b.expires_at = opt_instant(r, row, 7);
    b.version = static_cast<int>(int8_value(r.get(row, 8)));
    b.title = opt_string(r, row, 9);
    b.notes = opt_string(r, row, 10);
    b.status_reason = opt_string(r, row, 11);
    if (auto by = r.opt(row, 12)) {
        b.challenge = domain::challenge_info{std::string(*by), us_to_instant(r.get(row, 13))};
    }
    b.created_by = std::string(r.get(row, 14));
    b.created_at = us_to_instant(r.get(row, 15));
    b.updated_at = us_to_instant(r.get(row, 16));
    out.is_challenger = r.get(row, 17) == "t";
    b.availability_overridden = r.get(row, 18) == "t";
    return out;
}

std::optional<std::string> opt_time(const std::optional<instant>& t) {
    if (!t) return std::nullopt;
    return domain::format_instant(*t);
}

// {["a","b"),["c","d")} for a tstzmultirange parameter.
std::string multirange_literal(const std::vector<std::pair<instant, instant>>& ranges) {
    std::string s = "{";
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i > 0) s += ',';
        s += "[\"" + domain::format_instant(ranges[i].first) + "\",\"" +
             domain::format_instant(ranges[i].second) + "\")";
    }
    s += '}';
    return s;
}

std::string uuid_array_literal(const std::vector<std::string>& ids) {
    std::string s = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) s += ',';
        s += ids[i];
    }
    s += '}';
    return s;
}

bool covered(const domain::booking& b, const std::vector<std::pair<instant, instant>>& ranges) {
    return std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) {
        return r.first <= b.start_time && b.end_time <= r.second;
    });
}

event_row read_event(const platform::pg_result& r, int row) {
    return event_row{
        int8_value(r.get(row, 0)),
        std::string(r.get(row, 1)),
        std::string(r.get(row, 2)),
        std::string(r.get(row, 3)),
        std::string(r.get(row, 4)),
        us_to_instant(r.get(row, 5)),
        std::string(r.get(row, 6)),
    };
}

platform::pg_params booking_values(const domain::booking& b) {
    return platform::pg_params{
        b.project_id,
        domain::format_instant(b.start_time),
        domain::format_instant(b.end_time),
        std::string(domain::to_string(b.status)),
        std::to_string(b.priority),
        opt_time(b.expires_at),
        std::to_string(b.version),
        b.title,
        b.notes,
        b.status_reason,
        b.challenge ? std::optional<std::string>(b.challenge->by_booking_id) : std::nullopt,
        b.challenge ? std::optional<std::string>(domain::format_instant(b.challenge->deadline))
                    : std::nullopt,
        std::string(b.availability_overridden ? "true" : "false"),
    };
}

// Preferences that restrict nothing need no checks (nullopt = always available).
std::optional<domain::availability> restricting(std::optional<domain::availability> a) {
    if (a && unrestricted(*a)) return std::nullopt;
    return a;
}

artist_lock read_lock(const platform::pg_result& r, bool try_only) {
    artist_lock out;
    if (r.rows() != 1) {
        out.artist_exists = false;
        return out;
    }
    out.locked = !try_only || r.get(0, 0) == "t";
    out.artist_exists = r.get(0, 1) == "t";
    out.project_exists = r.get(0, 2) == "t";
    out.settings.id = std::string(r.get(0, 3));
    out.settings.name = std::string(r.get(0, 4));
    out.settings.hold_ttl_minutes = static_cast<int>(int8_value(r.get(0, 5)));
    out.settings.hold_max_minutes = static_cast<int>(int8_value(r.get(0, 6)));
    out.settings.pencil_ttl_hours = static_cast<int>(int8_value(r.get(0, 7)));
    out.settings.challenge_window_hours = static_cast<int>(int8_value(r.get(0, 8)));
    return out;
}

}  // namespace

boost::asio::awaitable<artist_lock> lock_artist(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const std::optional<std::string>& project_id,
    bool try_only
) {
    platform::pg_params params{tenant_id, artist_id, project_id};
    auto r = co_await c.query(try_only ? try_lock_artist_sql : lock_artist_sql, std::move(params));
    co_return read_lock(r, try_only);
}

boost::asio::awaitable<std::optional<booking_row>> find_booking(
    platform::pg_connection& c, const std::string& id, bool for_update
) {
    platform::pg_params params{id};
    auto r = co_await c.query(
        for_update ? find_booking_for_update_sql() : find_booking_sql(), std::move(params)
    );
    if (r.rows() == 0) co_return std::nullopt;
    co_return read_booking(r, 0);
}

boost::asio::awaitable<std::optional<booking_row>> lock_booking_skip_locked(
    platform::pg_connection& c, const std::string& id
) {
    platform::pg_params params{id};
    auto r = co_await c.query(lock_booking_skip_locked_sql(), std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return read_booking(r, 0);
}

namespace {

// Closes `rows` (the calendar over `ranges`) over challenges: while a challenge party lies
// outside the ranges, widen and reload. Each round adds at least one range, and a challenge
// graph is small (a hold and the few pencils it overlaps), so this ends quickly.
boost::asio::awaitable<domain::calendar> close_calendar(
    platform::pg_connection& c,
    const std::string& artist_id,
    std::vector<std::pair<domain::instant, domain::instant>> ranges,
    platform::pg_result first
) {
    platform::pg_result r = std::move(first);
    domain::calendar cal;
    for (int round = 0; round < 8; ++round) {
        std::vector<booking_row> rows;
        rows.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) rows.push_back(read_booking(r, i));

        std::set<std::string> ids;
        for (const auto& row : rows) ids.insert(row.booking.id);
        std::vector<std::string> missing;
        std::size_t before = ranges.size();
        for (const auto& row : rows) {
            const auto& b = row.booking;
            if (row.is_challenger && !covered(b, ranges))
                ranges.emplace_back(b.start_time, b.end_time);
            if (b.challenge && !ids.count(b.challenge->by_booking_id)) {
                missing.push_back(b.challenge->by_booking_id);
            }
        }
        if (!missing.empty()) {
            platform::pg_params p2{uuid_array_literal(missing)};
            auto m = co_await c.query(bookings_by_id_sql(), std::move(p2));
            for (int i = 0; i < m.rows(); ++i) {
                auto row = read_booking(m, i);
                if (!covered(row.booking, ranges)) {
                    ranges.emplace_back(row.booking.start_time, row.booking.end_time);
                }
                if (domain::is_active(row.booking.status)) continue;  // reloaded below if active
                rows.push_back(std::move(row));                       // terminal: keep as is
            }
        }
        cal.bookings.clear();
        for (auto& row : rows) cal.bookings.push_back(std::move(row.booking));
        if (ranges.size() == before) break;
        platform::pg_params params{artist_id, multirange_literal(ranges)};
        r = co_await c.query(calendar_sql(), std::move(params));
    }
    co_return cal;
}

}  // namespace

boost::asio::awaitable<domain::calendar> load_calendar(
    platform::pg_connection& c,
    const std::string& artist_id,
    std::vector<std::pair<domain::instant, domain::instant>> ranges
) {
    platform::pg_params params{artist_id, multirange_literal(ranges)};
    auto r = co_await c.query(calendar_sql(), std::move(params));
    co_return co_await close_calendar(c, artist_id, std::move(ranges), std::move(r));
}

boost::asio::awaitable<create_context> lock_for_create(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const std::optional<std::string>& project_id,
    std::pair<domain::instant, domain::instant> range
) {
    std::vector<std::pair<domain::instant, domain::instant>> ranges{range};
    // One round trip: the lock, then (in the same pipeline, so under the lock) the calendar.
    std::vector<platform::pg_statement> stmts;
    stmts.push_back(
        {std::string(lock_artist_sql), platform::pg_params{tenant_id, artist_id, project_id}}
    );
    stmts.push_back({calendar_sql(), platform::pg_params{artist_id, multirange_literal(ranges)}});
    stmts.push_back(availability_statement(artist_id));
    auto results = co_await c.pipeline(std::move(stmts));
    create_context out;
    out.lock = read_lock(results[0], false);
    if (!out.lock.artist_exists) co_return out;
    out.cal = co_await close_calendar(c, artist_id, std::move(ranges), std::move(results[1]));
    out.cal.preferences = restricting(read_availability_result(results[2]));
    co_return out;
}

boost::asio::awaitable<target_context> lock_for_booking(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& booking_id,
    std::vector<std::pair<domain::instant, domain::instant>> extra
) {
    // One round trip: lock the booking's artist, read the booking, and its calendar over its
    // own range plus `extra` (the artist of a booking never changes, so the lock taken through
    // the subquery is the right one).
    std::vector<platform::pg_statement> stmts;
    stmts.push_back(
        {std::string(lock_booking_artist_sql), platform::pg_params{tenant_id, booking_id}}
    );
    stmts.push_back({find_booking_for_update_sql(), platform::pg_params{booking_id}});
    stmts.push_back(
        {booking_calendar_sql(), platform::pg_params{booking_id, multirange_literal(extra)}}
    );
    stmts.push_back(availability_of_booking_statement(booking_id));
    auto results = co_await c.pipeline(std::move(stmts));
    target_context out;
    if (results[1].rows() == 0) co_return out;
    out.lock = read_lock(results[0], false);
    out.row = read_booking(results[1], 0);
    const auto& b = out.row->booking;
    extra.emplace_back(b.start_time, b.end_time);
    out.cal = co_await close_calendar(c, b.artist_id, std::move(extra), std::move(results[2]));
    out.cal.preferences = restricting(read_availability_result(results[3]));
    co_return out;
}

platform::pg_statement active_bookings_statement(
    const std::string& artist_id, domain::instant from, domain::instant to
) {
    return {calendar_sql(), platform::pg_params{artist_id, multirange_literal({{from, to}})}};
}

std::vector<booking_row> read_booking_rows(const platform::pg_result& r) {
    return read_rows(r, &read_booking);
}

boost::asio::awaitable<std::vector<domain::booking>> find_exclusive_overlaps(
    platform::pg_connection& c,
    const std::string& artist_id,
    domain::instant from,
    domain::instant to,
    const std::optional<std::string>& except_id,
    domain::instant now
) {
    // Lapsed pencils are not conflicts (SPEC §3.1).
    platform::pg_params params{
        artist_id,
        domain::format_instant(from),
        domain::format_instant(to),
        except_id,
        domain::format_instant(now),
    };
    auto r = co_await c.query(exclusive_overlaps_sql(), std::move(params));
    std::vector<domain::booking> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_booking(r, i).booking);
    co_return out;
}

boost::asio::awaitable<void> write_changes(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    domain::instant now,
    const std::vector<domain::booking_change>& changes,
    const std::vector<std::string>& payloads,
    bool commit
) {
    std::vector<platform::pg_statement> stmts;
    stmts.reserve(changes.size() * 2);
    auto now_text = domain::format_instant(now);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& ch = changes[i];
        const auto& b = ch.after;
        auto values = booking_values(b);
        if (!ch.before) {
            platform::pg_params p{tenant_id, b.id, b.artist_id};
            p.insert(p.end(), values.begin(), values.end());
            p.push_back(std::optional<std::string>(b.created_by));
            p.push_back(std::optional<std::string>(domain::format_instant(b.created_at)));
            p.push_back(std::optional<std::string>(domain::format_instant(b.updated_at)));
            stmts.push_back({std::string(insert_booking_sql), std::move(p)});
        } else {
            platform::pg_params p{b.id, std::to_string(ch.before->version)};
            p.insert(p.end(), values.begin(), values.end());
            p.push_back(std::optional<std::string>(domain::format_instant(b.updated_at)));
            stmts.push_back({std::string(update_booking_sql), std::move(p)});
        }
        platform::pg_params e{
            tenant_id,
            b.id,
            b.artist_id,
            std::string(domain::to_string(ch.type)),
            actor,
            now_text,
            payloads.at(i),
        };
        stmts.push_back({std::string(insert_event_sql), std::move(e)});
    }
    if (commit) stmts.push_back({"COMMIT", {}});
    co_await c.pipeline(std::move(stmts));
}

boost::asio::awaitable<std::vector<booking_row>> list_bookings(
    platform::pg_connection& c, const booking_query& q, domain::instant now
) {
    std::string sql = "SELECT " + std::string(booking_columns) + " FROM bookings AS b WHERE true";
    platform::pg_params params;
    auto add = [&](std::optional<std::string> v) {
        params.push_back(std::move(v));
        return "$" + std::to_string(params.size());
    };
    if (q.artist_id) sql += " AND b.artist_id = " + add(*q.artist_id) + "::uuid";
    if (q.project_id) sql += " AND b.project_id = " + add(*q.project_id) + "::uuid";
    if (q.to) sql += " AND b.start_time < " + add(domain::format_instant(*q.to)) + "::timestamptz";
    if (q.from) {
        auto p = add(domain::format_instant(*q.from));
        // end_time > from; the 31-day duration limit bounds the index scan from below.
        sql += " AND b.end_time > " + p + "::timestamptz AND b.start_time > " + p +
               "::timestamptz - interval '31 days'";
    }
    if (!q.statuses.empty()) {
        std::string list = "{";
        for (std::size_t i = 0; i < q.statuses.size(); ++i) {
            if (i > 0) list += ',';
            list += std::string(domain::to_string(q.statuses[i]));
        }
        list += '}';
        auto status_sql = std::string(effective_status_sql);
        status_sql.replace(status_sql.find("{now}"), 5, add(domain::format_instant(now)));
        sql += " AND (" + status_sql + ") = ANY(" + add(list) + "::text[])";
    }
    if (q.after) {
        auto t = add(domain::format_instant(q.after->first));
        auto id = add(q.after->second);
        sql += " AND (b.start_time, b.id) > (" + t + "::timestamptz, " + id + "::uuid)";
    }
    sql += " ORDER BY b.start_time, b.id LIMIT " + add(std::to_string(q.limit + 1)) + "::int";
    auto r = co_await c.query(sql, std::move(params));
    std::vector<booking_row> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_booking(r, i));
    co_return out;
}

boost::asio::awaitable<std::vector<event_row>> list_booking_events(
    platform::pg_connection& c, const std::string& booking_id, long long after_seq, int limit
) {
    platform::pg_params params{booking_id, std::to_string(after_seq), std::to_string(limit + 1)};
    auto r = co_await c.query(booking_events_sql(), std::move(params));
    std::vector<event_row> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_event(r, i));
    co_return out;
}

boost::asio::awaitable<std::vector<event_row>> list_events(
    platform::pg_connection& c, long long after_seq, long long through_seq, int limit
) {
    platform::pg_params params{
        std::to_string(after_seq), std::to_string(through_seq), std::to_string(limit)};
    auto r = co_await c.query(events_sql(), std::move(params));
    std::vector<event_row> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_event(r, i));
    co_return out;
}

event_watermark watermark_from(const std::vector<platform::pg_result>& r) {
    return event_watermark{
        int8_value(r.at(0).get(0, 1)),
        std::string(r.at(0).get(0, 0)),
        int8_value(r.at(1).get(0, 0))};
}

boost::asio::awaitable<event_watermark> read_event_watermark(platform::pg_connection& c) {
    std::vector<platform::pg_statement> stmts{
        {std::string(watermark_sql), {}}, {std::string(watermark_fence_sql), {}}};
    co_return watermark_from(co_await c.pipeline(std::move(stmts)));
}

boost::asio::awaitable<bool> watermark_final(
    platform::pg_connection& c, const event_watermark& wm
) {
    platform::pg_params params{wm.snapshot, std::to_string(wm.fence)};
    auto r = co_await c.query(watermark_final_sql, std::move(params));
    co_return r.get(0, 0) == "t";
}

boost::asio::awaitable<std::vector<due_booking>> find_due_bookings(
    platform::pg_connection& c, domain::instant now, int limit
) {
    platform::pg_params params{domain::format_instant(now), std::to_string(limit)};
    auto r = co_await c.query(due_sql, std::move(params));
    std::vector<due_booking> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({std::string(r.get(i, 0)), std::string(r.get(i, 1))});
    }
    co_return out;
}

}  // namespace ptool::store
