#pragma once
// SQL for tenants. Every function runs on a connection inside a transaction whose
// app.tenant_id is already set (RLS shows only that tenant's row). Throws db_error /
// db_unavailable like the connection does.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "domain/tenant.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// `for_update` takes the row lock (FOR UPDATE) in the same statement.
boost::asio::awaitable<std::optional<domain::tenant_settings>> find_tenant(
    platform::pg_connection& c, const std::string& tenant_id, bool for_update = false
);

// Writes all settings of `t` (which must exist); returns false when no row was visible.
boost::asio::awaitable<bool> save_tenant(
    platform::pg_connection& c, const domain::tenant_settings& t, const std::string& now_utc
);

// Inserts a tenant with default settings. The transaction's tenant must be `id` (RLS).
boost::asio::awaitable<void> insert_tenant(
    platform::pg_connection& c, const std::string& id, const std::string& name, const std::string& now_utc
);

}  // namespace ptool::store
