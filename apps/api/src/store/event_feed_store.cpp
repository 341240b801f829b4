// The pump's cross-tenant reads: they call the SECURITY DEFINER functions of migrations 0001 and
// 0004, which see every tenant only for their own duration.

#include "store/event_feed_store.hpp"


#include "store/rows.hpp"

namespace ptool::store {

namespace {

constexpr std::string_view global_watermark_sql =
    "SELECT w.snapshot::text, w.max_seq FROM ptool_event_watermark() AS w";
constexpr std::string_view all_events_sql =
    "SELECT e.tenant_id, e.seq, e.type, e.booking_id, e.artist_id, e.actor, "
    "(extract(epoch FROM e.occurred_at) * 1000000)::int8, e.payload::text "
    "FROM ptool_events_between($1::int8, $2::int8, $3::int) AS e";
constexpr std::string_view changed_since_sql =
    "SELECT c.tenant_id, c.artist_id FROM ptool_availability_changed_since($1::timestamptz) AS c";
constexpr std::string_view latest_tenant_seq_sql =
    "SELECT coalesce((SELECT e.seq FROM booking_events AS e WHERE e.seq <= $1::int8 "
    "ORDER BY e.seq DESC LIMIT 1), 0)";

}  // namespace

boost::asio::awaitable<event_watermark> read_global_watermark(platform::pg_connection& c) {
    std::vector<platform::pg_statement> stmts{
        {std::string(global_watermark_sql), {}}, {"SELECT pg_current_xact_id()::text", {}}};
    co_return watermark_from(co_await c.pipeline(std::move(stmts)));
}

boost::asio::awaitable<std::vector<feed_event>> list_all_events(
    platform::pg_connection& c, long long after_seq, long long through_seq, int limit
) {
    platform::pg_params params{
        std::to_string(after_seq), std::to_string(through_seq), std::to_string(limit)};
    auto r = co_await c.query(all_events_sql, std::move(params));
    std::vector<feed_event> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(feed_event{
            std::string(r.get(i, 0)),
            event_row{
                int8_value(r.get(i, 1)),
                std::string(r.get(i, 2)),
                std::string(r.get(i, 3)),
                std::string(r.get(i, 4)),
                std::string(r.get(i, 5)),
                us_to_instant(r.get(i, 6)),
                std::string(r.get(i, 7)),
            },
        });
    }
    co_return out;
}

boost::asio::awaitable<std::vector<artist_ref>> availability_changed_since(
    platform::pg_connection& c, domain::instant since
) {
    platform::pg_params params{domain::format_instant(since)};
    auto r = co_await c.query(changed_since_sql, std::move(params));
    std::vector<artist_ref> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(artist_ref{std::string(r.get(i, 0)), std::string(r.get(i, 1))});
    }
    co_return out;
}

boost::asio::awaitable<long long> latest_tenant_seq(
    platform::pg_connection& c, long long through_seq
) {
    platform::pg_params params{std::to_string(through_seq)};
    auto r = co_await c.query(latest_tenant_seq_sql, std::move(params));
    co_return int8_value(r.get(0, 0));
}

}  // namespace ptool::store
