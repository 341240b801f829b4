// The single place that renders errors: SPEC §4's table of status, code and title.

#include "http/problem.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace ptool::http {

namespace bhttp = boost::beast::http;

namespace {

std::string_view title_for(std::string_view code) {
    struct entry {
        std::string_view code, title;
    };
    static constexpr entry titles[] = {
        {"malformed_json", "Malformed JSON"},
        {"unauthenticated", "Unauthenticated"},
        {"forbidden", "Forbidden"},
        {"not_found", "Not found"},
        {"method_not_allowed", "Method not allowed"},
        {"booking_conflict", "Booking conflict"},
        {"outranked", "Outranked"},
        {"invalid_transition", "Invalid transition"},
        {"idempotency_in_progress", "Idempotent request in progress"},
        {"version_mismatch", "Version mismatch"},
        {"payload_too_large", "Payload too large"},
        {"unsupported_media_type", "Unsupported media type"},
        {"validation_failed", "Validation failed"},
        {"outside_availability", "Outside availability"},
        {"idempotency_key_mismatch", "Idempotency key mismatch"},
        {"precondition_required", "Precondition required"},
        {"unavailable", "Service unavailable"},
        {"internal_error", "Internal error"},
    };
    for (const auto& e : titles) {
        if (e.code == code) return e.title;
    }
    return "Error";
}

problem make(bhttp::status s, std::string code, std::string detail) {
    return problem{s, std::move(code), std::move(detail), {}, {}};
}

}  // namespace

response make_problem_response(const problem& p, unsigned http_version, bool keep_alive) {
    boost::json::object body;
    body["type"] = "/problems/" + p.code;
    body["title"] = title_for(p.code);
    body["status"] = static_cast<int>(p.status);
    body["code"] = p.code;
    body["detail"] = p.detail;
    for (const auto& [k, v] : p.extra) {
        body[k] = v;
    }
    response res{p.status, http_version};
    res.set(bhttp::field::content_type, "application/problem+json");
    res.set(bhttp::field::cache_control, "no-store");
    for (const auto& [k, v] : p.headers) {
        res.set(k, v);
    }
    res.body() = boost::json::serialize(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

problem unauthenticated(std::string detail) {
    auto p = make(bhttp::status::unauthorized, "unauthenticated", std::move(detail));
    p.headers.emplace_back("WWW-Authenticate", "Bearer");
    return p;
}
problem forbidden(std::string detail) {
    return make(bhttp::status::forbidden, "forbidden", std::move(detail));
}
problem not_found(std::string detail) {
    return make(bhttp::status::not_found, "not_found", std::move(detail));
}
problem method_not_allowed(std::string allow) {
    auto p = make(
        bhttp::status::method_not_allowed,
        "method_not_allowed",
        "This resource supports: " + allow + "."
    );
    p.headers.emplace_back("Allow", std::move(allow));
    return p;
}
problem malformed_json(std::string detail) {
    return make(bhttp::status::bad_request, "malformed_json", std::move(detail));
}
problem unsupported_media_type(std::string detail) {
    return make(bhttp::status::unsupported_media_type, "unsupported_media_type", std::move(detail));
}
problem payload_too_large() {
    return make(
        bhttp::status::payload_too_large, "payload_too_large", "The body exceeds 64 KiB."
    );
}
problem validation_failed(const domain::field_errors& errors) {
    auto p = make(
        bhttp::status::unprocessable_entity,
        "validation_failed",
        errors.size() == 1 ? "1 field is invalid." : std::to_string(errors.size()) + " fields are invalid."
    );
    boost::json::array arr;
    for (const auto& e : errors) {
        arr.push_back(boost::json::object{{"path", e.path}, {"message", e.message}});
    }
    p.extra["errors"] = std::move(arr);
    return p;
}
problem unavailable(std::string detail) {
    auto p = make(bhttp::status::service_unavailable, "unavailable", std::move(detail));
    p.headers.emplace_back("Retry-After", "1");
    return p;
}
problem internal_error(const std::string& request_id) {
    return make(
        bhttp::status::internal_server_error,
        "internal_error",
        "Something went wrong on our side (request " + request_id + ")."
    );
}

problem idempotency_key_mismatch() {
    return make(
        bhttp::status::unprocessable_entity,
        "idempotency_key_mismatch",
        "This Idempotency-Key was already used with a different request body."
    );
}
problem idempotency_in_progress() {
    auto p = make(
        bhttp::status::conflict,
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still in progress; retry shortly."
    );
    p.headers.emplace_back("Retry-After", "1");
    return p;
}

}  // namespace ptool::http
