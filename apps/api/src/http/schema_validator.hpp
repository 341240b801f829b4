#pragma once

// Request-body validation against the OpenAPI 3.1 document the server serves at
// /api/v1/openapi.json (one source of truth, embedded at build time), with valijson.
//
// Every schema under components/schemas is compiled once at construction. validate() reports
// every violation at once, as field errors with JSON-pointer paths in wire names: an unknown
// member `foo` (additionalProperties: false) is reported at "/foo", a wrong type at the member's
// own path, a missing required member at "/<name>". Semantic rules that JSON Schema cannot
// express (RFC 3339 instants with offsets, ranges across fields) are the DTOs' and the domain's.
//
// Thread-safe after construction (validate() is const and shares no mutable state).

#include <boost/json/value.hpp>
#include <memory>
#include <string_view>

#include "domain/validation.hpp"

namespace ptool::http {

class schema_validator {
public:
    // Compiles components/schemas of `openapi` (the parsed document). Throws std::runtime_error
    // naming the schema when one cannot be compiled (a build defect; ends startup loudly).
    explicit schema_validator(const boost::json::value& openapi);
    ~schema_validator();
    schema_validator(const schema_validator&) = delete;
    schema_validator& operator=(const schema_validator&) = delete;

    // Every violation of components/schemas/<schema_name> by `body`; empty when valid. One
    // error per path (the most specific), sorted by path. Messages: "is not a known field",
    // "is required", "must be an integer", "must be a string or null", "must be at most 200
    // characters", "must be at least 1", "must be one of hold, pencil, confirmed", ...; a body
    // that is not an object gives {"", "must be an object"}. Whole doubles count as integers
    // (1.0, as JSON Schema says); `format` is not checked (the DTOs check instants).
    // Throws std::out_of_range for an unknown schema name (a programming error).
    domain::field_errors validate(std::string_view schema_name, const boost::json::value& body) const;

    // The validator for the embedded document (http::openapi_document()), built on first use.
    static const schema_validator& embedded();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace ptool::http
