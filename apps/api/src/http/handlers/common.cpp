// Helpers of the artist and project handlers; bookings keeps its own (it honours the
// request's keep-alive in problem answers).

#include "http/handlers/common.hpp"

#include "http/schema_validator.hpp"
#include "usecase/field_checks.hpp"

namespace ptool::http {

boost::asio::awaitable<who_or_response> authenticate(request_context& ctx, authenticator& auth) {
    auto who = co_await auth.authenticate(ctx.req);
    if (auto* p = std::get_if<problem>(&who)) co_return problem_response(*p, ctx.req);
    co_return std::get<principal>(who);
}

response problem_response(const problem& p, const request& req) {
    return make_problem_response(p, req.version(), true);
}

std::optional<std::string> query_value(const request_context& ctx, std::string_view key) {
    auto it = ctx.query.find(key);
    if (it == ctx.query.end()) {
        return std::nullopt;
    }
    return std::string((*it).value);
}

domain::field_errors body_errors(
    std::string_view schema,
    const boost::json::object& body,
    const domain::field_errors& decoder_errors
) {
    auto errs = schema_validator::embedded().validate(schema, body);
    usecase::merge_field_errors(errs, decoder_errors);
    return errs;
}

}  // namespace ptool::http
