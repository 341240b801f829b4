#pragma once
// Readiness of the service: the database answers and its schema matches the migrations
// embedded in this binary.

#include <boost/asio/awaitable.hpp>

#include "platform/pg_pool.hpp"

namespace ptool::usecase {

enum class readiness { ready, migrations_pending, database_unreachable };

// Throws db_unavailable / db_error as the pool does.
boost::asio::awaitable<readiness> check_readiness(platform::pg_pool& pool);

}  // namespace ptool::usecase
