#pragma once
// SQL of the demo seed (see usecase/demo.hpp).

#include <boost/asio/awaitable.hpp>
#include <string>

#include "platform/pg_connection.hpp"

namespace ptool::store {

// Inserts tenant, artists and a project with fixed ids; existing rows are left alone.
boost::asio::awaitable<void> insert_demo(
    platform::pg_connection& c, const std::string& tenant_id, const std::string& name, const std::string& now_utc
);

}  // namespace ptool::store
