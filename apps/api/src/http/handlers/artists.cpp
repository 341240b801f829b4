// /api/v1/artists: create (manager+, Idempotency-Key), list and read (every role), change
// (manager+, no If-Match). Order of checks (SPEC §10): 401 -> 403 -> 404 -> 400/415/422.

#include "usecase/artists.hpp"

#include <boost/beast/http/field.hpp>

#include "domain/role.hpp"
#include "http/auth.hpp"
#include "http/dto/artist_dto.hpp"
#include "http/dto/cursor.hpp"
#include "http/handlers/common.hpp"
#include "http/idempotency.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

std::string location_of(const store::artist& a) { return "/api/v1/artists/" + a.id; }

// ---- POST /artists -------------------------------------------------------------------------

asio::awaitable<response> create_artist_now(
    request_context& ctx, services& s, const principal& me
) {
    // An empty body (no Content-Type needed) reads as {}, so it is a 422 naming `name`.
    auto body = read_json_body(ctx.req, body_kind::optional_object);
    if (auto* p = std::get_if<problem>(&body)) co_return problem_response(*p, ctx.req);
    const auto& obj = std::get<boost::json::object>(body);
    auto parsed = dto::parse_artist_create(obj);
    auto errs = body_errors("ArtistCreate", obj, parsed.errors);
    auto result = co_await usecase::create_artist(
        s.pool, me.tenant_id, std::move(parsed.value), std::move(errs), s.clock.now()
    );
    if (auto* e = std::get_if<domain::field_errors>(&result)) {
        co_return problem_response(validation_failed(*e), ctx.req);
    }
    const auto& a = std::get<store::artist>(result);
    auto res = json_response(bhttp::status::created, dto::to_json(a), ctx.req);
    res.set(bhttp::field::location, location_of(a));
    co_return res;
}

asio::awaitable<response> post_artists(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, domain::role::manager)) {
        co_return problem_response(
            forbidden("Only a manager or admin may create artists."), ctx.req
        );
    }
    idempotent_work work = [&]() { return create_artist_now(ctx, s, me); };
    co_return co_await run_idempotent(s, ctx, me, std::move(work));
}

// ---- GET /artists --------------------------------------------------------------------------

asio::awaitable<response> list_artists(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    auto q = dto::parse_list_query(
        query_value(ctx, "limit"), query_value(ctx, "cursor"), dto::parse_artist_cursor
    );
    if (!q.errors.empty()) co_return problem_response(validation_failed(q.errors), ctx.req);
    auto page = co_await usecase::list_artists(s.pool, me.tenant_id, std::move(q.after), q.limit);
    co_return json_response(bhttp::status::ok, dto::to_json(page), ctx.req);
}

// ---- GET /artists/{id} ---------------------------------------------------------------------

asio::awaitable<response> get_artist(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such artist."), ctx.req);
    auto a = co_await usecase::get_artist(s.pool, me.tenant_id, id);
    if (!a) co_return problem_response(not_found("No such artist."), ctx.req);
    co_return json_response(bhttp::status::ok, dto::to_json(*a), ctx.req);
}

// ---- PATCH /artists/{id} -------------------------------------------------------------------

asio::awaitable<response> patch_artist(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, domain::role::manager)) {
        co_return problem_response(
            forbidden("Only a manager or admin may change artists."), ctx.req
        );
    }
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such artist."), ctx.req);
    auto body = read_json_body(ctx.req, body_kind::merge_patch);
    if (auto* p = std::get_if<problem>(&body)) {
        // 404 (the resource) comes before 400/415 (the body).
        auto exists = co_await usecase::get_artist(s.pool, me.tenant_id, id);
        if (!exists) co_return problem_response(not_found("No such artist."), ctx.req);
        co_return problem_response(*p, ctx.req);
    }
    const auto& obj = std::get<boost::json::object>(body);
    auto parsed = dto::parse_artist_patch(obj);
    auto errs = body_errors("ArtistPatch", obj, parsed.errors);
    auto result = co_await usecase::update_artist(
        s.pool, me.tenant_id, id, std::move(parsed.value), std::move(errs), s.clock.now()
    );
    if (std::holds_alternative<usecase::artist_not_found>(result)) {
        co_return problem_response(not_found("No such artist."), ctx.req);
    }
    if (auto* e = std::get_if<domain::field_errors>(&result)) {
        co_return problem_response(validation_failed(*e), ctx.req);
    }
    // The zone may have changed: cached schedules of this artist are stale.
    co_await s.availability.invalidate_artist(me.tenant_id, id);
    co_return json_response(
        bhttp::status::ok, dto::to_json(std::get<store::artist>(result)), ctx.req
    );
}

}  // namespace

void add_artist_routes(router& r, services s) {
    r.add(bhttp::verb::post, "/api/v1/artists", [s](request_context& ctx) {
        return post_artists(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/artists", [s](request_context& ctx) {
        return list_artists(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/artists/{id}", [s](request_context& ctx) {
        return get_artist(ctx, s);
    });
    r.add(bhttp::verb::patch, "/api/v1/artists/{id}", [s](request_context& ctx) {
        return patch_artist(ctx, s);
    });
}

}  // namespace ptool::http
