#pragma once
// Wire shape of tenant settings (camelCase lives only here).

#include <boost/json/object.hpp>

#include "domain/tenant.hpp"
#include "domain/validation.hpp"

namespace ptool::http::dto {

boost::json::object to_json(const domain::tenant_settings& t);

struct parsed_tenant_patch {
    domain::tenant_patch patch;   // the well-typed members
    domain::field_errors errors;  // unknown members and wrong JSON types
};

// Reads a PATCH body. Range rules are checked later by the domain, and reported together
// with these errors, so a 422 lists everything at once.
parsed_tenant_patch parse_tenant_patch(const boost::json::object& body);

}  // namespace ptool::http::dto
