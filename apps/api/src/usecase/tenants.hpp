#pragma once
// Tenant operations: existence (for authentication), read and change settings, create.
// Each runs as one transaction with the tenant set first. Throws db_unavailable when the
// database cannot be reached.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <variant>

#include "domain/tenant.hpp"
#include "domain/time.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::usecase {

boost::asio::awaitable<bool> tenant_exists(platform::pg_pool& pool, std::string tenant_id);

boost::asio::awaitable<std::optional<domain::tenant_settings>> get_tenant(
    platform::pg_pool& pool, std::string tenant_id
);

struct tenant_not_found {};
using update_tenant_result =
    std::variant<domain::tenant_settings, domain::field_errors, tenant_not_found>;

// Applies `patch` under a row lock, so concurrent PATCHes never mix. `input_errors` (from
// decoding the body) are reported together with the domain's, and nothing is written then.
boost::asio::awaitable<update_tenant_result> update_tenant(
    platform::pg_pool& pool,
    std::string tenant_id,
    domain::tenant_patch patch,
    domain::field_errors input_errors,
    domain::instant now
);

// Creates a tenant with default settings; returns its new UUID.
boost::asio::awaitable<std::string> create_tenant(
    platform::pg_pool& pool, std::string name, domain::instant now
);

}  // namespace ptool::usecase
