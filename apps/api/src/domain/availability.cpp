// Availability preferences (SPEC §5, §10): validation of the wire form, and the expansion of
// wall-clock windows into UTC intervals through the IANA zone rules of date/tz.

#include "domain/availability.hpp"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace ptool::domain {

namespace {

constexpr int minutes_per_day = 1440;
// check_availability looks this far before `start` and after `end` for windows to offer.
constexpr date::days search_reach{31};

constexpr std::array<std::string_view, 7> day_names{
    "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string zero_padded(int v, std::size_t width) {
    std::string s = std::to_string(v);
    if (s.size() < width) {
        s.insert(0, width - s.size(), '0');
    }
    return s;
}

bool two_digits(std::string_view s, std::size_t pos, int& out) {
    if (s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9') {
        return false;
    }
    out = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
    return true;
}

// "HH:MM" -> minutes after midnight; "24:00" only when `end`.
std::optional<int> parse_wall_time(std::string_view s, bool end) {
    int h = 0;
    int m = 0;
    if (s.size() != 5 || s[2] != ':' || !two_digits(s, 0, h) || !two_digits(s, 3, m)) {
        return std::nullopt;
    }
    if (m > 59) {
        return std::nullopt;
    }
    if (h == 24 && m == 0 && end) {
        return minutes_per_day;
    }
    if (h > 23) {
        return std::nullopt;
    }
    return h * 60 + m;
}

std::optional<date::weekday> parse_weekday(std::string_view s) {
    const auto* it = std::find(day_names.begin(), day_names.end(), s);
    if (it == day_names.end()) {
        return std::nullopt;
    }
    // ISO encoding: Monday = 1 .. Sunday = 7 (date::weekday accepts 7 as Sunday).
    return date::weekday{static_cast<unsigned>(it - day_names.begin() + 1)};
}

std::optional<date::year_month_day> parse_date(std::string_view s) {
    int y1 = 0;
    int y2 = 0;
    int mo = 0;
    int d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !two_digits(s, 0, y1) ||
        !two_digits(s, 2, y2) || !two_digits(s, 5, mo) || !two_digits(s, 8, d)) {
        return std::nullopt;
    }
    date::year_month_day ymd{
        date::year{y1 * 100 + y2},
        date::month{static_cast<unsigned>(mo)},
        date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return ymd;
}

// The window's end in minutes after the start date's midnight: an overnight window ends on
// the next date.
int end_after_midnight(const wall_window& w) {
    return w.end <= w.start ? w.end + minutes_per_day : w.end;
}

bool windows_overlap(const wall_window& a, const wall_window& b) {
    return std::max(a.start, b.start) < std::min(end_after_midnight(a), end_after_midnight(b));
}

std::string format_window(const wall_window& w) {
    return format_wall_time(w.start) + "-" + format_wall_time(w.end);
}

// Checks start/end of one window at `path` (a JSON pointer prefix); nullopt when invalid.
std::optional<wall_window> check_window(
    const std::string& path, std::string_view start, std::string_view end, field_errors& errs
) {
    auto s = parse_wall_time(start, false);
    auto e = parse_wall_time(end, true);
    if (!s) {
        errs.push_back(
            {path + "/start",
             start == "24:00" ? "24:00 is allowed only as an end"
                              : "must be a time HH:MM from 00:00 to 23:59"}
        );
    }
    if (!e) {
        errs.push_back({path + "/end", "must be a time HH:MM from 00:00 to 24:00"});
    }
    if (!s || !e) {
        return std::nullopt;
    }
    if (*s == *e) {
        errs.push_back({path + "/end", "must differ from start"});
        return std::nullopt;
    }
    return wall_window{*s, *e};
}

// The valid weekly windows, sorted by (day, start); errors for the rest and for overlaps.
std::vector<weekly_window> check_weekly(
    const std::vector<weekly_window_input>& weekly, field_errors& errs
) {
    // Valid windows in input order, with their input index, for the overlap check.
    std::vector<std::pair<std::size_t, weekly_window>> seen;
    for (std::size_t i = 0; i < weekly.size(); ++i) {
        const auto& w = weekly[i];
        const std::string path = "/weekly/" + std::to_string(i);
        auto day = parse_weekday(w.day);
        if (!day) {
            errs.push_back({path + "/day", "must be one of mon, tue, wed, thu, fri, sat, sun"});
        }
        auto win = check_window(path, w.start, w.end, errs);
        if (!day || !win) {
            continue;
        }
        const weekly_window ww{*day, *win};
        auto other = std::find_if(seen.begin(), seen.end(), [&](const auto& e) {
            return e.second.day == ww.day && windows_overlap(e.second.window, ww.window);
        });
        if (other != seen.end()) {
            errs.push_back(
                {path,
                 "overlaps /weekly/" + std::to_string(other->first) + " (" +
                     std::string(format_weekday(other->second.day)) + " " +
                     format_window(other->second.window) + ")"}
            );
        }
        seen.emplace_back(i, ww);
    }
    std::vector<weekly_window> out;
    out.reserve(seen.size());
    for (const auto& e : seen) {
        out.push_back(e.second);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tuple(a.day.iso_encoding(), a.window.start) <
               std::tuple(b.day.iso_encoding(), b.window.start);
    });
    return out;
}

// Override `i`, or nullopt when its date is invalid or a duplicate. `dates` holds the valid
// dates seen so far with their input index.
std::optional<date_override> check_override(
    std::size_t i,
    const date_override_input& o,
    std::vector<std::pair<date::year_month_day, std::size_t>>& dates,
    field_errors& errs
) {
    const std::string path = "/overrides/" + std::to_string(i);
    auto d = parse_date(o.date);
    if (!d) {
        errs.push_back({path + "/date", "must be a date YYYY-MM-DD"});
    } else {
        auto dup =
            std::find_if(dates.begin(), dates.end(), [&](const auto& p) { return p.first == *d; });
        if (dup != dates.end()) {
            errs.push_back(
                {path + "/date", "duplicates the date of /overrides/" + std::to_string(dup->second)}
            );
            d.reset();
        } else {
            dates.emplace_back(*d, i);
        }
    }
    date_override ov;
    std::vector<std::size_t> indices;  // input index of each of ov.windows
    for (std::size_t k = 0; k < o.windows.size(); ++k) {
        const std::string wpath = path + "/windows/" + std::to_string(k);
        auto win = check_window(wpath, o.windows[k].start, o.windows[k].end, errs);
        if (!win) {
            continue;
        }
        auto other = std::find_if(ov.windows.begin(), ov.windows.end(), [&](const auto& e) {
            return windows_overlap(e, *win);
        });
        if (other != ov.windows.end()) {
            const auto n = static_cast<std::size_t>(other - ov.windows.begin());
            errs.push_back(
                {wpath,
                 "overlaps " + path + "/windows/" + std::to_string(indices[n]) + " (" +
                     format_window(*other) + ")"}
            );
        }
        ov.windows.push_back(*win);
        indices.push_back(k);
    }
    if (!d) {
        return std::nullopt;
    }
    ov.date = *d;
    std::sort(ov.windows.begin(), ov.windows.end(), [](const auto& a, const auto& b) {
        return a.start < b.start;
    });
    return ov;
}

const date::time_zone* zone_of(const availability& a) {
    // locate_zone throws std::runtime_error for an unknown name, which is the contract.
    return date::locate_zone(a.timezone);
}

using local_minutes = date::local_time<std::chrono::minutes>;

// SPEC §5: a nonexistent local time maps to the instant the clock jumps (date's to_sys answers
// the transition for it), an ambiguous one to its earlier instant.
instant to_utc(const date::time_zone* zone, local_minutes t) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        zone->to_sys(t, date::choose::earliest)
    );
}

// Sorts and joins overlapping and touching intervals, in place.
void join(std::vector<interval>& v) {
    std::sort(v.begin(), v.end(), [](const interval& a, const interval& b) {
        return std::tie(a.start, a.end) < std::tie(b.start, b.end);
    });
    std::size_t out = 0;
    for (const auto& iv : v) {
        if (out > 0 && iv.start <= v[out - 1].end) {
            v[out - 1].end = std::max(v[out - 1].end, iv.end);
        } else {
            v[out++] = iv;
        }
    }
    v.resize(out);
}

}  // namespace

validated<availability> validate_availability(const availability_input& in) {
    field_errors errs;
    availability out;
    if (!is_iana_timezone(in.timezone)) {
        errs.push_back({"/timezone", "must be an IANA time zone name, e.g. Europe/Berlin"});
    } else {
        out.timezone = in.timezone;
    }
    if (in.weekly) {
        out.weekly = check_weekly(*in.weekly, errs);
    }
    std::vector<std::pair<date::year_month_day, std::size_t>> dates;
    for (std::size_t i = 0; i < in.overrides.size(); ++i) {
        if (auto ov = check_override(i, in.overrides[i], dates, errs)) {
            out.overrides.push_back(std::move(*ov));
        }
    }
    std::sort(out.overrides.begin(), out.overrides.end(), [](const auto& a, const auto& b) {
        return a.date < b.date;
    });
    if (!errs.empty()) {
        return errs;
    }
    return out;
}

std::string format_wall_time(int minutes) {
    return zero_padded(minutes / 60, 2) + ":" + zero_padded(minutes % 60, 2);
}

std::string_view format_weekday(date::weekday d) {
    return day_names.at((d.iso_encoding() - 1) % 7);
}

std::string format_date(date::year_month_day d) {
    return zero_padded(static_cast<int>(d.year()), 4) + "-" +
           zero_padded(static_cast<int>(static_cast<unsigned>(d.month())), 2) + "-" +
           zero_padded(static_cast<int>(static_cast<unsigned>(d.day())), 2);
}

bool is_iana_timezone(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    try {
        return date::locate_zone(name) != nullptr;
    } catch (const std::exception&) {
        // locate_zone throws std::runtime_error for an unknown name.
        return false;
    }
}

std::vector<interval> available_intervals(
    const std::optional<availability>& a, instant from, instant to
) {
    std::vector<interval> out;
    if (from >= to) {
        return out;
    }
    if (!a) {
        out.push_back({from, to});
        return out;
    }
    const auto* zone = zone_of(*a);
    // Local dates from two before `from` (an overnight window of the day before, plus any
    // offset) to one after `to`; every window of these dates is expanded, then clipped.
    const auto first = date::floor<date::days>(zone->to_local(from)) - date::days{2};
    const auto last = date::floor<date::days>(zone->to_local(to)) + date::days{1};

    const std::vector<wall_window> full_day{{0, minutes_per_day}};
    std::array<std::vector<wall_window>, 7> by_day;  // iso_encoding - 1
    if (a->weekly) {
        for (const auto& w : *a->weekly) {
            by_day.at((w.day.iso_encoding() - 1) % 7).push_back(w.window);
        }
    }
    // Overrides are sorted by date; skip those before the range.
    auto ov = std::lower_bound(
        a->overrides.begin(),
        a->overrides.end(),
        date::sys_days{first.time_since_epoch()},
        [](const date_override& o, date::sys_days d) { return date::sys_days{o.date} < d; }
    );

    for (auto day = first; day <= last; day += date::days{1}) {
        const std::vector<wall_window>* windows = nullptr;
        const date::sys_days as_sys{day.time_since_epoch()};
        while (ov != a->overrides.end() && date::sys_days{ov->date} < as_sys) {
            ++ov;
        }
        if (ov != a->overrides.end() && date::sys_days{ov->date} == as_sys) {
            windows = &ov->windows;
        } else if (!a->weekly) {
            windows = &full_day;
        } else {
            windows = &by_day.at((date::weekday{day}.iso_encoding() - 1) % 7);
        }
        const local_minutes midnight{day};
        for (const auto& w : *windows) {
            auto start = to_utc(zone, midnight + std::chrono::minutes{w.start});
            auto end = to_utc(zone, midnight + std::chrono::minutes{end_after_midnight(w)});
            start = std::max(start, from);
            end = std::min(end, to);
            // Empty after DST (wholly inside a skipped hour) or outside [from, to).
            if (start < end) {
                out.push_back({start, end});
            }
        }
    }
    join(out);
    return out;
}

std::optional<std::vector<interval>> check_availability(
    const std::optional<availability>& a, instant start, instant end
) {
    if (!a) {
        return std::nullopt;
    }
    const auto intervals = available_intervals(a, start - search_reach, end + search_reach);
    std::vector<interval> offer;
    const interval* before = nullptr;
    const interval* after = nullptr;
    for (const auto& iv : intervals) {
        if (iv.start <= start && end <= iv.end) {
            return std::nullopt;
        }
        if (iv.end <= start) {
            before = &iv;  // ordered: the last one seen is the nearest
        } else if (iv.start >= end) {
            if (after == nullptr) {
                after = &iv;
            }
        } else {
            offer.push_back(iv);
        }
    }
    if (before != nullptr) {
        offer.insert(offer.begin(), *before);
    }
    if (after != nullptr) {
        offer.push_back(*after);
    }
    return offer;
}

}  // namespace ptool::domain
