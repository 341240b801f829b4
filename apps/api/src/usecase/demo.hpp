#pragma once
// The demo data that scripts/run seeds on first start.

#include <boost/asio/awaitable.hpp>

#include "domain/time.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::usecase {

inline constexpr const char* demo_tenant_id = "d3d0d3d0-0000-4000-8000-000000000001";
inline constexpr const char* demo_tenant_name = "Demo Agency";

// Inserts the demo tenant, its artists and a project unless they exist. Idempotent.
boost::asio::awaitable<void> seed_demo(platform::pg_pool& pool, domain::instant now);

}  // namespace ptool::usecase
