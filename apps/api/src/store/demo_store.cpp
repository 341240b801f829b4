// Demo rows in one pipelined round trip.

#include "store/demo_store.hpp"

namespace ptool::store {

boost::asio::awaitable<void> insert_demo(
    platform::pg_connection& c, const std::string& tenant_id, const std::string& name, const std::string& now_utc
) {
    std::vector<platform::pg_statement> stmts;
    stmts.push_back(
        {"INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($1::uuid, $2, $3::timestamptz, "
         "$3::timestamptz) ON CONFLICT (id) DO NOTHING",
         {tenant_id, name, now_utc}}
    );
    struct artist {
        const char *id, *name, *tz, *email;
    };
    static constexpr artist artists[] = {
        {"d3d0d3d0-0000-4000-8000-00000000a001", "Mara Lindqvist", "Europe/Berlin", "mara@example.com"},
        {"d3d0d3d0-0000-4000-8000-00000000a002", "Jonah Reyes", "America/New_York", "jonah@example.com"},
        {"d3d0d3d0-0000-4000-8000-00000000a003", "Aiko Tanaka", "Asia/Tokyo", "aiko@example.com"},
        {"d3d0d3d0-0000-4000-8000-00000000a004", "Sam Okafor", "Europe/London", "sam@example.com"},
    };
    for (const auto& a : artists) {
        stmts.push_back(
            {"INSERT INTO artists (tenant_id, id, name, timezone, email, created_at, updated_at) "
             "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::timestamptz, $6::timestamptz) "
             "ON CONFLICT DO NOTHING",
             {tenant_id, a.id, a.name, a.tz, a.email, now_utc}}
        );
    }
    stmts.push_back(
        {"INSERT INTO projects (tenant_id, id, name, created_at, updated_at) "
         "VALUES ($1::uuid, 'd3d0d3d0-0000-4000-8000-00000000b001'::uuid, 'Spring Tour 2027', "
         "$2::timestamptz, $2::timestamptz) ON CONFLICT DO NOTHING",
         {tenant_id, now_utc}}
    );
    co_await c.pipeline(std::move(stmts));
}

}  // namespace ptool::store
