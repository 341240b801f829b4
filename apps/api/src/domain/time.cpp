// RFC 3339 parsing and formatting with Howard Hinnant's date library for the calendar math;
// the grammar is checked by hand because date::parse accepts more than RFC 3339 allows.
//
//   date-time = full-date ("T" / "t") full-time
//   full-date = 4DIGIT "-" 2DIGIT "-" 2DIGIT
//   full-time = 2DIGIT ":" 2DIGIT ":" 2DIGIT ["." 1*6DIGIT] ("Z" / "z" / ("+" / "-") 2DIGIT ":" 2DIGIT)

#include "domain/time.hpp"

#include <date/date.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>

namespace ptool::domain {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::string format_instant(instant t) {
    // Hand-written (no iostreams): a schedule response formats hundreds of instants, and
    // date::format through an ostringstream was a third of the server's CPU there.
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss<std::chrono::microseconds> tod{t - day};
    const int year = static_cast<int>(ymd.year());
    const long long frac = tod.subseconds().count();
    char buf[128];  // large enough for any value GCC's -Wformat-truncation can imagine
    int n = 0;
    if (year >= 0 && year <= 9999) {
        n = std::snprintf(
            buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", year,
            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
            static_cast<long long>(tod.hours().count()),
            static_cast<long long>(tod.minutes().count()),
            static_cast<long long>(tod.seconds().count())
        );
    } else {
        n = std::snprintf(
            buf, sizeof buf, "%d-%02u-%02uT%02lld:%02lld:%02lld", year,
            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
            static_cast<long long>(tod.hours().count()),
            static_cast<long long>(tod.minutes().count()),
            static_cast<long long>(tod.seconds().count())
        );
    }
    std::string out(buf, static_cast<std::size_t>(std::max(n, 0)));
    if (frac != 0) {
        char f[8];
        std::snprintf(f, sizeof f, ".%06lld", frac);
        std::size_t len = 7;
        while (f[len - 1] == '0') --len;
        out.append(f, len);
    }
    out += 'Z';
    return out;
}

std::optional<instant> parse_instant(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
        s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    long long micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (++n > 6) return std::nullopt;
            micros = micros * 10 + (s[pos] - '0');
            ++pos;
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) micros *= 10;
    }
    int offset_min = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh = 0, om = 0;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    if (h > 23 || mi > 59 || sec > 59) return std::nullopt;  // leap seconds are not accepted
    auto ymd = date::year{y} / mo / d;
    if (!ymd.ok()) return std::nullopt;
    auto t = date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
             std::chrono::seconds{sec} + std::chrono::microseconds{micros} -
             std::chrono::minutes{offset_min};
    return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

// ISO 8601 durations of fixed length:
//
//   duration = "P" [n "W"] [n "D"] ["T" [n "H"] [n "M"] [n "S"]]   (n = 1*DIGIT)
//
// at least one component, and at least one after a "T".
std::optional<std::chrono::microseconds> parse_iso_duration(std::string_view s) {
    constexpr long long max_seconds = 400LL * 86400;
    constexpr long long saturated = max_seconds + 1;  // any larger component is over the limit
    struct unit {
        char designator;
        long long seconds;
        bool time;  // after the 'T'
    };
    // Designators must come in this order, each at most once.
    constexpr std::array<unit, 5> units{{
        {'W', 7LL * 86400, false},
        {'D', 86400, false},
        {'H', 3600, true},
        {'M', 60, true},
        {'S', 1, true},
    }};
    if (s.size() < 3 || s.front() != 'P') {
        return std::nullopt;
    }
    s.remove_prefix(1);
    const auto* next_unit = units.begin();
    bool in_time = false;
    bool any = false;
    bool any_time = false;
    long long total = 0;
    while (!s.empty()) {
        if (s.front() == 'T') {
            if (in_time) {
                return std::nullopt;
            }
            in_time = true;
            s.remove_prefix(1);
            continue;
        }
        long long n = 0;
        std::size_t len = 0;
        for (; len < s.size() && s[len] >= '0' && s[len] <= '9'; ++len) {
            n = std::min(n * 10 + (s[len] - '0'), saturated);
        }
        if (len == 0 || len == s.size()) {
            return std::nullopt;
        }
        const char designator = s[len];
        s.remove_prefix(len + 1);
        next_unit = std::find_if(next_unit, units.end(), [&](const unit& u) {
            return u.designator == designator && u.time == in_time;
        });
        if (next_unit == units.end()) {
            return std::nullopt;
        }
        total = std::min(total + n * next_unit->seconds, saturated);
        next_unit = std::next(next_unit);
        any = true;
        any_time = any_time || in_time;
    }
    if (!any || (in_time && !any_time) || total > max_seconds) {
        return std::nullopt;
    }
    return std::chrono::seconds{total};
}

std::string format_iso_duration(std::chrono::microseconds d) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    const long long total = secs < 0 ? -secs : secs;
    const long long h = total / 3600;
    const long long m = total / 60 % 60;
    const long long sec = total % 60;
    std::string out = secs < 0 ? "-PT" : "PT";
    if (h != 0) {
        out += std::to_string(h) + "H";
    }
    if (m != 0) {
        out += std::to_string(m) + "M";
    }
    if (sec != 0 || total == 0) {
        out += std::to_string(sec) + "S";
    }
    return out;
}

}  // namespace ptool::domain
