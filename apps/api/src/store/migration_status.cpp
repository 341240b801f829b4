// Reads schema_migrations for /readyz.

#include "store/migration_status.hpp"

#include "store/migrator.hpp"

namespace ptool::store {

boost::asio::awaitable<std::vector<std::pair<std::string, std::string>>> read_applied_migrations(
    platform::pg_connection& c
) {
    auto r = co_await c.query(migration_status_sql);
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.emplace_back(std::string(r.get(i, 0)), std::string(r.get(i, 1)));
    }
    co_return out;
}

}  // namespace ptool::store
