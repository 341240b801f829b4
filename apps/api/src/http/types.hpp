#pragma once
// HTTP message types and the per-request context handed to route handlers.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/params_view.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptool::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

struct request_context {
    const request& req;
    std::string request_id;
    std::string path;
    boost::urls::params_view query;  // percent-decoded view into req.target()
    std::vector<std::pair<std::string, std::string>> path_params;

    // The value of `{name}` in the matched route pattern; "" when absent.
    std::string_view param(std::string_view name) const {
        for (const auto& [k, v] : path_params) {
            if (k == name) return v;
        }
        return {};
    }
};

using handler = std::function<boost::asio::awaitable<response>(request_context&)>;

}  // namespace ptool::http
