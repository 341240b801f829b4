// verify-events: replays each booking's event payloads (JSON, read here with a small reader,
// since use cases do not include http/dto) and compares the last snapshot with the row.

#include "usecase/verify_events.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>
#include <string_view>

#include "domain/time.hpp"
#include "platform/pg_transaction.hpp"

namespace ptool::usecase {

namespace {

namespace json = boost::json;

// The booking's wire fields (SPEC §2, §10), as in an event payload's `booking`.
constexpr std::array<std::string_view, 16> booking_fields = {
    "id",
    "artistId",
    "projectId",
    "startTime",
    "endTime",
    "status",
    "priority",
    "expiresAt",
    "version",
    "title",
    "notes",
    "statusReason",
    "challenge",
    "createdBy",
    "createdAt",
    "updatedAt",
};

bool is_known_field(std::string_view f) {
    return std::find(booking_fields.begin(), booking_fields.end(), f) != booking_fields.end();
}

bool is_instant_field(std::string_view f) {
    return f == "startTime" || f == "endTime" || f == "expiresAt" || f == "createdAt" ||
           f == "updatedAt";
}

bool is_uuid_field(std::string_view f) { return f == "id" || f == "artistId" || f == "projectId"; }

std::string_view sv(const json::string& s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& ch : out) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

std::string canonical_instant(const json::value& v) {
    if (v.is_string()) {
        if (auto t = domain::parse_instant(sv(v.as_string()))) {
            return domain::format_instant(*t);
        }
    }
    return "invalid instant " + json::serialize(v);
}

// A field's value in one comparable form: instants normalised, ids lower-cased, the rest as
// JSON text; "(missing)" when absent.
std::string canonical(std::string_view field, const json::value* v) {
    if (v == nullptr) {
        return "(missing)";
    }
    if (v->is_null()) {
        return "null";
    }
    if (is_instant_field(field)) {
        return canonical_instant(*v);
    }
    if (is_uuid_field(field) && v->is_string()) {
        return json::serialize(json::value(lower(sv(v->as_string()))));
    }
    if (field == "challenge") {
        const auto* o = v->if_object();
        const json::value* by = o != nullptr ? o->if_contains("byBookingId") : nullptr;
        const json::value* deadline = o != nullptr ? o->if_contains("deadline") : nullptr;
        if (o == nullptr || o->size() != 2 || by == nullptr || !by->is_string() ||
            deadline == nullptr) {
            return "invalid challenge " + json::serialize(*v);
        }
        return "{byBookingId: " + lower(sv(by->as_string())) +
               ", deadline: " + canonical_instant(*deadline) + "}";
    }
    return json::serialize(*v);
}

using snapshot = std::map<std::string, std::string, std::less<>>;

snapshot canonical_snapshot(const json::object& booking) {
    snapshot s;
    for (auto f : booking_fields) {
        s.emplace(std::string(f), canonical(f, booking.if_contains(f)));
    }
    return s;
}

json::value opt_json(const std::optional<std::string>& v) {
    if (!v) {
        return nullptr;
    }
    return json::value(*v);
}

json::value opt_instant_json(const std::optional<domain::instant>& t) {
    if (!t) {
        return nullptr;
    }
    return json::value(domain::format_instant(*t));
}

// The row in the payload's wire form, so both sides go through canonical().
json::object row_json(const store::stored_booking& b) {
    json::object o;
    o["id"] = b.id;
    o["artistId"] = b.artist_id;
    o["projectId"] = opt_json(b.project_id);
    o["startTime"] = domain::format_instant(b.start_time);
    o["endTime"] = domain::format_instant(b.end_time);
    o["status"] = b.status;
    o["priority"] = b.priority;
    o["expiresAt"] = opt_instant_json(b.expires_at);
    o["version"] = b.version;
    o["title"] = opt_json(b.title);
    o["notes"] = opt_json(b.notes);
    o["statusReason"] = opt_json(b.status_reason);
    if (b.challenge_by_booking_id || b.challenge_deadline) {
        json::object c;
        c["byBookingId"] = opt_json(b.challenge_by_booking_id);
        c["deadline"] = opt_instant_json(b.challenge_deadline);
        o["challenge"] = std::move(c);
    } else {
        o["challenge"] = nullptr;
    }
    o["createdBy"] = b.created_by;
    o["createdAt"] = domain::format_instant(b.created_at);
    o["updatedAt"] = domain::format_instant(b.updated_at);
    return o;
}

std::string shorten(const std::string& s) {
    constexpr std::size_t max_len = 80;
    if (s.size() <= max_len) {
        return s;
    }
    return s.substr(0, max_len) + "...";
}

bool is_creation(std::string_view type) {
    return type == "booking.held" || type == "booking.pencilled" || type == "booking.confirmed";
}

bool is_terminal_status(std::string_view quoted) {
    return quoted == R"("released")" || quoted == R"("expired")" || quoted == R"("cancelled")";
}

// The statuses (as JSON text) a booking may have right after an event of `type`.
std::vector<std::string_view> statuses_after(std::string_view type) {
    if (type == "booking.held" || type == "booking.extended" ||
        type == "booking.challenge_failed") {
        return {R"("hold")"};
    }
    if (type == "booking.pencilled" || type == "booking.challenge_won" ||
        type == "booking.challenge_withdrawn") {
        return {R"("pencil")"};
    }
    if (type == "booking.confirmed") {
        return {R"("confirmed")"};
    }
    if (type == "booking.released") {
        return {R"("released")"};
    }
    if (type == "booking.expired") {
        return {R"("expired")"};
    }
    if (type == "booking.cancelled") {
        return {R"("cancelled")"};
    }
    if (type == "booking.challenged") {
        return {R"("hold")", R"("pencil")"};
    }
    if (type == "booking.rescheduled" || type == "booking.updated") {
        return {R"("hold")", R"("pencil")", R"("confirmed")"};
    }
    return {};
}

std::optional<long long> as_integer(const std::string& canonical_text) {
    try {
        auto v = json::parse(canonical_text);
        if (v.is_int64()) {
            return v.as_int64();
        }
        if (v.is_uint64()) {
            return static_cast<long long>(v.as_uint64());
        }
    } catch (const std::exception&) {
        // not a number: the caller reports it
    }
    return std::nullopt;
}

// Checks one event against the snapshot before it (nullptr for the first event); appends
// problems. Returns the event's snapshot, or nullopt when the payload has no booking.
std::optional<snapshot> check_event(
    const store::stored_booking_event& e,
    const std::string& booking_id,
    const snapshot* prior,
    std::vector<std::string>& problems
) {
    const std::string where = "seq " + std::to_string(e.seq) + " (" + e.type + ")";
    const auto* payload = e.payload.if_object();
    const json::value* booking_v = payload != nullptr ? payload->if_contains("booking") : nullptr;
    if (booking_v == nullptr || !booking_v->is_object()) {
        problems.push_back(where + ": payload has no booking object");
        return std::nullopt;
    }
    snapshot snap = canonical_snapshot(booking_v->as_object());

    const std::string want_id = json::serialize(json::value(lower(booking_id)));
    if (snap["id"] != want_id) {
        problems.push_back(where + ": booking.id is " + snap["id"]);
    }
    const std::string event_artist = json::serialize(json::value(lower(e.artist_id)));
    if (snap["artistId"] != event_artist) {
        problems.push_back(
            where + ": event artist_id " + event_artist + " but booking.artistId " +
            snap["artistId"]
        );
    }
    const auto allowed = statuses_after(e.type);
    if (std::find(allowed.begin(), allowed.end(), snap["status"]) == allowed.end()) {
        problems.push_back(where + ": status " + snap["status"] + " does not fit the event type");
    }
    const json::value* previous = payload->if_contains("previous");
    const auto version = as_integer(snap["version"]);
    if (!version) {
        problems.push_back(where + ": booking.version is " + snap["version"]);
    }

    if (prior == nullptr) {
        if (!is_creation(e.type)) {
            problems.push_back(where + ": the first event is not a creation");
        }
        if (version && *version != 1) {
            problems.push_back(where + ": the first event has version " + snap["version"]);
        }
        if (previous != nullptr && !previous->is_null()) {
            problems.push_back(
                where + ": a creation with previous " + shorten(json::serialize(*previous))
            );
        }
        return snap;
    }

    const snapshot& before = *prior;
    // booking.pencilled / booking.confirmed also name the transitions into those states.
    if (e.type == "booking.held") {
        problems.push_back(where + ": a second creation event");
    }
    if (is_terminal_status(before.at("status"))) {
        problems.push_back(where + ": an event after the terminal status " + before.at("status"));
    }
    const auto prior_version = as_integer(before.at("version"));
    if (version && prior_version && *version != *prior_version + 1) {
        problems.push_back(
            where + ": version " + std::to_string(*version) + " after version " +
            std::to_string(*prior_version)
        );
    }
    for (std::string_view f : {"id", "artistId", "createdBy", "createdAt"}) {
        if (snap.at(std::string(f)) != before.at(std::string(f))) {
            problems.push_back(
                where + ": immutable " + std::string(f) + " changed from " +
                shorten(before.at(std::string(f))) + " to " + shorten(snap.at(std::string(f)))
            );
        }
    }
    const auto* prev_obj = previous != nullptr ? previous->if_object() : nullptr;
    if (previous != nullptr && !previous->is_null() && prev_obj == nullptr) {
        problems.push_back(where + ": previous is not an object");
    }
    if (prev_obj != nullptr) {
        for (const auto& item : *prev_obj) {
            const std::string key(item.key().data(), item.key().size());
            const json::value& value = item.value();
            if (!is_known_field(key)) {
                problems.push_back(where + ": previous names unknown field " + std::string(key));
                continue;
            }
            const auto old = canonical(key, &value);
            const auto& expected = before.at(key);
            if (old != expected) {
                problems.push_back(
                    where + ": previous." + key + " is " + shorten(old) +
                    " but the prior event has " + shorten(expected)
                );
            }
        }
    }
    for (auto f : booking_fields) {
        if (f == "version" || f == "updatedAt") {
            continue;
        }
        const std::string key(f);
        if (snap.at(key) != before.at(key) &&
            (prev_obj == nullptr || prev_obj->if_contains(f) == nullptr)) {
            problems.push_back(where + ": " + key + " changed but previous does not list it");
        }
    }
    return snap;
}

boost::asio::awaitable<std::vector<std::string>> tenant_ids_in(platform::pg_connection& c) {
    co_return co_await store::list_all_tenant_ids(c);
}

}  // namespace

std::vector<std::string> check_booking_history(const store::booking_history& h) {
    std::vector<std::string> problems;
    if (h.events.empty()) {
        problems.emplace_back("no events");
        return problems;
    }
    std::optional<snapshot> last;
    long long last_seq = 0;
    for (const auto& e : h.events) {
        if (e.seq <= last_seq) {
            problems.push_back("seq " + std::to_string(e.seq) + " out of order");
        }
        auto snap = check_event(e, h.row.id, last ? &*last : nullptr, problems);
        if (!snap) {
            // Without this event's booking the replay cannot go on: later checks would only
            // repeat the same gap.
            return problems;
        }
        last = std::move(snap);
        last_seq = e.seq;
    }
    const snapshot row = canonical_snapshot(row_json(h.row));
    for (auto f : booking_fields) {
        const std::string key(f);
        if (row.at(key) != last->at(key)) {
            problems.push_back(
                key + ": row " + shorten(row.at(key)) + ", events (seq " +
                std::to_string(last_seq) + ") " + shorten(last->at(key))
            );
        }
    }
    return problems;
}

boost::asio::awaitable<verify_summary> verify_events(
    platform::pg_pool& pool,
    verify_options options,
    std::function<void(const booking_difference&)> on_difference
) {
    verify_summary summary;
    std::vector<std::string> tenants;
    if (options.tenant_id) {
        tenants.push_back(*options.tenant_id);
    } else {
        auto list = [](platform::pg_connection& c) { return tenant_ids_in(c); };
        tenants = co_await platform::with_transaction(pool, list);
    }
    const int page_size = std::max(1, options.page_size);
    for (const auto& tenant : tenants) {
        ++summary.tenants;
        std::optional<std::string> after;
        for (;;) {
            auto read = [&tenant, &after, page_size](platform::pg_connection& c) {
                return store::read_booking_histories(c, tenant, after, page_size);
            };
            auto page = co_await platform::with_tenant_transaction(pool, tenant, read);
            for (const auto& h : page) {
                ++summary.bookings;
                summary.events += h.events.size();
                auto problems = check_booking_history(h);
                if (!problems.empty()) {
                    ++summary.differing_bookings;
                    on_difference(booking_difference{tenant, h.row.id, std::move(problems)});
                }
            }
            if (page.size() < static_cast<std::size_t>(page_size)) {
                break;
            }
            after = page.back().row.id;
        }
    }
    co_return summary;
}

}  // namespace ptool::usecase
