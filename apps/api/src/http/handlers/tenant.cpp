// GET/PATCH /api/v1/tenant: settings of the caller's tenant (every role reads; admin writes).

#include "http/dto/tenant_dto.hpp"
#include "http/handlers/common.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"
#include "usecase/tenants.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

asio::awaitable<response> get_tenant(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    auto t = co_await usecase::get_tenant(s.pool, me.tenant_id);
    if (!t) co_return make_problem_response(not_found("No such tenant."), ctx.req.version(), true);
    co_return json_response(bhttp::status::ok, dto::to_json(*t), ctx.req);
}

asio::awaitable<response> patch_tenant(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (me.role != domain::role::admin) {
        co_return make_problem_response(
            forbidden("Only an admin may change tenant settings."), ctx.req.version(), true
        );
    }
    auto body = read_json_body(ctx.req, body_kind::merge_patch);
    if (auto* p = std::get_if<problem>(&body))
        co_return make_problem_response(*p, ctx.req.version(), true);
    auto parsed = dto::parse_tenant_patch(std::get<boost::json::object>(body));
    auto result = co_await usecase::update_tenant(
        s.pool, me.tenant_id, std::move(parsed.patch), std::move(parsed.errors), s.clock.now()
    );
    if (auto* errs = std::get_if<domain::field_errors>(&result)) {
        co_return make_problem_response(validation_failed(*errs), ctx.req.version(), true);
    }
    if (std::holds_alternative<usecase::tenant_not_found>(result)) {
        co_return make_problem_response(not_found("No such tenant."), ctx.req.version(), true);
    }
    co_return json_response(
        bhttp::status::ok, dto::to_json(std::get<domain::tenant_settings>(result)), ctx.req
    );
}

}  // namespace

void add_tenant_routes(router& r, services s) {
    r.add(bhttp::verb::get, "/api/v1/tenant", [s](request_context& ctx) {
        return get_tenant(ctx, s);
    });
    r.add(bhttp::verb::patch, "/api/v1/tenant", [s](request_context& ctx) {
        return patch_tenant(ctx, s);
    });
}

}  // namespace ptool::http
