// /readyz logic: one query of schema_migrations compared with the embedded migration list.

#include "usecase/system.hpp"

#include "store/embedded_migrations.hpp"
#include "store/migration_status.hpp"
#include "store/migrator.hpp"

namespace ptool::usecase {

boost::asio::awaitable<readiness> check_readiness(platform::pg_pool& pool) {
    auto conn = co_await pool.acquire();
    auto applied = co_await store::read_applied_migrations(*conn);
    co_return store::migrations_current(applied, store::embedded_migrations())
        ? readiness::ready
        : readiness::migrations_pending;
}

}  // namespace ptool::usecase
