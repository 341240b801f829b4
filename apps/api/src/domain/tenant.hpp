#pragma once
// Tenant settings (SPEC §2, §10) and the rules of changing them. Pure.

#include <optional>
#include <string>
#include <vector>

#include "domain/validation.hpp"

namespace ptool::domain {

struct tenant_settings {
    std::string id;
    std::string name;
    int hold_ttl_minutes = 30;
    int hold_max_minutes = 480;
    int pencil_ttl_hours = 48;
    int challenge_window_hours = 24;
};

// A PATCH: any subset of the settings.
struct tenant_patch {
    std::optional<std::string> name;
    std::optional<int> hold_ttl_minutes;
    std::optional<int> hold_max_minutes;
    std::optional<int> pencil_ttl_hours;
    std::optional<int> challenge_window_hours;
};

// Checks every field of the patch and the cross-field rule on the merged result
// (holdMaxMinutes in holdTtlMinutes..10080, reported at /holdMaxMinutes). Returns the
// merged settings, or every offending field (JSON-pointer paths in wire names).
validated<tenant_settings> apply_patch(const tenant_settings& current, const tenant_patch& patch);

}  // namespace ptool::domain
