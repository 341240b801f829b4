// Bookings and booking events <-> JSON (camelCase). Request bodies go through the OpenAPI
// schema first; what JSON Schema cannot say (instants, UUIDs, ranges) is added here.

#include "http/dto/booking_dto.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cstdint>
#include <limits>
#include <utility>

#include "domain/time.hpp"
#include "http/schema_validator.hpp"

namespace ptool::http::dto {

namespace json = boost::json;

namespace {

constexpr const char* instant_message = "must be an RFC 3339 instant with offset";
constexpr const char* uuid_message = "must be a UUID";

json::value opt_string(const std::optional<std::string>& s) {
    if (s) {
        return json::string(*s);
    }
    return nullptr;
}

json::value opt_instant(const std::optional<domain::instant>& t) {
    if (t) {
        return json::string(domain::format_instant(*t));
    }
    return nullptr;
}

// A JSON number that is a whole value within int (1.0 included, as the schema allows).
std::optional<int> as_int(const json::value& v) {
    if (v.is_int64()) {
        const auto i = v.get_int64();
        if (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max()) {
            return static_cast<int>(i);
        }
        return std::nullopt;
    }
    if (v.is_uint64()) {
        const auto u = v.get_uint64();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
            return static_cast<int>(u);
        }
        return std::nullopt;
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (d >= std::numeric_limits<int>::min() && d <= std::numeric_limits<int>::max() &&
            d == static_cast<double>(static_cast<int>(d))) {
            return static_cast<int>(d);
        }
    }
    return std::nullopt;
}

// Reads the members of a body that passed (or partly passed) its schema. A member whose path
// already has an error is skipped, so each path is reported once; every other problem is
// added to `errors`.
class reader {
public:
    reader(const json::value& body, domain::field_errors errors)
        : obj_(body.if_object()), errors_(std::move(errors)) {}

    [[nodiscard]] bool is_object() const { return obj_ != nullptr; }

    // The member, when present and its path has no error yet.
    [[nodiscard]] const json::value* member(std::string_view name) const {
        if (obj_ == nullptr) {
            return nullptr;
        }
        const json::value* v = obj_->if_contains(name);
        if (v == nullptr || has_error(path_of(name))) {
            return nullptr;
        }
        return v;
    }

    std::optional<domain::instant> instant(std::string_view name) {
        const json::value* v = member(name);
        if (v == nullptr || v->is_null()) {
            return std::nullopt;
        }
        if (v->is_string()) {
            if (auto t = domain::parse_instant(v->get_string())) {
                return t;
            }
        }
        add(path_of(name), instant_message);
        return std::nullopt;
    }

    std::optional<std::string> string(std::string_view name) {
        const json::value* v = member(name);
        if (v == nullptr || v->is_null()) {
            return std::nullopt;
        }
        if (v->is_string()) {
            return std::string(v->get_string());
        }
        add(path_of(name), "must be a string");
        return std::nullopt;
    }

    // Absent -> nullopt; null -> {nullopt}; a string -> {string} (merge-patch members).
    std::optional<std::optional<std::string>> nullable_string(std::string_view name) {
        const json::value* v = member(name);
        if (v == nullptr) {
            return std::nullopt;
        }
        if (v->is_null()) {
            return std::optional<std::string>{};
        }
        if (v->is_string()) {
            return std::optional<std::string>{std::string(v->get_string())};
        }
        add(path_of(name), "must be a string or null");
        return std::nullopt;
    }

    std::optional<std::string> uuid(std::string_view name) {
        auto s = string(name);
        if (s && !domain::is_uuid(*s)) {
            add(path_of(name), uuid_message);
            return std::nullopt;
        }
        return s;
    }

    std::optional<int> integer(std::string_view name) {
        const json::value* v = member(name);
        if (v == nullptr) {
            return std::nullopt;
        }
        if (auto i = as_int(*v)) {
            return i;
        }
        add(path_of(name), "must be an integer");
        return std::nullopt;
    }

    std::optional<bool> boolean(std::string_view name) {
        const json::value* v = member(name);
        if (v == nullptr) {
            return std::nullopt;
        }
        if (v->is_bool()) {
            return v->get_bool();
        }
        add(path_of(name), "must be a boolean");
        return std::nullopt;
    }

    [[nodiscard]] bool has_error(const std::string& path) const {
        return std::any_of(errors_.begin(), errors_.end(), [&](const domain::field_error& e) {
            return e.path == path;
        });
    }

    void add(std::string path, std::string message) {
        if (!has_error(path)) {
            errors_.push_back({std::move(path), std::move(message)});
        }
    }

    // Schema errors and ours, sorted by path like the schema validator's.
    domain::field_errors take() {
        std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
            return a.path < b.path;
        });
        return std::move(errors_);
    }

    static std::string path_of(std::string_view name) { return "/" + std::string(name); }

private:
    const json::object* obj_;
    domain::field_errors errors_;
};

// The time-range rule across fields (SPEC §3.5), when both ends are known; it points at
// /endTime. The domain checks it again with the stored values (PATCH of one end).
void check_range(
    reader& r, std::optional<domain::instant> start, std::optional<domain::instant> end
) {
    if (!start || !end) {
        return;
    }
    for (auto& e : domain::check_time_range(*start, *end)) {
        r.add(std::move(e.path), std::move(e.message));
    }
}

std::optional<std::string> string_member(const json::object& o, std::string_view key, bool& ok) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        ok = false;
        return std::nullopt;
    }
    if (v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        ok = false;
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::optional<domain::instant> instant_member(
    const json::object& o, std::string_view key, bool& ok
) {
    auto s = string_member(o, key, ok);
    if (!s) {
        return std::nullopt;
    }
    auto t = domain::parse_instant(*s);
    if (!t) {
        ok = false;
    }
    return t;
}

}  // namespace

boost::json::object to_json(const domain::booking& b) {
    json::value challenge = nullptr;
    if (b.challenge) {
        challenge = json::object{
            {"byBookingId", b.challenge->by_booking_id},
            {"deadline", domain::format_instant(b.challenge->deadline)},
        };
    }
    return {
        {"id", b.id},
        {"artistId", b.artist_id},
        {"projectId", opt_string(b.project_id)},
        {"startTime", domain::format_instant(b.start_time)},
        {"endTime", domain::format_instant(b.end_time)},
        {"status", domain::to_string(b.status)},
        {"priority", b.priority},
        {"expiresAt", opt_instant(b.expires_at)},
        {"version", b.version},
        {"title", opt_string(b.title)},
        {"notes", opt_string(b.notes)},
        {"createdBy", b.created_by},
        {"createdAt", domain::format_instant(b.created_at)},
        {"updatedAt", domain::format_instant(b.updated_at)},
        {"challenge", std::move(challenge)},
        {"statusReason", opt_string(b.status_reason)},
    };
}

boost::json::object event_payload(const domain::booking_change& change) {
    json::object after = to_json(change.after);
    json::value previous = nullptr;
    if (change.before) {
        // Every member whose wire value differs, with its old value: the same rule for every
        // event type, so `previous` never misses a field a new event type happens to touch.
        const json::object before = to_json(*change.before);
        json::object diff;
        for (const auto& [key, old_value] : before) {
            const json::value* now = after.if_contains(key);
            if (now == nullptr || *now != old_value) {
                diff[key] = old_value;
            }
        }
        previous = std::move(diff);
    }
    return {
        {"booking", std::move(after)},
        {"previous", std::move(previous)},
        {"reason", opt_string(change.reason)},
    };
}

boost::json::object to_json(const stored_event& e) {
    auto member = [&e](std::string_view key) -> json::value {
        const json::value* v = e.payload.if_contains(key);
        return v != nullptr ? *v : json::value(nullptr);
    };
    return {
        {"seq", e.seq},
        {"type", e.type},
        {"bookingId", e.booking_id},
        {"artistId", e.artist_id},
        {"actor", e.actor},
        {"occurredAt", domain::format_instant(e.occurred_at)},
        {"booking", member("booking")},
        {"previous", member("previous")},
        {"reason", member("reason")},
    };
}

std::optional<domain::booking> booking_from_json(const boost::json::value& v) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
        return std::nullopt;
    }
    bool ok = true;
    domain::booking b;
    auto required_string = [&](std::string_view key) {
        auto s = string_member(*o, key, ok);
        if (!s) {
            ok = false;
        }
        return s.value_or(std::string());
    };
    auto required_instant = [&](std::string_view key) {
        auto t = instant_member(*o, key, ok);
        if (!t) {
            ok = false;
        }
        return t.value_or(domain::instant{});
    };
    auto required_int = [&](std::string_view key) {
        const json::value* n = o->if_contains(key);
        auto i = n != nullptr ? as_int(*n) : std::nullopt;
        if (!i) {
            ok = false;
        }
        return i.value_or(0);
    };
    b.id = required_string("id");
    b.artist_id = required_string("artistId");
    b.project_id = string_member(*o, "projectId", ok);
    b.start_time = required_instant("startTime");
    b.end_time = required_instant("endTime");
    if (auto status = domain::parse_booking_status(required_string("status"))) {
        b.status = *status;
    } else {
        ok = false;
    }
    b.priority = required_int("priority");
    b.expires_at = instant_member(*o, "expiresAt", ok);
    b.version = required_int("version");
    b.title = string_member(*o, "title", ok);
    b.notes = string_member(*o, "notes", ok);
    b.created_by = required_string("createdBy");
    b.created_at = required_instant("createdAt");
    b.updated_at = required_instant("updatedAt");
    b.status_reason = string_member(*o, "statusReason", ok);
    // `challenge` is an object or null, never absent.
    const json::value* ch = o->if_contains("challenge");
    if (ch == nullptr || !(ch->is_null() || ch->is_object())) {
        ok = false;
    } else if (const json::object* c = ch->if_object()) {
        auto by = string_member(*c, "byBookingId", ok);
        auto deadline = instant_member(*c, "deadline", ok);
        ok = ok && by && deadline;
        if (by && deadline) {
            b.challenge = domain::challenge_info{std::move(*by), *deadline};
        }
    }
    if (!ok) {
        return std::nullopt;
    }
    return b;
}

parsed_create parse_create_booking(const boost::json::value& body) {
    reader r(body, schema_validator::embedded().validate("BookingCreate", body));
    parsed_create out;
    if (!r.is_object()) {
        out.errors = r.take();
        return out;
    }
    domain::new_booking& nb = out.value;
    nb.artist_id = r.uuid("artistId").value_or(std::string());
    auto start = r.instant("startTime");
    auto end = r.instant("endTime");
    if (start) {
        nb.start_time = *start;
    }
    if (end) {
        nb.end_time = *end;
    }
    check_range(r, start, end);
    if (auto s = r.string("status")) {
        if (auto status = domain::parse_booking_status(*s); status && domain::is_active(*status)) {
            nb.status = *status;
        } else {
            r.add("/status", "must be one of hold, pencil, confirmed");
        }
    }
    nb.priority = r.integer("priority").value_or(0);
    nb.title = r.string("title");
    nb.notes = r.string("notes");
    nb.project_id = r.uuid("projectId");
    nb.confirm_by = r.instant("confirmBy");
    if (nb.confirm_by && nb.status != domain::booking_status::pencil && !r.has_error("/status")) {
        r.add("/confirmBy", "is only allowed when status is pencil");
    }
    nb.override_availability = r.boolean("overrideAvailability").value_or(false);
    out.errors = r.take();
    return out;
}

parsed_patch parse_booking_patch(const boost::json::value& body) {
    reader r(body, schema_validator::embedded().validate("BookingPatch", body));
    parsed_patch out;
    if (!r.is_object()) {
        out.errors = r.take();
        return out;
    }
    domain::booking_patch& p = out.value;
    p.start_time = r.instant("startTime");
    p.end_time = r.instant("endTime");
    check_range(r, p.start_time, p.end_time);
    p.title = r.nullable_string("title");
    p.notes = r.nullable_string("notes");
    p.priority = r.integer("priority");
    p.override_availability = r.boolean("overrideAvailability").value_or(false);
    out.errors = r.take();
    return out;
}

parsed_transition parse_transition(domain::booking_action action, const boost::json::value& body) {
    std::string_view schema = "EmptyRequest";
    switch (action) {
        case domain::booking_action::pencil:
            schema = "PencilRequest";
            break;
        case domain::booking_action::release:
        case domain::booking_action::cancel:
        case domain::booking_action::challenge:
            schema = "ReasonRequest";
            break;
        case domain::booking_action::confirm:
            schema = "ConfirmRequest";
            break;
        case domain::booking_action::extend:
            break;
    }
    reader r(body, schema_validator::embedded().validate(schema, body));
    parsed_transition out;
    out.value.action = action;
    if (!r.is_object()) {
        out.errors = r.take();
        return out;
    }
    // The schema has already refused these members for actions that do not take them.
    if (action == domain::booking_action::pencil) {
        out.value.confirm_by = r.instant("confirmBy");
    }
    if (action == domain::booking_action::pencil || action == domain::booking_action::confirm) {
        out.value.override_availability = r.boolean("overrideAvailability").value_or(false);
    }
    if (schema == "ReasonRequest") {
        out.value.reason = r.string("reason");
    }
    out.errors = r.take();
    return out;
}

std::optional<int> parse_if_match(std::string_view header) {
    auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    while (!header.empty() && is_space(header.front())) {
        header.remove_prefix(1);
    }
    while (!header.empty() && is_space(header.back())) {
        header.remove_suffix(1);
    }
    // Weak and strong forms compare alike here: a version is a version.
    if (header.substr(0, 2) == "W/") {
        header.remove_prefix(2);
    }
    if (header.size() >= 2 && header.front() == '"' && header.back() == '"') {
        header = header.substr(1, header.size() - 2);
    }
    if (header.empty()) {
        return std::nullopt;
    }
    for (char c : header) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    int v = 0;
    auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), v);
    if (ec != std::errc() || end != header.data() + header.size()) {
        return std::nullopt;
    }
    return v;
}

std::string etag(int version) { return "\"" + std::to_string(version) + "\""; }

json::object event_to_json(const store::event_row& e) {
    stored_event se;
    se.seq = e.seq;
    se.type = e.type;
    se.booking_id = e.booking_id;
    se.artist_id = e.artist_id;
    se.actor = e.actor;
    se.occurred_at = e.occurred_at;
    boost::system::error_code ec;
    auto v = json::parse(e.payload, ec);
    if (!ec && v.is_object()) se.payload = v.as_object();
    // jsonb keeps keys sorted; show the booking in the API's member order.
    if (auto* b = se.payload.if_contains("booking")) {
        if (auto parsed = booking_from_json(*b)) *b = to_json(*parsed);
    }
    return to_json(se);
}

}  // namespace ptool::http::dto
