#pragma once
// SQL for projects. Every function runs on a connection inside a transaction whose
// app.tenant_id is already set (RLS shows only that tenant's rows). Throws db_error /
// db_unavailable like the connection does. Timestamps come from the service clock.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// A project row (SPEC §2, §10 "Shapes").
struct project {
    std::string id;
    std::string name;
    std::optional<std::string> code;
    std::optional<std::string> description;
    std::optional<std::string> created_by;  // JWT sub of the creator
    domain::instant created_at;
    domain::instant updated_at;
    friend bool operator==(const project&, const project&) = default;
};

// A position in the list order (created_at, id): the last row of the previous page.
struct project_position {
    domain::instant created_at;
    std::string id;  // canonical UUID
};

// Inserts `p` (all members set by the caller, id a fresh UUID) into tenant `tenant_id`.
boost::asio::awaitable<void> insert_project(
    platform::pg_connection& c, const std::string& tenant_id, const project& p
);

// One project by id (a canonical UUID); nullopt when not visible.
boost::asio::awaitable<std::optional<project>> find_project(
    platform::pg_connection& c, const std::string& id
);

// Up to `limit` projects ordered by (created_at, id), strictly after `after` when given.
boost::asio::awaitable<std::vector<project>> list_projects(
    platform::pg_connection& c, const std::optional<project_position>& after, int limit
);

}  // namespace ptool::store
