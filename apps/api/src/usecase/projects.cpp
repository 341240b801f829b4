// Project use cases: validate -> begin -> set tenant -> write/read -> commit.

#include "usecase/projects.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "platform/pg_transaction.hpp"
#include "usecase/field_checks.hpp"
#include "usecase/paging.hpp"

namespace ptool::usecase {

namespace asio = boost::asio;

namespace {

asio::awaitable<store::project> insert_in(
    platform::pg_connection& c, const std::string& tenant_id, const store::project& p
) {
    co_await store::insert_project(c, tenant_id, p);
    co_return p;
}

asio::awaitable<std::optional<store::project>> read_in(
    platform::pg_connection& c, const std::string& id
) {
    co_return co_await store::find_project(c, id);
}

}  // namespace

domain::field_errors check_new_project(const new_project& p) {
    domain::field_errors errs;
    if (is_blank(p.name)) {
        errs.push_back({"/name", "must not be empty"});
    } else if (utf8_length(p.name) > max_project_name_length) {
        errs.push_back({"/name", "must be at most 200 characters"});
    }
    if (p.code && utf8_length(*p.code) > max_project_code_length) {
        errs.push_back({"/code", "must be at most 64 characters"});
    }
    if (p.description && utf8_length(*p.description) > max_project_description_length) {
        errs.push_back({"/description", "must be at most 10000 characters"});
    }
    return errs;
}

asio::awaitable<create_project_result> create_project(
    platform::pg_pool& pool,
    std::string tenant_id,
    new_project input,
    std::string created_by,
    domain::field_errors input_errors,
    domain::instant now
) {
    merge_field_errors(input_errors, check_new_project(input));
    if (!input_errors.empty()) co_return input_errors;
    store::project p{
        boost::uuids::to_string(boost::uuids::random_generator()()),
        std::move(input.name),
        std::move(input.code),
        std::move(input.description),
        std::move(created_by),
        now,
        now};
    auto fn = [&](platform::pg_connection& c) { return insert_in(c, tenant_id, p); };
    co_return co_await platform::with_tenant_transaction(pool, tenant_id, fn);
}

asio::awaitable<std::optional<store::project>> get_project(
    platform::pg_pool& pool, std::string tenant_id, std::string id
) {
    auto fn = [&](platform::pg_connection& c) { return read_in(c, id); };
    co_return co_await platform::with_tenant_transaction(pool, tenant_id, fn);
}

asio::awaitable<project_page> list_projects(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::optional<store::project_position> after,
    int limit
) {
    co_return co_await list_page<project_page>(pool, tenant_id, after, limit, store::list_projects);
}

}  // namespace ptool::usecase
