#pragma once
// The OpenAPI 3.1 document (apps/api/openapi.json), embedded at build time. It is served at
// /api/v1/openapi.json and is the source of the request schemas.

#include <string_view>

namespace ptool::http {

std::string_view openapi_document();

}  // namespace ptool::http
