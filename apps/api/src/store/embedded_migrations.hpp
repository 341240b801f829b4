#pragma once
// The migration files of apps/api/migrations, embedded at build time (see
// cmake/embed_migrations.cmake), in file-name order.

#include <string_view>
#include <vector>

namespace ptool::store {

struct embedded_migration {
    std::string_view name;  // e.g. "0001_core.sql"
    std::string_view sql;
};

const std::vector<embedded_migration>& embedded_migrations();

}  // namespace ptool::store
