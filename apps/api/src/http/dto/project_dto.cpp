// Projects <-> JSON. Type checks only; rules on values are the use case's (usecase/projects).

#include "http/dto/project_dto.hpp"

#include "http/dto/cursor.hpp"

namespace ptool::http::dto {

namespace {

constexpr std::string_view cursor_kind = "project";

boost::json::value opt_json(const std::optional<std::string>& v) {
    if (!v) return nullptr;
    return boost::json::value(*v);
}

// Absent or null -> nullopt; a string -> it; anything else -> an error.
std::optional<std::string> read_optional_string(
    const boost::json::object& body, std::string_view key, bool nullable, domain::field_errors& errs
) {
    auto it = body.find(key);
    if (it == body.end() || (nullable && it->value().is_null())) return std::nullopt;
    if (!it->value().is_string()) {
        errs.push_back(
            {"/" + std::string(key), nullable ? "must be a string or null" : "must be a string"}
        );
        return std::nullopt;
    }
    return std::string(it->value().as_string());
}

}  // namespace

boost::json::object to_json(const store::project& p) {
    return {
        {"id", p.id},
        {"name", p.name},
        {"code", opt_json(p.code)},
        {"description", opt_json(p.description)},
        {"createdBy", opt_json(p.created_by)},
        {"createdAt", domain::format_instant(p.created_at)},
        {"updatedAt", domain::format_instant(p.updated_at)},
    };
}

boost::json::object to_json(const usecase::project_page& page) {
    auto row_json = [](const store::project& p) { return to_json(p); };
    return page_json(page, row_json, project_cursor);
}

std::string project_cursor(const store::project_position& p) {
    return encode_created_cursor(cursor_kind, p.created_at, p.id);
}

std::optional<store::project_position> parse_project_cursor(const std::vector<std::string>& keys) {
    return parse_created_cursor<store::project_position>(cursor_kind, keys);
}

parsed_project_create parse_project_create(const boost::json::object& body) {
    parsed_project_create out;
    auto& errs = out.errors;
    if (auto name = read_optional_string(body, "name", false, errs)) {
        out.value.name = std::move(*name);
    } else if (!body.contains("name")) {
        errs.push_back({"/name", "is required"});
    }
    out.value.code = read_optional_string(body, "code", true, errs);
    out.value.description = read_optional_string(body, "description", true, errs);
    for (const auto& kv : body) {
        auto k = kv.key();
        if (k != "name" && k != "code" && k != "description") {
            errs.push_back({"/" + std::string(k), "is not a known field"});
        }
    }
    return out;
}

}  // namespace ptool::http::dto
