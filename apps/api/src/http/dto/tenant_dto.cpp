// Tenant settings <-> JSON. Range rules are the domain's; this file checks only JSON types.

#include "http/dto/tenant_dto.hpp"

namespace ptool::http::dto {

namespace {

std::optional<int> read_int(
    const boost::json::object& body, const char* key, domain::field_errors& errs
) {
    auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    const auto& v = it->value();
    if (v.is_int64() && v.as_int64() >= INT32_MIN && v.as_int64() <= INT32_MAX) {
        return static_cast<int>(v.as_int64());
    }
    if (v.is_uint64() || v.is_int64()) {
        errs.push_back({std::string("/") + key, "is out of range"});
        return std::nullopt;
    }
    if (v.is_double() && v.as_double() == static_cast<double>(static_cast<long long>(v.as_double())) &&
        v.as_double() >= INT32_MIN && v.as_double() <= INT32_MAX) {
        return static_cast<int>(v.as_double());
    }
    errs.push_back({std::string("/") + key, "must be an integer"});
    return std::nullopt;
}

}  // namespace

boost::json::object to_json(const domain::tenant_settings& t) {
    return {
        {"id", t.id},
        {"name", t.name},
        {"holdTtlMinutes", t.hold_ttl_minutes},
        {"holdMaxMinutes", t.hold_max_minutes},
        {"pencilTtlHours", t.pencil_ttl_hours},
        {"challengeWindowHours", t.challenge_window_hours},
    };
}

parsed_tenant_patch parse_tenant_patch(const boost::json::object& body) {
    static constexpr const char* known[] = {
        "name", "holdTtlMinutes", "holdMaxMinutes", "pencilTtlHours", "challengeWindowHours"
    };
    domain::field_errors errs;
    domain::tenant_patch p;
    if (auto it = body.find("name"); it != body.end()) {
        if (it->value().is_string()) {
            p.name = std::string(it->value().as_string());
        } else {
            errs.push_back({"/name", "must be a string"});
        }
    }
    p.hold_ttl_minutes = read_int(body, "holdTtlMinutes", errs);
    p.hold_max_minutes = read_int(body, "holdMaxMinutes", errs);
    p.pencil_ttl_hours = read_int(body, "pencilTtlHours", errs);
    p.challenge_window_hours = read_int(body, "challengeWindowHours", errs);
    for (const auto& [k, v] : body) {
        bool ok = false;
        for (const char* name : known) ok = ok || k == name;
        if (!ok) errs.push_back({"/" + std::string(k), "is not a known field"});
    }
    return {std::move(p), std::move(errs)};
}

}  // namespace ptool::http::dto
