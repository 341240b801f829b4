#pragma once
// Project operations (SPEC §2, §4, §10): create, read one, list a page. Each runs as one
// transaction with the tenant set first (RLS). Field rules the JSON schema cannot express are
// checked here and reported together with the caller's `input_errors`; nothing is written
// when there is any error. Throws db_unavailable / db_error when the database fails.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/time.hpp"
#include "domain/validation.hpp"
#include "platform/pg_pool.hpp"
#include "store/project_store.hpp"

namespace ptool::usecase {

// Field limits (characters). Names are also non-blank.
inline constexpr std::size_t max_project_name_length = 200;
inline constexpr std::size_t max_project_code_length = 64;
inline constexpr std::size_t max_project_description_length = 10000;

struct new_project {
    std::string name;
    std::optional<std::string> code;
    std::optional<std::string> description;
};

// name non-blank and <= 200 characters, code <= 64, description <= 10,000 (paths: wire names).
domain::field_errors check_new_project(const new_project& p);

using create_project_result = std::variant<store::project, domain::field_errors>;

// Inserts a new project with a fresh id, created_by = `created_by` (the caller's sub),
// created_at = updated_at = now.
boost::asio::awaitable<create_project_result> create_project(
    platform::pg_pool& pool,
    std::string tenant_id,
    new_project input,
    std::string created_by,
    domain::field_errors input_errors,
    domain::instant now
);

// `id` must be a canonical UUID (callers answer 404 for anything else without asking).
boost::asio::awaitable<std::optional<store::project>> get_project(
    platform::pg_pool& pool, std::string tenant_id, std::string id
);

struct project_page {
    std::vector<store::project> data;
    std::optional<store::project_position> next;  // set when more rows follow
};

// Up to `limit` (1..500) projects after `after`, ordered by (created_at, id).
boost::asio::awaitable<project_page> list_projects(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::optional<store::project_position> after,
    int limit
);

}  // namespace ptool::usecase
