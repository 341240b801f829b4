// /api/v1/projects: create (booker+, Idempotency-Key), list and read (every role).
// Order of checks (SPEC §10): 401 -> 403 -> 404 -> 400/415/422.

#include "usecase/projects.hpp"

#include <boost/beast/http/field.hpp>

#include "domain/role.hpp"
#include "http/auth.hpp"
#include "http/dto/cursor.hpp"
#include "http/dto/project_dto.hpp"
#include "http/handlers/common.hpp"
#include "http/idempotency.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

// ---- POST /projects ------------------------------------------------------------------------

asio::awaitable<response> create_project_now(
    request_context& ctx, services& s, const principal& me
) {
    // An empty body (no Content-Type needed) reads as {}, so it is a 422 naming `name`.
    auto body = read_json_body(ctx.req, body_kind::optional_object);
    if (auto* p = std::get_if<problem>(&body)) co_return problem_response(*p, ctx.req);
    const auto& obj = std::get<boost::json::object>(body);
    auto parsed = dto::parse_project_create(obj);
    auto errs = body_errors("ProjectCreate", obj, parsed.errors);
    auto result = co_await usecase::create_project(
        s.pool, me.tenant_id, std::move(parsed.value), me.user, std::move(errs), s.clock.now()
    );
    if (auto* e = std::get_if<domain::field_errors>(&result)) {
        co_return problem_response(validation_failed(*e), ctx.req);
    }
    const auto& p = std::get<store::project>(result);
    auto res = json_response(bhttp::status::created, dto::to_json(p), ctx.req);
    res.set(bhttp::field::location, "/api/v1/projects/" + p.id);
    co_return res;
}

asio::awaitable<response> post_projects(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, domain::role::booker)) {
        co_return problem_response(
            forbidden("Only a booker, manager or admin may create projects."), ctx.req
        );
    }
    idempotent_work work = [&]() { return create_project_now(ctx, s, me); };
    co_return co_await run_idempotent(s, ctx, me, std::move(work));
}

// ---- GET /projects -------------------------------------------------------------------------

asio::awaitable<response> list_projects(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    auto q = dto::parse_list_query(
        query_value(ctx, "limit"), query_value(ctx, "cursor"), dto::parse_project_cursor
    );
    if (!q.errors.empty()) co_return problem_response(validation_failed(q.errors), ctx.req);
    auto page = co_await usecase::list_projects(s.pool, me.tenant_id, std::move(q.after), q.limit);
    co_return json_response(bhttp::status::ok, dto::to_json(page), ctx.req);
}

// ---- GET /projects/{id} --------------------------------------------------------------------

asio::awaitable<response> get_project(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such project."), ctx.req);
    auto p = co_await usecase::get_project(s.pool, me.tenant_id, id);
    if (!p) co_return problem_response(not_found("No such project."), ctx.req);
    co_return json_response(bhttp::status::ok, dto::to_json(*p), ctx.req);
}

}  // namespace

void add_project_routes(router& r, services s) {
    r.add(bhttp::verb::post, "/api/v1/projects", [s](request_context& ctx) {
        return post_projects(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/projects", [s](request_context& ctx) {
        return list_projects(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/projects/{id}", [s](request_context& ctx) {
        return get_project(ctx, s);
    });
}

}  // namespace ptool::http
