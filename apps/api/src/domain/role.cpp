// Role names as they appear in tokens, and the booker < manager < admin order.

#include "domain/role.hpp"

namespace ptool::domain {

std::optional<role> parse_role(std::string_view s) {
    if (s == "viewer") return role::viewer;
    if (s == "artist") return role::artist;
    if (s == "booker") return role::booker;
    if (s == "manager") return role::manager;
    if (s == "admin") return role::admin;
    return std::nullopt;
}

std::string_view to_string(role r) {
    switch (r) {
        case role::viewer: return "viewer";
        case role::artist: return "artist";
        case role::booker: return "booker";
        case role::manager: return "manager";
        case role::admin: return "admin";
    }
    return "viewer";
}

bool at_least(role r, role min) {
    auto rank = [](role x) {
        // artist reads like a viewer; its own-availability right is checked separately
        return x == role::artist ? static_cast<int>(role::viewer) : static_cast<int>(x);
    };
    return rank(r) >= rank(min);
}

}  // namespace ptool::domain
