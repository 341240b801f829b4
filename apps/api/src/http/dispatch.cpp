// The only place where handler exceptions are caught: infrastructure failures become 503
// (retry later) or 500 (a bug), with details in the log and never in the response.

#include "http/dispatch.hpp"

#include <boost/url/parse.hpp>
#include <chrono>

#include "http/problem.hpp"
#include "platform/log.hpp"
#include "platform/pg_error.hpp"

namespace ptool::http {

namespace bhttp = boost::beast::http;

boost::asio::awaitable<response> dispatch(
    const router& routes, platform::metrics& m, const request& req, std::string request_id
) {
    auto started = std::chrono::steady_clock::now();
    std::string route = "unmatched";
    std::optional<response> res;
    std::exception_ptr failure;

    auto target = boost::urls::parse_origin_form(req.target());
    if (!target) {
        res = make_problem_response(not_found("The request target is not a valid path."), req.version(), true);
    } else {
        auto path = std::string(target->encoded_path());
        auto match = routes.find(req.method(), path);
        if (match.target == nullptr) {
            if (!match.allow.empty()) {
                route = match.route;
                res = make_problem_response(method_not_allowed(match.allow), req.version(), true);
            } else {
                res = make_problem_response(not_found("No such route."), req.version(), true);
            }
        } else {
            route = match.route;
            request_context ctx{req, request_id, path, target->params(), std::move(match.params)};
            try {
                res = co_await (*match.target)(ctx);
            } catch (...) {
                failure = std::current_exception();
            }
        }
    }
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const platform::db_unavailable& e) {
            platform::log_warn("database unavailable", {{"request_id", request_id}, {"error", e.what()}});
            res = make_problem_response(unavailable(), req.version(), true);
        } catch (const std::exception& e) {
            platform::log_error(
                "request failed", {{"request_id", request_id}, {"route", route}, {"error", e.what()}}
            );
            res = make_problem_response(internal_error(request_id), req.version(), true);
        }
    }
    if (req.method() == bhttp::verb::head) {
        res->body().clear();
    }

    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto status = std::to_string(res->result_int());
    auto method = std::string(req.method_string());
    m.inc(
        "ptool_http_requests_total",
        "HTTP requests by route, method and status.",
        {{"method", method}, {"route", route}, {"status", status}}
    );
    m.observe(
        "ptool_http_request_duration_seconds",
        "HTTP request latency by route, method and status.",
        {{"method", method}, {"route", route}, {"status", status}},
        seconds
    );
    platform::log_debug(
        "request",
        {{"request_id", request_id},
         {"method", method},
         {"route", route},
         {"status", res->result_int()},
         {"ms", seconds * 1000}}
    );
    co_return std::move(*res);
}

}  // namespace ptool::http
