// JWT verification with libjwt 1.10 (Debian 12). That version has no claim validation API,
// so exp/nbf/alg are checked here by hand after jwt_decode has checked the signature.

#include "http/auth.hpp"

#include <jwt.h>

#include <boost/beast/http/field.hpp>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace ptool::http {

namespace {

constexpr long leeway_seconds = 30;
constexpr auto tenant_cache_ttl = std::chrono::seconds(60);

struct jwt_deleter {
    void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

std::optional<std::string> string_grant(jwt_t* j, const char* name) {
    const char* v = jwt_get_grant(j, name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

std::optional<long> int_grant(jwt_t* j, const char* name) {
    errno = 0;
    long v = jwt_get_grant_int(j, name);
    if (errno != 0) return std::nullopt;
    return v;
}

}  // namespace

std::variant<principal, std::string> verify_token(
    std::string_view token, std::string_view secret, std::chrono::system_clock::time_point now
) {
    if (token.empty() || token.size() > 8192) return std::string("token empty or too long");
    // A signed JWT has exactly three non-empty parts; "x.y." (alg none) is refused here too.
    auto d1 = token.find('.');
    auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || d2 + 1 >= token.size() ||
        token.find('.', d2 + 1) != std::string_view::npos) {
        return std::string("token is not a signed JWT");
    }
    jwt_t* raw = nullptr;
    std::string tok(token);
    int rc = jwt_decode(
        &raw,
        tok.c_str(),
        reinterpret_cast<const unsigned char*>(secret.data()),  // NOLINT: C API takes bytes
        static_cast<int>(secret.size())
    );
    jwt_ptr j(raw);
    if (rc != 0 || !j) return std::string("bad signature or malformed token");
    if (jwt_get_alg(j.get()) != JWT_ALG_HS256) return std::string("algorithm not HS256");

    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto exp = int_grant(j.get(), "exp");
    if (!exp) return std::string("exp missing");
    if (*exp + leeway_seconds < now_s) return std::string("token expired");
    if (auto nbf = int_grant(j.get(), "nbf"); nbf && *nbf - leeway_seconds > now_s) {
        return std::string("token not yet valid");
    }
    auto sub = string_grant(j.get(), "sub");
    auto tid = string_grant(j.get(), "tid");
    auto role_s = string_grant(j.get(), "role");
    if (!sub || sub->empty()) return std::string("sub missing");
    if (!tid || !is_uuid(*tid)) return std::string("tid missing or not a UUID");
    if (!role_s) return std::string("role missing");
    auto r = domain::parse_role(*role_s);
    if (!r) return std::string("unknown role");
    principal p{std::move(*tid), std::move(*sub), *r};
    for (auto& c : p.tenant_id) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return p;
}

std::string issue_token(
    std::string_view secret,
    const principal& who,
    std::chrono::seconds ttl,
    std::chrono::system_clock::time_point now
) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    jwt_ptr j(raw);
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto role_name = std::string(domain::to_string(who.role));
    if (jwt_add_grant(j.get(), "sub", who.user.c_str()) != 0 ||
        jwt_add_grant(j.get(), "tid", who.tenant_id.c_str()) != 0 ||
        jwt_add_grant(j.get(), "role", role_name.c_str()) != 0 ||
        jwt_add_grant_int(j.get(), "iat", now_s) != 0 ||
        jwt_add_grant_int(j.get(), "exp", now_s + ttl.count()) != 0) {
        throw std::runtime_error("could not add JWT claims");
    }
    if (jwt_set_alg(
            j.get(),
            JWT_ALG_HS256,
            reinterpret_cast<const unsigned char*>(secret.data()),  // NOLINT: C API takes bytes
            static_cast<int>(secret.size())
        ) != 0) {
        throw std::runtime_error("could not set JWT algorithm (is JWT_SECRET empty?)");
    }
    char* out = jwt_encode_str(j.get());
    if (out == nullptr) throw std::runtime_error("could not encode JWT");
    std::string s(out);
    free(out);  // NOLINT(cppcoreguidelines-no-malloc): libjwt 1.10 allocates with malloc
    return s;
}

authenticator::authenticator(std::string secret, tenant_lookup lookup, clock_fn now)
    : secret_(std::move(secret)), lookup_(std::move(lookup)), now_(std::move(now)) {}

boost::asio::awaitable<std::variant<principal, problem>> authenticator::authenticate(
    const request& req
) {
    auto it = req.find(boost::beast::http::field::authorization);
    if (it == req.end()) co_return unauthenticated();
    std::string_view value = it->value();
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), value.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
        })) {
        co_return unauthenticated("The Authorization header must be 'Bearer <token>'.");
    }
    co_return co_await authenticate_token(std::string(value.substr(scheme.size())));
}

boost::asio::awaitable<std::variant<principal, problem>> authenticator::authenticate_token(
    std::string token
) {
    auto verified = verify_token(token, secret_, now_());
    if (auto* why = std::get_if<std::string>(&verified)) {
        co_return unauthenticated("The token is invalid: " + *why + ".");
    }
    auto p = std::get<principal>(std::move(verified));
    auto steady_now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mu_);
        auto hit = known_tenants_.find(p.tenant_id);
        if (hit != known_tenants_.end() && hit->second > steady_now) {
            co_return p;
        }
    }
    if (!co_await lookup_(p.tenant_id)) {
        co_return unauthenticated("The token's tenant does not exist.");
    }
    {
        std::lock_guard lock(mu_);
        known_tenants_[p.tenant_id] = steady_now + tenant_cache_ttl;
    }
    co_return p;
}

}  // namespace ptool::http
