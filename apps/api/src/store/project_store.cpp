// Project rows: insert, read one, keyset-paged list. Instants travel as microseconds since the
// epoch (store/rows.hpp).

#include "store/project_store.hpp"

#include "store/rows.hpp"

namespace ptool::store {

namespace {

// See tenant_store.cpp on GCC 12: parameter lists are built before co_await.
#define PTOOL_PROJECT_COLUMNS                            \
    "id::text, name, code, description, created_by, "    \
    "(extract(epoch FROM created_at) * 1000000)::int8, " \
    "(extract(epoch FROM updated_at) * 1000000)::int8"

constexpr std::string_view insert_sql =
    "INSERT INTO projects (tenant_id, id, name, code, description, created_by, created_at, "
    "updated_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz)";
constexpr std::string_view select_sql =
    "SELECT " PTOOL_PROJECT_COLUMNS " FROM projects WHERE id = $1::uuid";
constexpr std::string_view list_first_sql =
    "SELECT " PTOOL_PROJECT_COLUMNS " FROM projects ORDER BY created_at, id LIMIT $1::int4";
constexpr std::string_view list_after_sql =
    "SELECT " PTOOL_PROJECT_COLUMNS
    " FROM projects WHERE (created_at, id) > ($1::timestamptz, $2::uuid) "
    "ORDER BY created_at, id LIMIT $3::int4";

#undef PTOOL_PROJECT_COLUMNS

project read_project(const platform::pg_result& r, int row) {
    project p;
    p.id = std::string(r.get(row, 0));
    p.name = std::string(r.get(row, 1));
    p.code = opt_string(r, row, 2);
    p.description = opt_string(r, row, 3);
    p.created_by = opt_string(r, row, 4);
    p.created_at = us_to_instant(r.get(row, 5));
    p.updated_at = us_to_instant(r.get(row, 6));
    return p;
}

}  // namespace

boost::asio::awaitable<void> insert_project(
    platform::pg_connection& c, const std::string& tenant_id, const project& p
) {
    platform::pg_params params{
        tenant_id,
        p.id,
        p.name,
        p.code,
        p.description,
        p.created_by,
        domain::format_instant(p.created_at),
        domain::format_instant(p.updated_at)};
    co_await c.query(insert_sql, std::move(params));
}

boost::asio::awaitable<std::optional<project>> find_project(
    platform::pg_connection& c, const std::string& id
) {
    platform::pg_params params{id};
    auto r = co_await c.query(select_sql, std::move(params));
    if (r.rows() == 0) co_return std::nullopt;
    co_return read_project(r, 0);
}

boost::asio::awaitable<std::vector<project>> list_projects(
    platform::pg_connection& c, const std::optional<project_position>& after, int limit
) {
    auto params = keyset_params(after, limit);
    auto r = co_await c.query(after ? list_after_sql : list_first_sql, std::move(params));
    co_return read_rows(r, read_project);
}

}  // namespace ptool::store
