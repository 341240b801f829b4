#pragma once
// Wire shape of projects (SPEC §10 "Shapes"): {id, name, code, description, createdBy,
// createdAt, updatedAt}; camelCase lives only here. Bodies are first checked against the
// OpenAPI schema ProjectCreate (schema_validator); this decoder checks JSON types again on its
// own and reports unknown members, and the use case adds the value rules to the same list.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/validation.hpp"
#include "store/project_store.hpp"
#include "usecase/projects.hpp"

namespace ptool::http::dto {

boost::json::object to_json(const store::project& p);

// {data: [project...], nextCursor: string|null}.
boost::json::object to_json(const usecase::project_page& page);

// The cursor naming the position after `p` in the project list, and back. nullopt when the
// keys are not a project-list position.
std::string project_cursor(const store::project_position& p);
std::optional<store::project_position> parse_project_cursor(const std::vector<std::string>& keys);

struct parsed_project_create {
    usecase::new_project value;   // code/description null = absent
    domain::field_errors errors;  // missing name, unknown members, wrong JSON types
};
parsed_project_create parse_project_create(const boost::json::object& body);

}  // namespace ptool::http::dto
