// Availability preferences in PostgreSQL: read with the artist's zone, upsert under the lock.

#include "store/availability_store.hpp"

#include <boost/json.hpp>
#include <stdexcept>

namespace ptool::store {

namespace {

namespace json = boost::json;

constexpr std::string_view availability_sql =
    "SELECT ar.timezone, av.weekly::text, av.overrides::text FROM artists AS ar "
    "LEFT JOIN artist_availability AS av ON av.tenant_id = ar.tenant_id AND av.artist_id = ar.id "
    "WHERE ar.id = $1::uuid";
constexpr std::string_view availability_of_booking_sql =
    "SELECT ar.timezone, av.weekly::text, av.overrides::text FROM bookings AS b "
    "JOIN artists AS ar ON ar.tenant_id = b.tenant_id AND ar.id = b.artist_id "
    "LEFT JOIN artist_availability AS av ON av.tenant_id = ar.tenant_id AND av.artist_id = ar.id "
    "WHERE b.id = $1::uuid";
constexpr std::string_view upsert_sql =
    "WITH a AS (UPDATE artists SET timezone = $3, updated_at = CASE WHEN timezone = $3 "
    "THEN updated_at ELSE $6::timestamptz END WHERE id = $2::uuid RETURNING id) "
    "INSERT INTO artist_availability (tenant_id, artist_id, weekly, overrides, updated_at) "
    "SELECT $1::uuid, a.id, $4::jsonb, $5::jsonb, $6::timestamptz FROM a "
    "ON CONFLICT (tenant_id, artist_id) DO UPDATE SET weekly = excluded.weekly, "
    "overrides = excluded.overrides, updated_at = excluded.updated_at RETURNING 1";

std::string string_member(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string())
        throw std::runtime_error("stored availability: bad " + std::string(key));
    return std::string(v->get_string());
}

const json::array& as_array(const json::value& v, std::string_view what) {
    if (!v.is_array())
        throw std::runtime_error("stored availability: " + std::string(what) + " is not an array");
    return v.get_array();
}

std::vector<domain::wall_window_input> windows_of(const json::value& v) {
    std::vector<domain::wall_window_input> out;
    for (const auto& w : as_array(v, "windows")) {
        const auto& o = w.as_object();
        out.push_back({string_member(o, "start"), string_member(o, "end")});
    }
    return out;
}

domain::availability parse_stored(
    std::string timezone,
    const std::optional<std::string_view>& weekly,
    const std::optional<std::string_view>& overrides
) {
    domain::availability_input in;
    in.timezone = std::move(timezone);
    if (weekly) {
        json::value w = json::parse(*weekly);
        if (!w.is_null()) {
            std::vector<domain::weekly_window_input> list;
            for (const auto& item : as_array(w, "weekly")) {
                const auto& o = item.as_object();
                list.push_back(
                    {string_member(o, "day"), string_member(o, "start"), string_member(o, "end")}
                );
            }
            in.weekly = std::move(list);
        }
    }
    if (overrides) {
        const json::value parsed = json::parse(*overrides);
        for (const auto& item : as_array(parsed, "overrides")) {
            const auto& o = item.as_object();
            const json::value* ws = o.if_contains("windows");
            if (ws == nullptr)
                throw std::runtime_error("stored availability: override without windows");
            in.overrides.push_back({string_member(o, "date"), windows_of(*ws)});
        }
    }
    auto v = domain::validate_availability(in);
    if (!v.ok()) {
        throw std::runtime_error(
            "stored availability no longer validates: " + v.errors().front().path + " " +
            v.errors().front().message
        );
    }
    return std::move(v.value());
}

json::object window_json(const domain::wall_window& w) {
    return {
        {"start", domain::format_wall_time(w.start)},
        {"end", domain::format_wall_time(w.end)},
    };
}

}  // namespace

platform::pg_statement availability_statement(const std::string& artist_id) {
    return {std::string(availability_sql), platform::pg_params{artist_id}};
}

platform::pg_statement availability_of_booking_statement(const std::string& booking_id) {
    return {std::string(availability_of_booking_sql), platform::pg_params{booking_id}};
}

std::optional<domain::availability> read_availability_result(const platform::pg_result& r) {
    if (r.rows() == 0) return std::nullopt;
    std::optional<std::string_view> weekly;
    std::optional<std::string_view> overrides;
    if (auto w = r.opt(0, 1)) weekly = *w;
    if (auto o = r.opt(0, 2)) overrides = *o;
    return parse_stored(std::string(r.get(0, 0)), weekly, overrides);
}

boost::asio::awaitable<std::optional<domain::availability>> read_availability(
    platform::pg_connection& c, const std::string& artist_id
) {
    auto stmt = availability_statement(artist_id);
    auto r = co_await c.query(stmt.sql, std::move(stmt.params));
    co_return read_availability_result(r);
}

boost::asio::awaitable<bool> write_availability(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& artist_id,
    const domain::availability& a,
    domain::instant now
) {
    platform::pg_params params{
        tenant_id,
        artist_id,
        a.timezone,
        a.weekly ? std::optional<std::string>(weekly_json(a)) : std::nullopt,  // SQL NULL
        overrides_json(a),
        domain::format_instant(now),
    };
    auto r = co_await c.query(upsert_sql, std::move(params));
    co_return r.rows() == 1;
}

std::string weekly_json(const domain::availability& a) {
    if (!a.weekly) return "null";
    json::array out;
    for (const auto& w : *a.weekly) {
        json::object o = window_json(w.window);
        o.emplace("day", domain::format_weekday(w.day));
        out.push_back(std::move(o));
    }
    return json::serialize(out);
}

std::string overrides_json(const domain::availability& a) {
    json::array out;
    for (const auto& ov : a.overrides) {
        json::array ws;
        for (const auto& w : ov.windows) ws.push_back(window_json(w));
        out.push_back(json::object{
            {"date", domain::format_date(ov.date)}, {"windows", std::move(ws)}});
    }
    return json::serialize(out);
}

}  // namespace ptool::store
