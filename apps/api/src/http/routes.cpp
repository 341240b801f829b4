// Builds the route table from the per-area registrations in http/handlers/.

#include "http/routes.hpp"

namespace ptool::http {

router make_router(services s) {
    router r;
    add_system_routes(r, s);
    add_tenant_routes(r, s);
    add_artist_routes(r, s);
    add_availability_routes(r, s);
    add_project_routes(r, s);
    add_booking_routes(r, s);
    add_test_routes(r, s);
    return r;
}

}  // namespace ptool::http
