// Artists <-> JSON. Type checks only; rules on values are the use case's (usecase/artists).

#include "http/dto/artist_dto.hpp"

#include "http/dto/cursor.hpp"

namespace ptool::http::dto {

namespace {

constexpr std::string_view cursor_kind = "artist";

boost::json::value opt_json(const std::optional<std::string>& v) {
    if (!v) return nullptr;
    return boost::json::value(*v);
}

std::optional<std::string> read_string(
    const boost::json::object& body, std::string_view key, domain::field_errors& errs
) {
    auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    if (!it->value().is_string()) {
        errs.push_back({"/" + std::string(key), "must be a string"});
        return std::nullopt;
    }
    return std::string(it->value().as_string());
}

// Absent -> nullopt; null -> optional holding nullopt; a string -> that string.
std::optional<std::optional<std::string>> read_nullable_string(
    const boost::json::object& body, std::string_view key, domain::field_errors& errs
) {
    auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    if (it->value().is_null()) return std::optional<std::string>{};
    if (!it->value().is_string()) {
        errs.push_back({"/" + std::string(key), "must be a string or null"});
        return std::nullopt;
    }
    return std::optional<std::string>(std::string(it->value().as_string()));
}

void reject_unknown(
    const boost::json::object& body,
    std::initializer_list<std::string_view> known,
    domain::field_errors& errs
) {
    for (const auto& kv : body) {
        bool ok = false;
        for (auto k : known) ok = ok || kv.key() == k;
        if (!ok) errs.push_back({"/" + std::string(kv.key()), "is not a known field"});
    }
}

}  // namespace

boost::json::object to_json(const store::artist& a) {
    return {
        {"id", a.id},
        {"name", a.name},
        {"timezone", a.timezone},
        {"email", opt_json(a.email)},
        {"userId", opt_json(a.user_id)},
        {"createdAt", domain::format_instant(a.created_at)},
        {"updatedAt", domain::format_instant(a.updated_at)},
    };
}

boost::json::object to_json(const usecase::artist_page& page) {
    auto row_json = [](const store::artist& a) { return to_json(a); };
    return page_json(page, row_json, artist_cursor);
}

std::string artist_cursor(const store::artist_position& p) {
    return encode_created_cursor(cursor_kind, p.created_at, p.id);
}

std::optional<store::artist_position> parse_artist_cursor(const std::vector<std::string>& keys) {
    return parse_created_cursor<store::artist_position>(cursor_kind, keys);
}

parsed_artist_create parse_artist_create(const boost::json::object& body) {
    parsed_artist_create out;
    auto& errs = out.errors;
    if (auto name = read_string(body, "name", errs)) {
        out.value.name = std::move(*name);
    } else if (!body.contains("name")) {
        errs.push_back({"/name", "is required"});
    }
    if (auto tz = read_string(body, "timezone", errs)) {
        out.value.timezone = std::move(*tz);
    } else if (!body.contains("timezone")) {
        errs.push_back({"/timezone", "is required"});
    }
    if (auto email = read_nullable_string(body, "email", errs)) out.value.email = std::move(*email);
    if (auto user = read_nullable_string(body, "userId", errs))
        out.value.user_id = std::move(*user);
    reject_unknown(body, {"name", "timezone", "email", "userId"}, errs);
    return out;
}

parsed_artist_patch parse_artist_patch(const boost::json::object& body) {
    parsed_artist_patch out;
    auto& errs = out.errors;
    out.value.name = read_string(body, "name", errs);
    out.value.timezone = read_string(body, "timezone", errs);
    out.value.email = read_nullable_string(body, "email", errs);
    out.value.user_id = read_nullable_string(body, "userId", errs);
    reject_unknown(body, {"name", "timezone", "email", "userId"}, errs);
    return out;
}

}  // namespace ptool::http::dto
