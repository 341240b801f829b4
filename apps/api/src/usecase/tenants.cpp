// Tenant use cases: begin -> set tenant -> lock -> decide (domain::apply_patch) -> write -> commit.

#include "usecase/tenants.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "platform/pg_transaction.hpp"
#include "store/tenant_store.hpp"

namespace ptool::usecase {

namespace {

// See store/tenant_store.cpp on GCC 12 and braced lists inside co_await.
constexpr std::string_view tenant_exists_sql = "SELECT 1 FROM tenants WHERE id = $1::uuid";

boost::asio::awaitable<bool> exists_in(platform::pg_connection& c, std::string id) {
    platform::pg_params params{id};
    auto r = co_await c.query(tenant_exists_sql, std::move(params));
    co_return r.rows() == 1;
}

boost::asio::awaitable<std::optional<domain::tenant_settings>> read_in(
    platform::pg_connection& c, std::string id
) {
    co_return co_await store::find_tenant(c, id);
}

boost::asio::awaitable<update_tenant_result> update_in(
    platform::pg_connection& c,
    std::string id,
    domain::tenant_patch patch,
    domain::field_errors errs,
    domain::instant now
) {
    auto current = co_await store::find_tenant(c, id, /*for_update=*/true);
    if (!current) co_return tenant_not_found{};
    auto next = domain::apply_patch(*current, patch);
    if (!next.ok()) errs.insert(errs.end(), next.errors().begin(), next.errors().end());
    if (!errs.empty()) co_return errs;
    co_await store::save_tenant(c, next.value(), domain::format_instant(now));
    co_return next.value();
}

boost::asio::awaitable<std::string> create_in(
    platform::pg_connection& c, std::string id, std::string name, domain::instant now
) {
    co_await store::insert_tenant(c, id, name, domain::format_instant(now));
    co_return id;
}

}  // namespace

boost::asio::awaitable<bool> tenant_exists(platform::pg_pool& pool, std::string tenant_id) {
    co_return co_await platform::with_tenant_transaction(
        pool, tenant_id, [&](platform::pg_connection& c) { return exists_in(c, tenant_id); }
    );
}

boost::asio::awaitable<std::optional<domain::tenant_settings>> get_tenant(
    platform::pg_pool& pool, std::string tenant_id
) {
    co_return co_await platform::with_tenant_transaction(
        pool, tenant_id, [&](platform::pg_connection& c) { return read_in(c, tenant_id); }
    );
}

boost::asio::awaitable<update_tenant_result> update_tenant(
    platform::pg_pool& pool,
    std::string tenant_id,
    domain::tenant_patch patch,
    domain::field_errors input_errors,
    domain::instant now
) {
    co_return co_await platform::with_tenant_transaction(
        pool,
        tenant_id,
        [&](platform::pg_connection& c) {
            return update_in(c, tenant_id, patch, input_errors, now);
        }
    );
}

boost::asio::awaitable<std::string> create_tenant(
    platform::pg_pool& pool, std::string name, domain::instant now
) {
    auto id = boost::uuids::to_string(boost::uuids::random_generator()());
    co_return co_await platform::with_tenant_transaction(
        pool, id, [&](platform::pg_connection& c) { return create_in(c, id, name, now); }
    );
}

}  // namespace ptool::usecase
