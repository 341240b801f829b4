// `ptool token --tenant T --user U --role R [--ttl 8h]`: prints an HS256 JWT signed with
// JWT_SECRET.

#include <iostream>

#include "cli/commands.hpp"
#include "http/auth.hpp"
#include "platform/config.hpp"

namespace ptool::cli {

void add_token(CLI::App& app, int& exit_code) {
    struct opts {
        std::string tenant, user, role, ttl = "8h";
    };
    auto o = std::make_shared<opts>();
    auto* cmd = app.add_subcommand("token", "Print a signed JWT for a user of a tenant (uses JWT_SECRET)");
    cmd->add_option("--tenant", o->tenant, "Tenant UUID")->required();
    cmd->add_option("--user", o->user, "User id (the token's sub)")->required();
    cmd->add_option("--role", o->role, "admin, manager, booker, artist or viewer")->required();
    cmd->add_option("--ttl", o->ttl, "Lifetime, e.g. 8h, 30m, 2d")->capture_default_str();
    cmd->callback([o, &exit_code] {
        auto secret = platform::env_or("JWT_SECRET");
        if (secret.empty()) {
            std::cerr << "ptool token: JWT_SECRET is not set\n";
            exit_code = 2;
            return;
        }
        auto role = domain::parse_role(o->role);
        if (!role) throw CLI::ValidationError("--role", "must be admin, manager, booker, artist or viewer");
        if (!http::is_uuid(o->tenant)) throw CLI::ValidationError("--tenant", "must be a UUID");
        if (o->user.empty()) throw CLI::ValidationError("--user", "must not be empty");
        auto ttl = parse_ttl(o->ttl);
        std::cout << http::issue_token(
                         secret, http::principal{o->tenant, o->user, *role}, ttl, std::chrono::system_clock::now()
                     )
                  << '\n';
    });
}

}  // namespace ptool::cli
