#pragma once
// Bearer-token authentication (SPEC §4, §10 "Tokens"): HS256 JWTs with claims sub, tid, role,
// exp. The tenant comes from the token only. Tokens are never logged.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "domain/role.hpp"
#include "domain/validation.hpp"
#include "http/problem.hpp"
#include "http/types.hpp"

namespace ptool::http {

struct principal {
    std::string tenant_id;  // UUID, lower case
    std::string user;       // the token's `sub`
    domain::role role = domain::role::viewer;
};

// Verifies signature (HS256 only; `alg: none` and others refused), exp/nbf with 30 s leeway,
// and the presence and form of sub/tid/role. Returns the principal or a reason (for logs,
// never containing the token). Pure: no I/O.
std::variant<principal, std::string> verify_token(
    std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now
);

// Signs a token for `ptool token`. Throws std::runtime_error when libjwt fails.
std::string issue_token(
    std::string_view secret,
    const principal& who,
    std::chrono::seconds ttl,
    std::chrono::system_clock::time_point now
);

using domain::is_uuid;  // canonical UUID check, shared with realtime

// Authenticates requests: verify_token plus "tid names an existing tenant" (cached for a
// minute, since tenants are never deleted). Thread-safe.
class authenticator {
public:
    using tenant_lookup = std::function<boost::asio::awaitable<bool>(std::string tenant_id)>;
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    authenticator(std::string secret, tenant_lookup lookup, clock_fn now);

    // The caller, or a 401 problem. Throws what the tenant lookup throws (db_unavailable).
    boost::asio::awaitable<std::variant<principal, problem>> authenticate(const request& req);

    // The same for a bare token (the Socket.IO handshake's auth.token).
    boost::asio::awaitable<std::variant<principal, problem>> authenticate_token(std::string token);

private:
    std::string secret_;
    tenant_lookup lookup_;
    clock_fn now_;
    std::mutex mu_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> known_tenants_;
};

}  // namespace ptool::http
