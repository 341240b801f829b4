// Tenant settings rules: ranges of SPEC §2 and the holdMaxMinutes cross-field rule of §10.

#include "domain/tenant.hpp"

#include <fmt/format.h>

namespace ptool::domain {

namespace {

void check_range(field_errors& errs, const char* path, const std::optional<int>& v, int lo, int hi) {
    if (v && (*v < lo || *v > hi)) {
        errs.push_back({path, fmt::format("must be between {} and {}", lo, hi)});
    }
}

}  // namespace

validated<tenant_settings> apply_patch(const tenant_settings& current, const tenant_patch& patch) {
    field_errors errs;
    if (patch.name && (patch.name->empty() || patch.name->size() > 200)) {
        errs.push_back({"/name", "must be 1 to 200 characters"});
    }
    check_range(errs, "/holdTtlMinutes", patch.hold_ttl_minutes, 1, 120);
    check_range(errs, "/holdMaxMinutes", patch.hold_max_minutes, 1, 10080);
    check_range(errs, "/pencilTtlHours", patch.pencil_ttl_hours, 24, 48);
    check_range(errs, "/challengeWindowHours", patch.challenge_window_hours, 1, 72);

    tenant_settings next = current;
    if (patch.name) next.name = *patch.name;
    if (patch.hold_ttl_minutes) next.hold_ttl_minutes = *patch.hold_ttl_minutes;
    if (patch.hold_max_minutes) next.hold_max_minutes = *patch.hold_max_minutes;
    if (patch.pencil_ttl_hours) next.pencil_ttl_hours = *patch.pencil_ttl_hours;
    if (patch.challenge_window_hours) next.challenge_window_hours = *patch.challenge_window_hours;

    bool max_already_reported = false;
    for (const auto& e : errs) {
        max_already_reported = max_already_reported || e.path == "/holdMaxMinutes";
    }
    if (!max_already_reported && next.hold_max_minutes < next.hold_ttl_minutes) {
        errs.push_back(
            {"/holdMaxMinutes",
             fmt::format("must be at least holdTtlMinutes ({})", next.hold_ttl_minutes)}
        );
    }
    if (!errs.empty()) {
        return errs;
    }
    return next;
}

}  // namespace ptool::domain
