#pragma once

// Wire shapes of bookings and booking events (SPEC §2, §4, §6, §10); camelCase lives only here.
// Bodies are first checked against the OpenAPI schemas (schema_validator: unknown members,
// JSON types, lengths, enums, required members), then decoded into domain inputs; semantic
// errors (instants without offset, impossible dates) are added to the same list, so one 422
// lists everything.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "domain/booking.hpp"
#include "domain/validation.hpp"
#include "store/booking_store.hpp"

namespace ptool::http::dto {

// A booking as the API shows it: {id, artistId, projectId, startTime, endTime, status, priority,
// expiresAt, version, title, notes, createdBy, createdAt, updatedAt, challenge, statusReason}.
// `status` is written as given; callers pass the effective status (domain::effective_status)
// for reads and the stored one for event payloads. `challenge` is {byBookingId, deadline} or
// null. Instants in UTC `Z` form.
boost::json::object to_json(const domain::booking& b);

// The event payload stored in booking_events.payload: {booking, previous, reason}. `previous`
// holds the old values of the fields that differ between before and after (wire names, e.g.
// {"status": "hold", "expiresAt": ..., "version": 3, "updatedAt": ...}), null for a creation.
boost::json::object event_payload(const domain::booking_change& change);

// An event as the API and Socket.IO show it: {seq, type, bookingId, artistId, actor,
// occurredAt, booking, previous, reason}, from the stored row's parts.
struct stored_event {
    long long seq = 0;
    std::string type;
    std::string booking_id;
    std::string artist_id;
    std::string actor;
    domain::instant occurred_at;
    boost::json::object payload;  // as written by event_payload()
};
boost::json::object to_json(const stored_event& e);

// The same from a stored row (payload as JSON text), the booking's members in the API's order;
// what GET /events and Socket.IO show.
boost::json::object event_to_json(const store::event_row& e);

// Reads a booking back from its JSON (the inverse of to_json), e.g. an event payload's
// `booking` for `ptool verify-events`. nullopt when a member is missing or malformed.
std::optional<domain::booking> booking_from_json(const boost::json::value& v);

// POST /bookings. `errors` lists every problem (schema + semantic); `value` is meaningful only
// when errors is empty. id and created_by are left empty for the caller to fill.
struct parsed_create {
    domain::new_booking value;
    domain::field_errors errors;
};
parsed_create parse_create_booking(const boost::json::value& body);

// PATCH /bookings/{id} (application/json or application/merge-patch+json; null clears
// title/notes). if_match is left empty for the caller to fill from the header.
struct parsed_patch {
    domain::booking_patch value;
    domain::field_errors errors;
};
parsed_patch parse_booking_patch(const boost::json::value& body);

// POST /bookings/{id}/<action>: pencil {confirmBy?}, release/cancel/challenge {reason?},
// confirm/extend {} (an empty body is {}). if_match is left empty for the caller.
struct parsed_transition {
    domain::transition_request value;
    domain::field_errors errors;
};
parsed_transition parse_transition(domain::booking_action action, const boost::json::value& body);

// The If-Match header: `"<n>"`, `W/"<n>"` or a bare integer. nullopt when absent or unparsable
// (an unparsable If-Match can match no version: callers answer 412).
std::optional<int> parse_if_match(std::string_view header);
// The ETag header value for a version: "\"<n>\"".
std::string etag(int version);

}  // namespace ptool::http::dto
