// Reads for `ptool verify-events`: tenant ids and pages of bookings with their event histories.
// Instants travel as epoch microseconds so that nothing depends on the session's TimeZone.

#include "store/verify_store.hpp"

#include <boost/json/parse.hpp>
#include <stdexcept>

#include "store/rows.hpp"

namespace ptool::store {

namespace {

constexpr std::string_view tenant_ids_sql = "SELECT id::text FROM ptool_tenant_ids() AS id";

// The events are aggregated in the same statement as the rows (one snapshot). The primary key
// (tenant_id, id) serves the keyset order; booking_events_booking_seq_idx the history.
constexpr std::string_view histories_sql =
    "SELECT b.id::text, b.artist_id::text, b.project_id::text, "
    "       (extract(epoch FROM b.start_time) * 1000000)::bigint, "
    "       (extract(epoch FROM b.end_time) * 1000000)::bigint, "
    "       b.status, b.priority, "
    "       (extract(epoch FROM b.expires_at) * 1000000)::bigint, "
    "       b.version, b.title, b.notes, b.status_reason, b.challenge_by_booking_id::text, "
    "       (extract(epoch FROM b.challenge_deadline) * 1000000)::bigint, "
    "       b.created_by, "
    "       (extract(epoch FROM b.created_at) * 1000000)::bigint, "
    "       (extract(epoch FROM b.updated_at) * 1000000)::bigint, "
    "       coalesce((SELECT json_agg(json_build_object('seq', e.seq, 'type', e.type, "
    "                                                   'artistId', e.artist_id, "
    "                                                   'payload', e.payload) ORDER BY e.seq) "
    "                   FROM booking_events AS e "
    "                  WHERE e.tenant_id = b.tenant_id AND e.booking_id = b.id), "
    "                '[]'::json)::text "
    "  FROM bookings AS b "
    " WHERE b.tenant_id = $1::uuid AND ($2::uuid IS NULL OR b.id > $2::uuid) "
    " ORDER BY b.id "
    " LIMIT $3::integer";

std::optional<domain::instant> opt_instant(const platform::pg_result& r, int row, int col) {
    auto v = r.opt(row, col);
    if (!v) {
        return std::nullopt;
    }
    return us_to_instant(*v);
}

std::vector<stored_booking_event> parse_events(std::string_view text) {
    std::vector<stored_booking_event> out;
    const auto doc = boost::json::parse(text);
    for (const auto& item : doc.as_array()) {
        const auto& o = item.as_object();
        stored_booking_event e;
        e.seq = o.at("seq").to_number<long long>();
        e.type = std::string(o.at("type").as_string());
        e.artist_id = std::string(o.at("artistId").as_string());
        e.payload = o.at("payload");
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace

boost::asio::awaitable<std::vector<std::string>> list_all_tenant_ids(platform::pg_connection& c) {
    auto r = co_await c.query(tenant_ids_sql);
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        ids.emplace_back(r.get(i, 0));
    }
    co_return ids;
}

boost::asio::awaitable<std::vector<booking_history>> read_booking_histories(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::optional<std::string>& after_id,
    int limit
) {
    platform::pg_params params{tenant_id, after_id, std::to_string(limit)};
    auto r = co_await c.query(histories_sql, std::move(params));
    std::vector<booking_history> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        booking_history h;
        auto& b = h.row;
        b.id = std::string(r.get(i, 0));
        b.artist_id = std::string(r.get(i, 1));
        b.project_id = opt_string(r, i, 2);
        b.start_time = us_to_instant(r.get(i, 3));
        b.end_time = us_to_instant(r.get(i, 4));
        b.status = std::string(r.get(i, 5));
        b.priority = static_cast<int>(int8_value(r.get(i, 6)));
        b.expires_at = opt_instant(r, i, 7);
        b.version = static_cast<int>(int8_value(r.get(i, 8)));
        b.title = opt_string(r, i, 9);
        b.notes = opt_string(r, i, 10);
        b.status_reason = opt_string(r, i, 11);
        b.challenge_by_booking_id = opt_string(r, i, 12);
        b.challenge_deadline = opt_instant(r, i, 13);
        b.created_by = std::string(r.get(i, 14));
        b.created_at = us_to_instant(r.get(i, 15));
        b.updated_at = us_to_instant(r.get(i, 16));
        h.events = parse_events(r.get(i, 17));
        out.push_back(std::move(h));
    }
    co_return out;
}

}  // namespace ptool::store
