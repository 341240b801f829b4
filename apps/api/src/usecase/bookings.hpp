#pragma once
// Booking operations (SPEC §3, §4, §6). Each write is one transaction: set tenant -> lock the
// artist's calendar -> load the booking and the calendar around it -> ask the domain -> write
// rows and events in one pipeline -> commit. The exclusion constraint stays the guarantee: if it
// fires anyway (SQLSTATE 23P01), the blocking bookings are read back and answered as
// booking_conflict. Deadlocks and serialization failures rerun the transaction
// (platform::with_tenant_transaction).
//
// Thread-safe; the pool must outlive the service. Throws db_unavailable when the database
// cannot be reached (the HTTP layer answers 503).

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/booking.hpp"
#include "platform/pg_pool.hpp"
#include "store/booking_store.hpp"

namespace ptool::usecase {

// Turns a change into its event payload (JSON text, SPEC §6). Injected by the caller, which
// owns the wire format (http/dto), so the stored payload is exactly what the API shows.
using event_encoder = std::function<std::string(const domain::booking_change&)>;

// Called after every commit that changed an artist's bookings, before the caller answers (the
// schedule cache's invalidation, availability_service::invalidate_artist). Must not throw.
using artist_changed =
    std::function<boost::asio::awaitable<void>(std::string tenant_id, std::string artist_id)>;

struct booking_not_found {};

// A write's outcome: the decision that was committed, a business outcome (409/412/422), or no
// such booking in this tenant.
using booking_outcome = std::variant<domain::decision, domain::domain_error, booking_not_found>;

// One page of a keyset-paginated list; `next` holds the last row's key when more follow.
template <class T>
struct page {
    std::vector<T> data;
    bool has_more = false;
};

class booking_service {
public:
    booking_service(platform::pg_pool& pool, event_encoder encode, artist_changed on_change = {});

    // POST /bookings. An artistId/projectId that does not exist in the tenant is
    // validation_failed at /artistId or /projectId, reported with the domain's other 422s.
    boost::asio::awaitable<booking_outcome> create(
        std::string tenant_id, std::string actor, domain::new_booking nb, domain::instant now
    );

    // POST /bookings/{id}/<action>.
    boost::asio::awaitable<booking_outcome> transition(
        std::string tenant_id,
        std::string actor,
        std::string booking_id,
        domain::transition_request req,
        domain::instant now
    );

    // PATCH /bookings/{id}.
    boost::asio::awaitable<booking_outcome> patch(
        std::string tenant_id,
        std::string actor,
        std::string booking_id,
        domain::booking_patch p,
        domain::instant now
    );

    // GET /bookings/{id}.
    boost::asio::awaitable<std::optional<store::booking_row>> get(
        std::string tenant_id, std::string booking_id
    );

    // GET /bookings (limit rows at most, has_more when another page follows).
    boost::asio::awaitable<page<store::booking_row>> list(
        std::string tenant_id, store::booking_query q, domain::instant now
    );

    // GET /bookings/{id}/events: nullopt when the booking does not exist.
    boost::asio::awaitable<std::optional<page<store::event_row>>> events_of(
        std::string tenant_id, std::string booking_id, long long after_seq, int limit
    );

    // GET /events: events with seq > after_seq that are final (SPEC §6 "ordering without
    // loss"): no transaction still in progress can commit a lower seq than the last returned.
    boost::asio::awaitable<std::vector<store::event_row>> feed(
        std::string tenant_id, long long after_seq, int limit
    );

    // The real-time replay of a reconnecting client (SPEC §7 lastSeq): the tenant's events with
    // after_seq < seq <= through_seq, oldest first, up to `limit` rows, and the tenant's highest
    // seq at or below through_seq. The caller passes a through_seq that is final (the pump's).
    struct replay_page {
        std::vector<store::event_row> events;
        long long latest_seq = 0;
    };
    boost::asio::awaitable<replay_page> replay(
        std::string tenant_id, long long after_seq, long long through_seq, int limit
    );

    // One pass of the expiry sweeper over every tenant: up to `batch` due bookings, each in its
    // own transaction under the artist's lock (skipped when another transaction holds it or the
    // row, so several instances cooperate without double events). Returns how many bookings
    // changed.
    boost::asio::awaitable<int> sweep_once(domain::instant now, int batch);

private:
    // The constraint refused a write (23P01): the bookings blocking [from, to), as a 409.
    boost::asio::awaitable<booking_outcome> on_conflict(
        std::string tenant_id,
        std::string artist_id,
        domain::instant from,
        domain::instant to,
        std::optional<std::string> except_id,
        domain::instant now
    );

    // The same for an existing booking moved to [start, end) (its own range when not given).
    boost::asio::awaitable<booking_outcome> conflict_of(
        std::string tenant_id,
        std::string booking_id,
        std::optional<domain::instant> start,
        std::optional<domain::instant> end,
        domain::instant now
    );

    // Runs on_change_ for a committed outcome (a decision that changed something).
    boost::asio::awaitable<void> changed(const std::string& tenant_id, const booking_outcome& o);

    platform::pg_pool& pool_;
    event_encoder encode_;
    artist_changed on_change_;
};

// Runs sweep_once every `period` on the service clock until the executor stops. Logs failures
// (the database may be down) and carries on.
boost::asio::awaitable<void> run_sweeper(
    booking_service& bookings,
    std::function<domain::instant()> now,
    std::chrono::milliseconds period
);

}  // namespace ptool::usecase
