// Operational endpoints: /healthz (process alive), /readyz (database reachable and
// migrations current), /metrics (Prometheus), /api/v1/openapi.json (no token needed).

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

#include "http/json_io.hpp"
#include "http/openapi.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"
#include "platform/log.hpp"
#include "platform/pg_error.hpp"
#include "usecase/system.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

asio::awaitable<response> healthz(request_context& ctx) {
    co_return json_response(bhttp::status::ok, boost::json::object{{"status", "ok"}}, ctx.req);
}

asio::awaitable<response> readyz(request_context& ctx, services s) {
    usecase::readiness r{};
    try {
        r = co_await usecase::check_readiness(s.pool);
    } catch (const platform::db_unavailable&) {
        r = usecase::readiness::database_unreachable;
    } catch (const platform::db_error&) {
        r = usecase::readiness::migrations_pending;  // e.g. schema_migrations missing
    }
    switch (r) {
        case usecase::readiness::ready:
            co_return json_response(bhttp::status::ok, boost::json::object{{"status", "ready"}}, ctx.req);
        case usecase::readiness::migrations_pending:
            co_return make_problem_response(
                unavailable("Database migrations are not current; run `ptool migrate`."), ctx.req.version(), true
            );
        case usecase::readiness::database_unreachable:
            break;
    }
    co_return make_problem_response(unavailable(), ctx.req.version(), true);
}

asio::awaitable<response> metrics_text(request_context& ctx, services s) {
    response res{bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = s.metrics.render();
    res.prepare_payload();
    co_return res;
}

asio::awaitable<response> openapi(request_context& ctx) {
    response res{bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::string(openapi_document());
    res.prepare_payload();
    co_return res;
}

}  // namespace

void add_system_routes(router& r, services s) {
    r.add(bhttp::verb::get, "/healthz", [](request_context& ctx) { return healthz(ctx); });
    r.add(bhttp::verb::get, "/readyz", [s](request_context& ctx) { return readyz(ctx, s); });
    r.add(bhttp::verb::get, "/metrics", [s](request_context& ctx) { return metrics_text(ctx, s); });
    r.add(bhttp::verb::get, "/api/v1/openapi.json", [](request_context& ctx) { return openapi(ctx); });
}

}  // namespace ptool::http
