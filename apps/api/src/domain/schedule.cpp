// The free/busy timeline (a sweep over the boundary instants of availability and bookings) and
// the bookable slot starts read off it (SPEC §5, §10).

#include "domain/schedule.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <tuple>

namespace ptool::domain {

namespace {

// An active booking clipped to [from, to).
struct clipped_booking {
    const schedule_booking* b = nullptr;
    instant start;
    instant end;
};

// The active bookings overlapping [from, to), clipped to it and ranked by the booking's own
// (start, id), so clipping at `from` does not reorder them; clipped starts are then
// non-decreasing in rank order too.
std::vector<clipped_booking> ranked_bookings(
    const std::vector<schedule_booking>& bookings, instant from, instant to
) {
    std::vector<clipped_booking> ranked;
    for (const auto& b : bookings) {
        if (b.status != booking_status::hold && b.status != booking_status::pencil &&
            b.status != booking_status::confirmed) {
            continue;
        }
        auto s = std::max(b.start, from);
        auto e = std::min(b.end, to);
        if (s < e) {
            ranked.push_back({&b, s, e});
        }
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
        return std::tie(x.b->start, x.b->id) < std::tie(y.b->start, y.b->id);
    });
    return ranked;
}

schedule_state state_of(int confirmed, int pencils, int holds, bool available) {
    if (confirmed > 0) {
        return schedule_state::booked;
    }
    if (pencils > 0) {
        return schedule_state::pencilled;
    }
    if (holds > 0) {
        return schedule_state::held;
    }
    return available ? schedule_state::available : schedule_state::unavailable;
}

// Ceiling of a / b for a >= 0, b > 0.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

}  // namespace

std::string_view to_string(schedule_state s) {
    switch (s) {
        case schedule_state::unavailable:
            return "unavailable";
        case schedule_state::available:
            return "available";
        case schedule_state::held:
            return "held";
        case schedule_state::pencilled:
            return "pencilled";
        case schedule_state::booked:
            return "booked";
    }
    return "unavailable";
}

std::vector<schedule_segment> build_schedule(
    const std::optional<availability>& a,
    const std::vector<schedule_booking>& bookings,
    instant from,
    instant to
) {
    std::vector<schedule_segment> out;
    if (from >= to) {
        return out;
    }
    const auto avail = available_intervals(a, from, to);

    const auto ranked = ranked_bookings(bookings, from, to);
    std::vector<std::size_t> by_end(ranked.size());
    for (std::size_t i = 0; i < by_end.size(); ++i) {
        by_end[i] = i;
    }
    std::sort(by_end.begin(), by_end.end(), [&](std::size_t x, std::size_t y) {
        return ranked[x].end < ranked[y].end;
    });

    std::vector<instant> cuts{from, to};
    cuts.reserve(2 + 2 * (avail.size() + ranked.size()));
    for (const auto& iv : avail) {
        cuts.push_back(iv.start);
        cuts.push_back(iv.end);
    }
    for (const auto& r : ranked) {
        cuts.push_back(r.start);
        cuts.push_back(r.end);
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

    std::set<std::size_t> active;  // ranks of the bookings covering the current piece
    std::array<int, 3> counts{};   // confirmed, pencils, holds among them
    auto count_of = [&](std::size_t rank) -> int& {
        switch (ranked[rank].b->status) {
            case booking_status::confirmed:
                return counts[0];
            case booking_status::pencil:
                return counts[1];
            default:
                return counts[2];
        }
    };
    std::size_t next_start = 0;
    std::size_t next_end = 0;
    std::size_t next_avail = 0;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        const instant at = cuts[i];
        // Every booking and interval edge is a cut, so each piece is wholly in or out of each.
        for (; next_start < ranked.size() && ranked[next_start].start <= at; ++next_start) {
            active.insert(next_start);
            ++count_of(next_start);
        }
        for (; next_end < by_end.size() && ranked[by_end[next_end]].end <= at; ++next_end) {
            active.erase(by_end[next_end]);
            --count_of(by_end[next_end]);
        }
        while (next_avail < avail.size() && avail[next_avail].end <= at) {
            ++next_avail;
        }
        const bool available = next_avail < avail.size() && avail[next_avail].start <= at;
        const auto state = state_of(counts[0], counts[1], counts[2], available);

        std::vector<std::string> ids;
        ids.reserve(active.size());
        for (auto rank : active) {
            ids.push_back(ranked[rank].b->id);
        }
        if (!out.empty() && out.back().state == state && out.back().booking_ids == ids) {
            out.back().end = cuts[i + 1];
        } else {
            out.push_back({at, cuts[i + 1], state, std::move(ids)});
        }
    }
    return out;
}

std::vector<instant> free_slots(
    const std::vector<schedule_segment>& schedule,
    instant from,
    instant to,
    std::chrono::microseconds duration,
    std::chrono::microseconds step,
    instant now
) {
    std::vector<instant> out;
    if (duration.count() <= 0 || step.count() <= 0 || from >= to) {
        return out;
    }
    const auto lowest = std::max(from, now);
    for (std::size_t i = 0; i < schedule.size();) {
        if (schedule[i].state != schedule_state::available) {
            ++i;
            continue;
        }
        // A maximal run of touching available segments is one continuous free stretch.
        instant run_start = schedule[i].start;
        instant run_end = schedule[i].end;
        for (++i; i < schedule.size() && schedule[i].state == schedule_state::available &&
                  schedule[i].start == run_end;
             ++i) {
            run_end = schedule[i].end;
        }
        run_start = std::max(run_start, lowest);
        run_end = std::min(run_end, to);
        if (run_end - run_start < duration) {
            continue;
        }
        // The first k with from + k*step >= run_start, then every k whose slot still fits.
        auto k = ceil_div((run_start - from).count(), step.count());
        for (auto s = from + k * step; s + duration <= run_end; s += step) {
            out.push_back(s);
        }
    }
    return out;
}

}  // namespace ptool::domain
