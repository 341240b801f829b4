// POST /api/v1/test/clock (SPEC §10 "Test clock"): moves the service clock forward for TTLs,
// the sweeper and validation. Only with `ptool serve --test-clock`; a 404 otherwise.

#include "domain/time.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

asio::awaitable<response> advance_clock(request_context& ctx, services s) {
    const auto& req = ctx.req;
    if (!s.clock.adjustable()) {
        co_return make_problem_response(not_found(), req.version(), req.keep_alive());
    }
    auto who = co_await s.auth.authenticate(req);
    if (auto* p = std::get_if<problem>(&who)) {
        co_return make_problem_response(*p, req.version(), req.keep_alive());
    }
    if (std::get<principal>(who).role != domain::role::admin) {
        co_return make_problem_response(
            forbidden("Only an admin may move the test clock."), req.version(), req.keep_alive()
        );
    }
    auto body = read_json_body(req, body_kind::json_object);
    if (auto* p = std::get_if<problem>(&body)) {
        co_return make_problem_response(*p, req.version(), req.keep_alive());
    }
    const auto& obj = std::get<json::object>(body);
    domain::field_errors errs;
    for (const auto& [k, v] : obj) {
        if (k != "advanceSeconds") errs.push_back({"/" + std::string(k), "is not a known field"});
    }
    long long seconds = -1;
    if (const auto* v = obj.if_contains("advanceSeconds"); v == nullptr) {
        errs.push_back({"/advanceSeconds", "is required"});
    } else if (v->is_int64() && v->as_int64() >= 0) {
        seconds = v->as_int64();
    } else if (v->is_uint64()) {
        errs.push_back({"/advanceSeconds", "is too large"});
    } else {
        errs.push_back({"/advanceSeconds", "must be a non-negative integer"});
    }
    // Ten years at most: enough for any test, far from overflowing the clock.
    if (seconds > 10LL * 366 * 24 * 3600) errs.push_back({"/advanceSeconds", "is too large"});
    if (!errs.empty()) {
        co_return make_problem_response(validation_failed(errs), req.version(), req.keep_alive());
    }
    s.clock.advance(std::chrono::seconds(seconds));
    co_return json_response(
        bhttp::status::ok, json::object{{"now", domain::format_instant(s.clock.now())}}, req
    );
}

}  // namespace

void add_test_routes(router& r, services s) {
    r.add(bhttp::verb::post, "/api/v1/test/clock", [s](request_context& ctx) {
        return advance_clock(ctx, s);
    });
}

}  // namespace ptool::http
