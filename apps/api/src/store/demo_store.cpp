// Demo rows in one pipelined round trip.

#include "store/demo_store.hpp"

namespace ptool::store {

boost::asio::awaitable<void> insert_demo(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& name,
    const std::string& now_utc
) {
    std::vector<platform::pg_statement> stmts;
    stmts.push_back(
        {"INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($1::uuid, $2, "
         "$3::timestamptz, "
         "$3::timestamptz) ON CONFLICT (id) DO NOTHING",
         {tenant_id, name, now_utc}}
    );
    struct artist {
        const char *id, *name, *tz, *email;
    };
    static constexpr artist artists[] = {
        {"d3d0d3d0-0000-4000-8000-00000000a001",
         "Mara Lindqvist",
         "Europe/Berlin",
         "mara@example.com"},
        {"d3d0d3d0-0000-4000-8000-00000000a002",
         "Jonah Reyes",
         "America/New_York",
         "jonah@example.com"},
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
    // Availability preferences (SPEC §5), in the stored wire form; Aiko has none (always
    // available).
    struct preferences {
        const char *artist_id, *weekly;
    };
    static constexpr preferences prefs[] = {
        {"d3d0d3d0-0000-4000-8000-00000000a001",
         R"([{"day":"mon","start":"09:00","end":"18:00"},{"day":"tue","start":"09:00","end":"18:00"},)"
         R"({"day":"wed","start":"09:00","end":"18:00"},{"day":"thu","start":"09:00","end":"18:00"},)"
         R"({"day":"fri","start":"09:00","end":"18:00"},{"day":"sat","start":"10:00","end":"14:00"}])"},
        {"d3d0d3d0-0000-4000-8000-00000000a002",
         R"([{"day":"mon","start":"10:00","end":"19:00"},{"day":"tue","start":"10:00","end":"19:00"},)"
         R"({"day":"wed","start":"10:00","end":"19:00"},{"day":"thu","start":"10:00","end":"19:00"},)"
         R"({"day":"fri","start":"10:00","end":"19:00"},{"day":"fri","start":"21:00","end":"02:00"}])"},
        {"d3d0d3d0-0000-4000-8000-00000000a004",
         R"([{"day":"tue","start":"12:00","end":"22:00"},{"day":"wed","start":"12:00","end":"22:00"},)"
         R"({"day":"thu","start":"12:00","end":"22:00"},{"day":"fri","start":"12:00","end":"22:00"},)"
         R"({"day":"sat","start":"12:00","end":"22:00"}])"},
    };
    for (const auto& p : prefs) {
        stmts.push_back(
            {"INSERT INTO artist_availability (tenant_id, artist_id, weekly, overrides, "
             "updated_at) "
             "VALUES ($1::uuid, $2::uuid, $3::jsonb, '[]', $4::timestamptz) ON CONFLICT DO NOTHING",
             {tenant_id, p.artist_id, p.weekly, now_utc}}
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
