// Artist rows: insert, read one, keyset-paged list, update. Instants travel as microseconds
// since the epoch (store/rows.hpp).

#include "store/artist_store.hpp"

#include "store/rows.hpp"

namespace ptool::store {

namespace {

// See tenant_store.cpp on GCC 12: parameter lists are built before co_await.
#define PTOOL_ARTIST_COLUMNS                                                                       \
    "id::text, name, timezone, email, user_id, (extract(epoch FROM created_at) * 1000000)::int8, " \
    "(extract(epoch FROM updated_at) * 1000000)::int8"

constexpr std::string_view insert_sql =
    "INSERT INTO artists (tenant_id, id, name, timezone, email, user_id, created_at, updated_at) "
    "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz)";
constexpr std::string_view select_sql =
    "SELECT " PTOOL_ARTIST_COLUMNS " FROM artists WHERE id = $1::uuid";
constexpr std::string_view select_for_update_sql =
    "SELECT " PTOOL_ARTIST_COLUMNS " FROM artists WHERE id = $1::uuid FOR UPDATE";
constexpr std::string_view list_first_sql =
    "SELECT " PTOOL_ARTIST_COLUMNS " FROM artists ORDER BY created_at, id LIMIT $1::int4";
constexpr std::string_view list_after_sql =
    "SELECT " PTOOL_ARTIST_COLUMNS
    " FROM artists WHERE (created_at, id) > ($1::timestamptz, $2::uuid) "
    "ORDER BY created_at, id LIMIT $3::int4";
constexpr std::string_view update_sql =
    "UPDATE artists SET name = $2, timezone = $3, email = $4, user_id = $5, "
    "updated_at = $6::timestamptz WHERE id = $1::uuid";

#undef PTOOL_ARTIST_COLUMNS

artist read_artist(const platform::pg_result& r, int row) {
    artist a;
    a.id = std::string(r.get(row, 0));
    a.name = std::string(r.get(row, 1));
    a.timezone = std::string(r.get(row, 2));
    a.email = opt_string(r, row, 3);
    a.user_id = opt_string(r, row, 4);
    a.created_at = us_to_instant(r.get(row, 5));
    a.updated_at = us_to_instant(r.get(row, 6));
    return a;
}

}  // namespace

boost::asio::awaitable<void> insert_artist(
    platform::pg_connection& c, const std::string& tenant_id, const artist& a
) {
    platform::pg_params params{
        tenant_id,
        a.id,
        a.name,
        a.timezone,
        a.email,
        a.user_id,
        domain::format_instant(a.created_at),
        domain::format_instant(a.updated_at)};
    co_await c.query(insert_sql, std::move(params));
}

boost::asio::awaitable<std::optional<artist>> find_artist(
    platform::pg_connection& c, const std::string& id, bool for_update
) {
    platform::pg_params params{id};
    auto r = co_await c.query(for_update ? select_for_update_sql : select_sql, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return read_artist(r, 0);
}

boost::asio::awaitable<std::vector<artist>> list_artists(
    platform::pg_connection& c, const std::optional<artist_position>& after, int limit
) {
    auto params = keyset_params(after, limit);
    auto r = co_await c.query(after ? list_after_sql : list_first_sql, std::move(params));
    co_return read_rows(r, read_artist);
}

boost::asio::awaitable<bool> update_artist(platform::pg_connection& c, const artist& a) {
    platform::pg_params params{
        a.id, a.name, a.timezone, a.email, a.user_id, domain::format_instant(a.updated_at)};
    auto r = co_await c.query(update_sql, std::move(params));
    co_return r.affected() == 1;
}

}  // namespace ptool::store
