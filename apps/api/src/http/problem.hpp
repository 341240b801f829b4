#pragma once
// problem+json (RFC 9457) responses with the stable `code`s of SPEC §4. Every error the API
// sends is built here, so status, code and title stay consistent.

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "domain/validation.hpp"
#include "http/types.hpp"

namespace ptool::http {

struct problem {
    boost::beast::http::status status;
    std::string code;
    std::string detail;
    boost::json::object extra;  // members beside type/title/status/code/detail
    std::vector<std::pair<std::string, std::string>> headers;
};

// The response for `p`, with Content-Type application/problem+json.
response make_problem_response(const problem& p, unsigned http_version, bool keep_alive);

problem unauthenticated(std::string detail = "A valid bearer token is required.");
problem forbidden(std::string detail = "Your role may not do this.");
problem not_found(std::string detail = "No such resource.");
problem method_not_allowed(std::string allow);
problem malformed_json(std::string detail);
problem unsupported_media_type(std::string detail = "The body must be application/json.");
problem payload_too_large();
problem validation_failed(const domain::field_errors& errors);
problem unavailable(std::string detail = "The database is unreachable; try again shortly.");
problem internal_error(const std::string& request_id);
// 422: the Idempotency-Key was first used with another request body (SPEC §3.4).
problem idempotency_key_mismatch();
// 409 with Retry-After: 1: the first request with this Idempotency-Key is still running.
problem idempotency_in_progress();

}  // namespace ptool::http
