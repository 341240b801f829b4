#pragma once
// What the server sees of applied migrations (asynchronously, on the app role, which may
// SELECT schema_migrations).

#include <boost/asio/awaitable.hpp>
#include <string>
#include <utility>
#include <vector>

#include "platform/pg_connection.hpp"

namespace ptool::store {

// (version, checksum) of every applied migration, by version. Throws db_error when the
// table does not exist yet.
boost::asio::awaitable<std::vector<std::pair<std::string, std::string>>> read_applied_migrations(
    platform::pg_connection& c
);

}  // namespace ptool::store
