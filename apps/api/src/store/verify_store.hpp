#pragma once
// SQL for `ptool verify-events` (SPEC §6): the tenants to walk and, per tenant, pages of
// bookings each with its whole event history. Read-only. Throws db_error / db_unavailable like
// the connection does.

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// A bookings row as stored, column by column (no domain interpretation: the verifier compares
// what is there). Instants exact to the microsecond.
struct stored_booking {
    std::string id;
    std::string artist_id;
    std::optional<std::string> project_id;
    domain::instant start_time;
    domain::instant end_time;
    std::string status;
    int priority = 0;
    std::optional<domain::instant> expires_at;
    int version = 0;
    std::optional<std::string> title;
    std::optional<std::string> notes;
    std::optional<std::string> status_reason;
    std::optional<std::string> challenge_by_booking_id;
    std::optional<domain::instant> challenge_deadline;
    std::string created_by;
    domain::instant created_at;
    domain::instant updated_at;
};

// One booking_events row (the columns the verifier needs).
struct stored_booking_event {
    long long seq = 0;
    std::string type;
    std::string artist_id;
    boost::json::value payload;  // as stored (jsonb)
};

struct booking_history {
    stored_booking row;
    std::vector<stored_booking_event> events;  // seq order
};

// Every tenant id (SECURITY DEFINER ptool_tenant_ids(), callable by the application role).
// Runs in any transaction, with or without a tenant set.
boost::asio::awaitable<std::vector<std::string>> list_all_tenant_ids(platform::pg_connection& c);

// Up to `limit` bookings of the transaction's tenant with id > after_id (all when nullopt), in id
// order, each with all of its events. One statement, so each booking and its events come from
// the same snapshot even while the service writes.
boost::asio::awaitable<std::vector<booking_history>> read_booking_histories(
    platform::pg_connection& c,
    const std::string& tenant_id,
    const std::optional<std::string>& after_id,
    int limit
);

}  // namespace ptool::store
