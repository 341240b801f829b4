// Availability <-> JSON, and the query parameters of schedule and slots.

#include "http/dto/availability_dto.hpp"

#include <boost/json/serialize.hpp>
#include <cstdio>

#include "domain/schedule.hpp"
#include "domain/time.hpp"

namespace ptool::http::dto {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

json::object window_json(const domain::wall_window& w) {
    return {
        {"start", domain::format_wall_time(w.start)},
        {"end", domain::format_wall_time(w.end)},
    };
}

// A string member, or an error at `path` (absent: "is required").
std::string string_at(
    const json::object& o, std::string_view key, const std::string& path, domain::field_errors& errs
) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        errs.push_back({path + "/" + std::string(key), "is required"});
        return {};
    }
    if (!v->is_string()) {
        errs.push_back({path + "/" + std::string(key), "must be a string"});
        return {};
    }
    return std::string(v->get_string());
}

void reject_unknown(
    const json::object& o,
    std::initializer_list<std::string_view> known,
    const std::string& path,
    domain::field_errors& errs
) {
    for (const auto& kv : o) {
        bool ok = false;
        for (auto k : known) ok = ok || kv.key() == k;
        if (!ok) errs.push_back({path + "/" + std::string(kv.key()), "is not a known field"});
    }
}

const json::object* object_at(
    const json::value& v, const std::string& path, domain::field_errors& errs
) {
    if (!v.is_object()) {
        errs.push_back({path, "must be an object"});
        return nullptr;
    }
    return &v.get_object();
}

std::vector<domain::wall_window_input> windows_at(
    const json::value& v, const std::string& path, domain::field_errors& errs
) {
    std::vector<domain::wall_window_input> out;
    if (!v.is_array()) {
        errs.push_back({path, "must be an array"});
        return out;
    }
    std::size_t i = 0;
    for (const auto& item : v.get_array()) {
        const std::string p = path + "/" + std::to_string(i++);
        const auto* o = object_at(item, p, errs);
        if (o == nullptr) {
            out.emplace_back();  // keeps later indices aligned with the body
            continue;
        }
        reject_unknown(*o, {"start", "end"}, p, errs);
        out.push_back({string_at(*o, "start", p, errs), string_at(*o, "end", p, errs)});
    }
    return out;
}

}  // namespace

json::object to_json(const domain::availability& a) {
    json::value weekly = nullptr;
    if (a.weekly) {
        json::array list;
        for (const auto& w : *a.weekly) {
            list.push_back(json::object{
                {"day", domain::format_weekday(w.day)},
                {"start", domain::format_wall_time(w.window.start)},
                {"end", domain::format_wall_time(w.window.end)},
            });
        }
        weekly = std::move(list);
    }
    json::array overrides;
    for (const auto& ov : a.overrides) {
        json::array ws;
        for (const auto& w : ov.windows) ws.push_back(window_json(w));
        overrides.push_back(json::object{{"date", domain::format_date(ov.date)}, {"windows", ws}});
    }
    return {{"timezone", a.timezone}, {"weekly", std::move(weekly)}, {"overrides", overrides}};
}

namespace {

// `v` as a JSON string literal (quotes, backslashes and control characters escaped).
void append_json_string(std::string& out, std::string_view v) {
    out += '"';
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
}

}  // namespace

// Written straight into one string: a 31-day schedule has hundreds of segments, and building a
// boost::json document first was most of the server's CPU for it (bench/availability).
std::string encode_schedule(const usecase::schedule_view& s) {
    std::string out;
    out.reserve(160 + s.segments.size() * 130);
    out += "{\"artistId\":";
    append_json_string(out, s.artist_id);
    out += ",\"timezone\":";
    append_json_string(out, s.timezone);
    out += ",\"from\":";
    append_json_string(out, domain::format_instant(s.from));
    out += ",\"to\":";
    append_json_string(out, domain::format_instant(s.to));
    out += ",\"data\":[";
    bool first = true;
    for (const auto& seg : s.segments) {
        if (!first) out += ',';
        first = false;
        out += "{\"startTime\":";
        append_json_string(out, domain::format_instant(seg.start));
        out += ",\"endTime\":";
        append_json_string(out, domain::format_instant(seg.end));
        out += ",\"state\":";
        append_json_string(out, domain::to_string(seg.state));
        out += ",\"bookingIds\":[";
        for (std::size_t i = 0; i < seg.booking_ids.size(); ++i) {
            if (i > 0) out += ',';
            append_json_string(out, seg.booking_ids[i]);
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

json::object to_json(const usecase::slots_view& s) {
    json::array data;
    data.reserve(s.starts.size());
    for (auto t : s.starts) data.push_back(json::value(domain::format_instant(t)));
    return {
        {"artistId", s.artist_id},
        {"duration", domain::format_iso_duration(s.duration)},
        {"step", domain::format_iso_duration(s.step)},
        {"data", std::move(data)},
    };
}

parsed_availability parse_availability_put(const json::object& body) {
    parsed_availability out;
    auto& errs = out.errors;
    reject_unknown(body, {"timezone", "weekly", "overrides"}, "", errs);
    if (const auto* tz = body.if_contains("timezone")) {
        if (tz->is_string()) {
            out.value.timezone = std::string(tz->get_string());
            out.has_timezone = true;
        } else {
            errs.push_back({"/timezone", "must be a string"});
        }
    }
    if (const auto* weekly = body.if_contains("weekly"); weekly && !weekly->is_null()) {
        if (!weekly->is_array()) {
            errs.push_back({"/weekly", "must be an array or null"});
        } else {
            std::vector<domain::weekly_window_input> list;
            std::size_t i = 0;
            for (const auto& item : weekly->get_array()) {
                const std::string p = "/weekly/" + std::to_string(i++);
                const auto* o = object_at(item, p, errs);
                if (o == nullptr) {
                    list.emplace_back();  // keeps later indices aligned with the body
                    continue;
                }
                reject_unknown(*o, {"day", "start", "end"}, p, errs);
                list.push_back(
                    {string_at(*o, "day", p, errs),
                     string_at(*o, "start", p, errs),
                     string_at(*o, "end", p, errs)}
                );
            }
            out.value.weekly = std::move(list);
        }
    }
    if (const auto* overrides = body.if_contains("overrides")) {
        if (!overrides->is_array()) {
            errs.push_back({"/overrides", "must be an array"});
        } else {
            std::size_t i = 0;
            for (const auto& item : overrides->get_array()) {
                const std::string p = "/overrides/" + std::to_string(i++);
                const auto* o = object_at(item, p, errs);
                if (o == nullptr) {
                    out.value.overrides.emplace_back();  // keeps later indices aligned
                    continue;
                }
                reject_unknown(*o, {"date", "windows"}, p, errs);
                domain::date_override_input ov;
                ov.date = string_at(*o, "date", p, errs);
                if (const auto* ws = o->if_contains("windows")) {
                    ov.windows = windows_at(*ws, p + "/windows", errs);
                } else {
                    errs.push_back({p + "/windows", "is required"});
                }
                out.value.overrides.push_back(std::move(ov));
            }
        }
    }
    return out;
}

range_query parse_range_query(
    const std::optional<std::string>& from, const std::optional<std::string>& to
) {
    range_query out;
    std::optional<domain::instant> f;
    std::optional<domain::instant> t;
    if (!from) {
        out.errors.push_back({"/from", "is required"});
    } else if (!(f = domain::parse_instant(*from))) {
        out.errors.push_back({"/from", "must be an RFC 3339 date-time with an offset"});
    }
    if (!to) {
        out.errors.push_back({"/to", "is required"});
    } else if (!(t = domain::parse_instant(*to))) {
        out.errors.push_back({"/to", "must be an RFC 3339 date-time with an offset"});
    }
    if (f && t) {
        if (*t <= *f) {
            out.errors.push_back({"/to", "must be after from"});
        } else if (*t - *f > std::chrono::days{max_range_days}) {
            out.errors.push_back(
                {"/to", "must be at most " + std::to_string(max_range_days) + " days after from"}
            );
        }
        out.from = *f;
        out.to = *t;
    }
    return out;
}

slots_query parse_slots_query(
    const std::optional<std::string>& duration,
    const std::optional<std::string>& step,
    const range_query& range
) {
    slots_query out;
    const char* iso = "must be an ISO 8601 duration such as PT2H or PT30M";
    if (!duration) {
        out.errors.push_back({"/duration", "is required"});
    } else if (auto d = domain::parse_iso_duration(*duration)) {
        if (*d < 1min || *d > std::chrono::days{31}) {
            out.errors.push_back({"/duration", "must be between 1 minute and 31 days"});
        }
        out.duration = *d;
    } else {
        out.errors.push_back({"/duration", iso});
    }
    if (step) {
        if (auto s = domain::parse_iso_duration(*step)) {
            if (*s < 1min) out.errors.push_back({"/step", "must be at least 1 minute"});
            out.step = *s;
        } else {
            out.errors.push_back({"/step", iso});
        }
    } else {
        out.step = out.duration;
    }
    if (out.errors.empty() && range.errors.empty() &&
        (range.to - range.from) / out.step > max_slot_candidates) {
        out.errors.push_back(
            {"/step",
             "gives more than " + std::to_string(max_slot_candidates) +
                 " candidate starts; use a larger step or a shorter range"}
        );
    }
    return out;
}

}  // namespace ptool::http::dto
