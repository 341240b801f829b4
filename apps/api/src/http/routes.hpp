#pragma once
// The route table of the service: every path of SPEC §4 and the operational endpoints.
// The collaborators arrive here, built in cli/serve.cpp, and outlive the router.

#include "http/auth.hpp"
#include "http/router.hpp"
#include "platform/clock.hpp"
#include "platform/metrics.hpp"
#include "platform/pg_pool.hpp"
#include "usecase/availability.hpp"
#include "usecase/bookings.hpp"

namespace ptool::http {

struct services {
    platform::pg_pool& pool;
    platform::clock& clock;
    platform::metrics& metrics;
    authenticator& auth;
    usecase::booking_service& bookings;
    usecase::availability_service& availability;
};

router make_router(services s);

// Registration per area, one file each under http/handlers/.
void add_system_routes(router& r, services s);
void add_tenant_routes(router& r, services s);
void add_artist_routes(router& r, services s);   // artists (create, list, read, change)
void add_project_routes(router& r, services s);  // projects (create, list, read)
void add_availability_routes(router& r, services s);  // preferences, schedule, slots
void add_booking_routes(router& r, services s);  // bookings, their events, the event feed
void add_test_routes(router& r, services s);     // POST /api/v1/test/clock (--test-clock)

}  // namespace ptool::http
