#pragma once
// The route table of the service: every path of SPEC §4 and the operational endpoints.
// The collaborators arrive here, built in cli/serve.cpp, and outlive the router.

#include "http/auth.hpp"
#include "http/router.hpp"
#include "platform/clock.hpp"
#include "platform/metrics.hpp"
#include "platform/pg_pool.hpp"

namespace ptool::http {

struct services {
    platform::pg_pool& pool;
    platform::clock& clock;
    platform::metrics& metrics;
    authenticator& auth;
};

router make_router(services s);

// Registration per area, one file each under http/handlers/.
void add_system_routes(router& r, services s);
void add_tenant_routes(router& r, services s);

}  // namespace ptool::http
