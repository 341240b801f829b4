#pragma once
// Small pieces shared by the resource handlers of artists and projects: problem answers, query
// parameters, the errors of a JSON body. Pure; thread-safe.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/validation.hpp"
#include "http/auth.hpp"
#include "http/problem.hpp"
#include "http/types.hpp"

namespace ptool::http {

// The caller, or the 401 to send.
using who_or_response = std::variant<principal, response>;
boost::asio::awaitable<who_or_response> authenticate(request_context& ctx, authenticator& auth);

// `p` as application/problem+json in `req`'s HTTP version, keeping the connection open.
response problem_response(const problem& p, const request& req);

// The percent-decoded value of query parameter `key` (the first one); nullopt when absent.
std::optional<std::string> query_value(const request_context& ctx, std::string_view key);

// Everything wrong with `body`: the errors of OpenAPI schema `schema` first, then those of
// the decoder (`decoder_errors`) for members the schema did not already report.
domain::field_errors body_errors(
    std::string_view schema,
    const boost::json::object& body,
    const domain::field_errors& decoder_errors
);

}  // namespace ptool::http
