// /api/v1/artists/{id}/availability (GET every role; PUT manager+ or the artist's own user),
// /schedule and /slots (every role). Order of checks (SPEC §10): 401 -> 403 (a role that may
// never PUT) -> 404 (the artist) -> 403 (an artist-role user editing another artist) ->
// 400/415/422; query errors of schedule/slots come after the artist's 404.

#include "usecase/availability.hpp"

#include <boost/beast/http/field.hpp>

#include "domain/availability.hpp"
#include "domain/role.hpp"
#include "http/auth.hpp"
#include "http/dto/availability_dto.hpp"
#include "http/handlers/common.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"
#include "usecase/artists.hpp"
#include "usecase/field_checks.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using domain::role;

namespace {

response no_artist(const request& req) {
    return problem_response(not_found("No such artist."), req);
}

// ---- GET /artists/{id}/availability ------------------------------------------------------------

asio::awaitable<response> get_availability(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return no_artist(ctx.req);
    auto a = co_await s.availability.get(me.tenant_id, id);
    if (!a) co_return no_artist(ctx.req);
    co_return json_response(bhttp::status::ok, dto::to_json(*a), ctx.req);
}

// ---- PUT /artists/{id}/availability ------------------------------------------------------------

asio::awaitable<response> put_availability(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    const bool manager = domain::at_least(me.role, role::manager);
    if (!manager && me.role != role::artist) {
        co_return problem_response(
            forbidden("Only a manager or the artist may change availability."), ctx.req
        );
    }
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return no_artist(ctx.req);
    auto artist = co_await usecase::get_artist(s.pool, me.tenant_id, id);
    if (!artist) co_return no_artist(ctx.req);
    if (!manager && artist->user_id != me.user) {
        co_return problem_response(
            forbidden("You may only change your own availability."), ctx.req
        );
    }
    auto body = read_json_body(ctx.req, body_kind::json_object);
    if (auto* p = std::get_if<problem>(&body)) co_return problem_response(*p, ctx.req);
    const auto& obj = std::get<boost::json::object>(body);
    auto parsed = dto::parse_availability_put(obj);
    auto errs = body_errors("AvailabilityPut", obj, parsed.errors);
    if (!parsed.has_timezone) parsed.value.timezone = artist->timezone;
    auto valid = domain::validate_availability(parsed.value);
    if (!valid.ok()) usecase::merge_field_errors(errs, valid.errors());
    if (!errs.empty()) co_return problem_response(validation_failed(errs), ctx.req);
    auto stored =
        co_await s.availability.put(me.tenant_id, id, std::move(valid.value()), s.clock.now());
    if (!stored) co_return no_artist(ctx.req);
    co_return json_response(bhttp::status::ok, dto::to_json(*stored), ctx.req);
}

// ---- GET /artists/{id}/schedule ----------------------------------------------------------------

asio::awaitable<response> get_schedule(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return no_artist(ctx.req);
    auto range = dto::parse_range_query(query_value(ctx, "from"), query_value(ctx, "to"));
    if (!range.errors.empty()) {
        // The artist's 404 comes first.
        if (!co_await usecase::get_artist(s.pool, me.tenant_id, id)) co_return no_artist(ctx.req);
        co_return problem_response(validation_failed(range.errors), ctx.req);
    }
    auto out =
        co_await s.availability.schedule(me.tenant_id, id, range.from, range.to, s.clock.now());
    if (std::holds_alternative<usecase::artist_not_found>(out)) co_return no_artist(ctx.req);
    co_return json_text_response(bhttp::status::ok, std::move(std::get<std::string>(out)), ctx.req);
}

// ---- GET /artists/{id}/slots -------------------------------------------------------------------

asio::awaitable<response> get_slots(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return no_artist(ctx.req);
    auto range = dto::parse_range_query(query_value(ctx, "from"), query_value(ctx, "to"));
    auto q = dto::parse_slots_query(query_value(ctx, "duration"), query_value(ctx, "step"), range);
    auto errs = range.errors;
    errs.insert(errs.end(), q.errors.begin(), q.errors.end());
    if (!errs.empty()) {
        if (!co_await usecase::get_artist(s.pool, me.tenant_id, id)) co_return no_artist(ctx.req);
        co_return problem_response(validation_failed(errs), ctx.req);
    }
    auto out = co_await s.availability.slots(
        me.tenant_id, id, range.from, range.to, q.duration, q.step, s.clock.now()
    );
    if (std::holds_alternative<usecase::artist_not_found>(out)) co_return no_artist(ctx.req);
    co_return json_response(
        bhttp::status::ok, dto::to_json(std::get<usecase::slots_view>(out)), ctx.req
    );
}

}  // namespace

void add_availability_routes(router& r, services s) {
    r.add(bhttp::verb::get, "/api/v1/artists/{id}/availability", [s](request_context& ctx) {
        return get_availability(ctx, s);
    });
    r.add(bhttp::verb::put, "/api/v1/artists/{id}/availability", [s](request_context& ctx) {
        return put_availability(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/artists/{id}/schedule", [s](request_context& ctx) {
        return get_schedule(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/artists/{id}/slots", [s](request_context& ctx) {
        return get_slots(ctx, s);
    });
}

}  // namespace ptool::http
