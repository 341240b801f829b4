// Tenant rows: read, update, insert. Settings ranges are also CHECK constraints in SQL.

#include "store/tenant_store.hpp"

#include <charconv>

namespace ptool::store {

namespace {

// Statements are named constants. Parameter lists are built before co_await: GCC 12 rejects a
// braced list inside a co_await expression ("array used as initializer").
constexpr std::string_view select_tenant_sql =
    "SELECT id, name, hold_ttl_minutes, hold_max_minutes, pencil_ttl_hours, "
    "challenge_window_hours FROM tenants WHERE id = $1::uuid";
constexpr std::string_view select_tenant_for_update_sql =
    "SELECT id, name, hold_ttl_minutes, hold_max_minutes, pencil_ttl_hours, "
    "challenge_window_hours FROM tenants WHERE id = $1::uuid FOR UPDATE";
constexpr std::string_view update_tenant_sql =
    "UPDATE tenants SET name = $2, hold_ttl_minutes = $3, hold_max_minutes = $4, "
    "pencil_ttl_hours = $5, challenge_window_hours = $6, updated_at = $7::timestamptz "
    "WHERE id = $1::uuid";
constexpr std::string_view insert_tenant_sql =
    "INSERT INTO tenants (id, name, created_at, updated_at) "
    "VALUES ($1::uuid, $2, $3::timestamptz, $3::timestamptz)";

int to_int(std::string_view s) {
    int v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

}  // namespace

boost::asio::awaitable<std::optional<domain::tenant_settings>> find_tenant(
    platform::pg_connection& c, const std::string& tenant_id, bool for_update
) {
    platform::pg_params params{tenant_id};
    auto r = co_await c.query(
        for_update ? select_tenant_for_update_sql : select_tenant_sql, std::move(params)
    );
    if (r.rows() == 0) co_return std::nullopt;
    domain::tenant_settings t;
    t.id = std::string(r.get(0, 0));
    t.name = std::string(r.get(0, 1));
    t.hold_ttl_minutes = to_int(r.get(0, 2));
    t.hold_max_minutes = to_int(r.get(0, 3));
    t.pencil_ttl_hours = to_int(r.get(0, 4));
    t.challenge_window_hours = to_int(r.get(0, 5));
    co_return t;
}

boost::asio::awaitable<bool> save_tenant(
    platform::pg_connection& c, const domain::tenant_settings& t, const std::string& now_utc
) {
    platform::pg_params params{t.id,
         t.name,
         std::to_string(t.hold_ttl_minutes),
         std::to_string(t.hold_max_minutes),
         std::to_string(t.pencil_ttl_hours),
         std::to_string(t.challenge_window_hours),
         now_utc};
    auto r = co_await c.query(update_tenant_sql, std::move(params));
    co_return r.affected() == 1;
}

boost::asio::awaitable<void> insert_tenant(
    platform::pg_connection& c, const std::string& id, const std::string& name, const std::string& now_utc
) {
    platform::pg_params params{id, name, now_utc};
    co_await c.query(insert_tenant_sql, std::move(params));
}

}  // namespace ptool::store
