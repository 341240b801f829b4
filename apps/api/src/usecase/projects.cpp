// Project use cases: validate -> begin -> set tenant -> write/read -> commit.

#include "usecase/projects.hpp"

#include <algorithm>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "platform/pg_transaction.hpp"

namespace ptool::usecase {

namespace asio = boost::asio;

namespace {

// Code points of a UTF-8 string (the body was valid JSON, hence valid UTF-8).
std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

void merge_errors(domain::field_errors& errs, const domain::field_errors& extra) {
    for (const auto& e : extra) {
        bool seen =
            std::any_of(errs.begin(), errs.end(), [&](const auto& x) { return x.path == e.path; });
        if (!seen) errs.push_back(e);
    }
}

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

asio::awaitable<std::vector<store::project>> list_in(
    platform::pg_connection& c, const std::optional<store::project_position>& after, int limit
) {
    co_return co_await store::list_projects(c, after, limit);
}

}  // namespace

domain::field_errors check_new_project(const new_project& p) {
    domain::field_errors errs;
    if (p.name.find_first_not_of(" \t\r\n") == std::string::npos) {
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
    merge_errors(input_errors, check_new_project(input));
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
    // One row more than asked tells whether another page follows.
    const int fetch = limit + 1;
    auto fn = [&](platform::pg_connection& c) { return list_in(c, after, fetch); };
    auto rows = co_await platform::with_tenant_transaction(pool, tenant_id, fn);
    project_page page;
    if (static_cast<int>(rows.size()) > limit) {
        rows.resize(static_cast<std::size_t>(limit));
        page.next = store::project_position{rows.back().created_at, rows.back().id};
    }
    page.data = std::move(rows);
    co_return page;
}

}  // namespace ptool::usecase
