// Booking use cases: begin -> set tenant -> lock artist -> load -> decide (domain) -> write rows
// and events -> commit; plus reads, the event feed and the expiry sweeper.

#include "usecase/bookings.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/log.hpp"
#include "platform/pause.hpp"
#include "platform/pg_error.hpp"
#include "platform/pg_transaction.hpp"
#include "store/event_feed_store.hpp"

namespace ptool::usecase {

namespace asio = boost::asio;
using domain::instant;

namespace {

// Events written by the sweeper name it as their actor.
constexpr std::string_view sweeper_actor = "system:sweeper";

// Bounds the feed's wait for in-flight writers (SPEC §6): they commit within milliseconds; a
// transaction open longer only delays the feed, it never loses events.
constexpr int watermark_polls = 100;
constexpr auto watermark_poll_interval = std::chrono::milliseconds(10);

domain::domain_error validation_error(domain::field_errors errs) {
    domain::domain_error e;
    e.code = domain::booking_errc::validation_failed;
    e.detail = "The request has invalid fields.";
    e.errors = std::move(errs);
    return e;
}

asio::awaitable<void> write(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    instant now,
    const domain::decision& d,
    const event_encoder& encode
) {
    if (d.changes.empty()) co_return;
    std::vector<std::string> payloads;
    payloads.reserve(d.changes.size());
    for (const auto& ch : d.changes) payloads.push_back(encode(ch));
    // COMMIT rides in the same round trip; with_tenant_transaction sees it done.
    co_await store::write_changes(c, tenant_id, actor, now, d.changes, payloads, /*commit=*/true);
}

asio::awaitable<booking_outcome> create_in(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    const domain::new_booking& nb,
    instant now,
    const event_encoder& encode
) {
    auto ctx = co_await store::lock_for_create(
        c, tenant_id, nb.artist_id, nb.project_id, {nb.start_time, nb.end_time}
    );
    const auto& lock = ctx.lock;
    if (!lock.artist_exists || !lock.project_exists) {
        domain::field_errors errs;
        if (!lock.artist_exists) errs.push_back({"/artistId", "no such artist in this tenant"});
        if (!lock.project_exists) errs.push_back({"/projectId", "no such project in this tenant"});
        // Report the body's other problems in the same 422.
        auto res = domain::decide_create(nb, domain::calendar{}, lock.settings, now);
        if (res.has_error() && res.error().code == domain::booking_errc::validation_failed) {
            errs.insert(errs.end(), res.error().errors.begin(), res.error().errors.end());
        }
        co_return validation_error(std::move(errs));
    }
    auto res = domain::decide_create(nb, ctx.cal, lock.settings, now);
    if (res.has_error()) co_return res.error();
    co_await write(c, tenant_id, actor, now, res.value(), encode);
    co_return std::move(res.value());
}

asio::awaitable<booking_outcome> transition_in(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    const std::string& booking_id,
    const domain::transition_request& req,
    instant now,
    const event_encoder& encode
) {
    auto t = co_await store::lock_for_booking(c, tenant_id, booking_id, {});
    if (!t.row) co_return booking_not_found{};
    if (req.action == domain::booking_action::challenge) {
        // Who may challenge is read per pencil (SPEC §10): the holds overlapping each pencil
        // the caller overlaps count, even where they miss the caller. Widen to those pencils.
        const auto& me = t.row->booking;
        std::vector<std::pair<instant, instant>> ranges{{me.start_time, me.end_time}};
        for (const auto& b : t.cal.bookings) {
            if (b.status == domain::booking_status::pencil && b.id != me.id &&
                domain::overlaps(b, me)) {
                ranges.emplace_back(b.start_time, b.end_time);
            }
        }
        if (ranges.size() > 1) {
            auto prefs = std::move(t.cal.preferences);
            t.cal = co_await store::load_calendar(c, me.artist_id, std::move(ranges));
            t.cal.preferences = std::move(prefs);
        }
    }
    auto res = domain::decide_transition(t.row->booking, req, t.cal, t.lock.settings, now);
    if (res.has_error()) co_return res.error();
    co_await write(c, tenant_id, actor, now, res.value(), encode);
    co_return std::move(res.value());
}

asio::awaitable<booking_outcome> patch_in(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& actor,
    const std::string& booking_id,
    const domain::booking_patch& p,
    instant now,
    const event_encoder& encode
) {
    std::vector<std::pair<instant, instant>> extra;
    if (p.start_time && p.end_time && *p.start_time < *p.end_time) {
        extra.emplace_back(*p.start_time, *p.end_time);
    }
    auto t = co_await store::lock_for_booking(c, tenant_id, booking_id, std::move(extra));
    if (!t.row) co_return booking_not_found{};
    if ((p.start_time || p.end_time) && !(p.start_time && p.end_time)) {
        // Only one end moves: the calendar must also cover the merged range.
        const auto& b = t.row->booking;
        auto s = p.start_time.value_or(b.start_time);
        auto e = p.end_time.value_or(b.end_time);
        if (s < e) {
            std::vector<std::pair<instant, instant>> ranges{{b.start_time, b.end_time}, {s, e}};
            auto prefs = std::move(t.cal.preferences);
            t.cal = co_await store::load_calendar(c, b.artist_id, std::move(ranges));
            t.cal.preferences = std::move(prefs);
        }
    }
    auto res = domain::decide_patch(t.row->booking, p, t.cal, t.lock.settings, now);
    if (res.has_error()) co_return res.error();
    co_await write(c, tenant_id, actor, now, res.value(), encode);
    co_return std::move(res.value());
}

asio::awaitable<std::optional<store::booking_row>> get_in(
    platform::pg_connection& c, const std::string& booking_id
) {
    co_return co_await store::find_booking(c, booking_id);
}

asio::awaitable<page<store::booking_row>> list_in(
    platform::pg_connection& c, const store::booking_query& q, instant now
) {
    page<store::booking_row> out;
    out.data = co_await store::list_bookings(c, q, now);
    if (static_cast<int>(out.data.size()) > q.limit) {
        out.data.resize(static_cast<std::size_t>(q.limit));
        out.has_more = true;
    }
    co_return out;
}

asio::awaitable<std::optional<page<store::event_row>>> events_of_in(
    platform::pg_connection& c, const std::string& booking_id, long long after_seq, int limit
) {
    auto b = co_await store::find_booking(c, booking_id);
    if (!b) co_return std::nullopt;
    page<store::event_row> out;
    out.data = co_await store::list_booking_events(c, booking_id, after_seq, limit);
    if (static_cast<int>(out.data.size()) > limit) {
        out.data.resize(static_cast<std::size_t>(limit));
        out.has_more = true;
    }
    co_return out;
}

asio::awaitable<std::vector<store::event_row>> feed_in(
    platform::pg_connection& c, long long after_seq, int limit
) {
    auto wm = co_await store::read_event_watermark(c);
    if (wm.max_seq <= after_seq) co_return std::vector<store::event_row>{};
    bool final = false;
    for (int i = 0; i < watermark_polls && !final; ++i) {
        final = co_await store::watermark_final(c, wm);
        if (!final) co_await platform::pause(watermark_poll_interval);
    }
    // Not final yet: a writer is still open; hand out nothing rather than risk a gap.
    if (!final) co_return std::vector<store::event_row>{};
    co_return co_await store::list_events(c, after_seq, wm.max_seq, limit);
}

asio::awaitable<booking_service::replay_page> replay_in(
    platform::pg_connection& c, long long after_seq, long long through_seq, int limit
) {
    booking_service::replay_page out;
    out.events = co_await store::list_events(c, after_seq, through_seq, limit);
    out.latest_seq = co_await store::latest_tenant_seq(c, through_seq);
    co_return out;
}

asio::awaitable<std::vector<store::due_booking>> due_in(
    platform::pg_connection& c, instant now, int batch
) {
    co_return co_await store::find_due_bookings(c, now, batch);
}

// What one sweep did: how many bookings changed, and whose.
struct swept {
    int changed = 0;
    std::string artist_id;
};

asio::awaitable<swept> sweep_booking_in(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::string& booking_id,
    instant now,
    const event_encoder& encode
) {
    auto first = co_await store::find_booking(c, booking_id);
    if (!first) co_return swept{};
    // Never wait: if a writer holds this artist, it resolves the due work itself (every
    // decision starts with it), and another sweeper holding it does the same.
    auto lock = co_await store::lock_artist(
        c, tenant_id, first->booking.artist_id, std::nullopt, /*try_only=*/true
    );
    if (!lock.locked) co_return swept{};
    auto row = co_await store::lock_booking_skip_locked(c, booking_id);
    if (!row) co_return swept{};
    const auto& b = row->booking;
    std::vector<std::pair<instant, instant>> ranges{{b.start_time, b.end_time}};
    auto cal = co_await store::load_calendar(c, b.artist_id, std::move(ranges));
    domain::decision d;
    d.changes = domain::decide_due(cal, lock.settings, now);
    if (d.changes.empty()) co_return swept{};
    co_await write(c, tenant_id, std::string(sweeper_actor), now, d, encode);
    co_return swept{static_cast<int>(d.changes.size()), b.artist_id};
}

}  // namespace

booking_service::booking_service(
    platform::pg_pool& pool, event_encoder encode, artist_changed on_change
)
    : pool_(pool), encode_(std::move(encode)), on_change_(std::move(on_change)) {}

asio::awaitable<void> booking_service::changed(
    const std::string& tenant_id, const booking_outcome& o
) {
    const auto* d = std::get_if<domain::decision>(&o);
    if (d == nullptr || d->changes.empty() || !on_change_) co_return;
    co_await on_change_(tenant_id, d->result.artist_id);
}

asio::awaitable<booking_outcome> booking_service::on_conflict(
    std::string tenant_id,
    std::string artist_id,
    instant from,
    instant to,
    std::optional<std::string> except_id,
    instant now
) {
    auto fn = [&](platform::pg_connection& c) {
        return store::find_exclusive_overlaps(c, artist_id, from, to, except_id, now);
    };
    auto conflicts = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
    domain::domain_error e;
    e.code = domain::booking_errc::booking_conflict;
    e.detail = "The booking overlaps a pencil or confirmed booking of this artist.";
    e.conflicts = std::move(conflicts);
    co_return e;
}

asio::awaitable<booking_outcome> booking_service::conflict_of(
    std::string tenant_id,
    std::string booking_id,
    std::optional<instant> start,
    std::optional<instant> end,
    instant now
) {
    auto target = co_await get(tenant_id, booking_id);
    if (!target) co_return booking_not_found{};
    const auto& b = target->booking;
    co_return co_await on_conflict(
        tenant_id, b.artist_id, start.value_or(b.start_time), end.value_or(b.end_time), b.id, now
    );
}

asio::awaitable<booking_outcome> booking_service::create(
    std::string tenant_id, std::string actor, domain::new_booking nb, instant now
) {
    auto fn = [&](platform::pg_connection& c) {
        return create_in(c, tenant_id, actor, nb, now, encode_);
    };
    try {
        auto out = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
        co_await changed(tenant_id, out);
        co_return out;
    } catch (const platform::db_error& e) {
        if (e.kind() != platform::sql_class::exclusion_violation) throw;
    }
    // The constraint, not our check, refused it (SPEC §3.1): answer with what blocks it.
    co_return co_await on_conflict(tenant_id, nb.artist_id, nb.start_time, nb.end_time, nb.id, now);
}

asio::awaitable<booking_outcome> booking_service::transition(
    std::string tenant_id,
    std::string actor,
    std::string booking_id,
    domain::transition_request req,
    instant now
) {
    auto fn = [&](platform::pg_connection& c) {
        return transition_in(c, tenant_id, actor, booking_id, req, now, encode_);
    };
    try {
        auto out = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
        co_await changed(tenant_id, out);
        co_return out;
    } catch (const platform::db_error& e) {
        if (e.kind() != platform::sql_class::exclusion_violation) throw;
    }
    co_return co_await conflict_of(tenant_id, booking_id, std::nullopt, std::nullopt, now);
}

asio::awaitable<booking_outcome> booking_service::patch(
    std::string tenant_id,
    std::string actor,
    std::string booking_id,
    domain::booking_patch p,
    instant now
) {
    auto fn = [&](platform::pg_connection& c) {
        return patch_in(c, tenant_id, actor, booking_id, p, now, encode_);
    };
    try {
        auto out = co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
        co_await changed(tenant_id, out);
        co_return out;
    } catch (const platform::db_error& e) {
        if (e.kind() != platform::sql_class::exclusion_violation) throw;
    }
    co_return co_await conflict_of(tenant_id, booking_id, p.start_time, p.end_time, now);
}

asio::awaitable<std::optional<store::booking_row>> booking_service::get(
    std::string tenant_id, std::string booking_id
) {
    auto fn = [&](platform::pg_connection& c) { return get_in(c, booking_id); };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

asio::awaitable<page<store::booking_row>> booking_service::list(
    std::string tenant_id, store::booking_query q, instant now
) {
    auto fn = [&](platform::pg_connection& c) { return list_in(c, q, now); };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

asio::awaitable<std::optional<page<store::event_row>>> booking_service::events_of(
    std::string tenant_id, std::string booking_id, long long after_seq, int limit
) {
    auto fn = [&](platform::pg_connection& c) {
        return events_of_in(c, booking_id, after_seq, limit);
    };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

asio::awaitable<std::vector<store::event_row>> booking_service::feed(
    std::string tenant_id, long long after_seq, int limit
) {
    auto fn = [&](platform::pg_connection& c) { return feed_in(c, after_seq, limit); };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

asio::awaitable<booking_service::replay_page> booking_service::replay(
    std::string tenant_id, long long after_seq, long long through_seq, int limit
) {
    auto fn = [&](platform::pg_connection& c) {
        return replay_in(c, after_seq, through_seq, limit);
    };
    co_return co_await platform::with_tenant_transaction(pool_, tenant_id, fn);
}

asio::awaitable<int> booking_service::sweep_once(instant now, int batch) {
    auto list_fn = [&](platform::pg_connection& c) { return due_in(c, now, batch); };
    auto due = co_await platform::with_transaction(pool_, list_fn);
    int changed = 0;
    for (const auto& d : due) {
        auto fn = [&](platform::pg_connection& c) {
            return sweep_booking_in(c, d.tenant_id, d.booking_id, now, encode_);
        };
        try {
            auto s = co_await platform::with_tenant_transaction(pool_, d.tenant_id, fn);
            changed += s.changed;
            if (s.changed > 0 && on_change_) co_await on_change_(d.tenant_id, s.artist_id);
        } catch (const platform::db_error& e) {
            // One bad booking must not stop the others; it is logged and retried next pass.
            platform::log_warn(
                "sweeper: booking not swept", {{"bookingId", d.booking_id}, {"error", e.what()}}
            );
        }
    }
    co_return changed;
}

asio::awaitable<void> run_sweeper(
    booking_service& bookings, std::function<instant()> now, std::chrono::milliseconds period
) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        try {
            // Drain: a full batch means more may be due right now.
            constexpr int batch = 100;
            for (int round = 0; round < 50; ++round) {
                int changed = co_await bookings.sweep_once(now(), batch);
                if (changed < batch) break;
            }
        } catch (const platform::db_unavailable& e) {
            platform::log_warn("sweeper: database unavailable", {{"error", e.what()}});
        } catch (const boost::system::system_error& e) {
            if (e.code() == asio::error::operation_aborted) co_return;  // shutting down
            platform::log_error("sweeper: pass failed", {{"error", e.what()}});
        } catch (const std::exception& e) {
            platform::log_error("sweeper: pass failed", {{"error", e.what()}});
        }
        timer.expires_after(period);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
    }
}

}  // namespace ptool::usecase
