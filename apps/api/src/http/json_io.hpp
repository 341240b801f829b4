#pragma once
// Reading JSON bodies and writing JSON responses, with the media-type and syntax checks of
// SPEC §4 (415, 400, and 422 for JSON that is not an object).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <variant>

#include "http/problem.hpp"
#include "http/types.hpp"

namespace ptool::http {

enum class body_kind {
    json_object,        // Content-Type application/json required
    merge_patch,        // application/json or application/merge-patch+json
    optional_object,    // transitions: an empty body without Content-Type means {}
};

// The body as a JSON object, or the problem to answer (415, 400, 422 with path "").
std::variant<boost::json::object, problem> read_json_body(const request& req, body_kind kind);

// 200/201... with Content-Type application/json.
response json_response(
    boost::beast::http::status status, const boost::json::value& body, const request& req
);

// The same for a body that is already JSON text (e.g. a cached schedule).
response json_text_response(boost::beast::http::status status, std::string body, const request& req);

}  // namespace ptool::http
