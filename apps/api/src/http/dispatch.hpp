#pragma once
// From a parsed request to a response: routing (404/405), the handler, and the per-request
// safety net (db_unavailable -> 503, anything else -> 500 logged with the request id),
// metrics and the access log. Never throws.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "http/router.hpp"
#include "http/types.hpp"
#include "platform/metrics.hpp"

namespace ptool::http {

boost::asio::awaitable<response> dispatch(
    const router& routes, platform::metrics& m, const request& req, std::string request_id
);

}  // namespace ptool::http
