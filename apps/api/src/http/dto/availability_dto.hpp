#pragma once
// Wire shapes of availability (SPEC §5, §10): preferences {timezone, weekly, overrides}, the
// schedule {artistId, timezone, from, to, data: [{startTime, endTime, state, bookingIds}]},
// slots {artistId, duration, step, data}, and their query parameters. The PUT body is first
// checked against the OpenAPI schema AvailabilityPut; this decoder checks JSON types again on
// its own and leaves the rules on values to domain::validate_availability.

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "domain/availability.hpp"
#include "domain/validation.hpp"
#include "usecase/availability.hpp"

namespace ptool::http::dto {

boost::json::object to_json(const domain::availability& a);

// The schedule body (usecase::schedule_encoder).
std::string encode_schedule(const usecase::schedule_view& s);

boost::json::object to_json(const usecase::slots_view& s);

// Items that are not objects stay in `value` as empty placeholders, so indices match the body;
// their errors are in `errors` (usecase::merge_field_errors then drops the rule errors below them).
struct parsed_availability {
    domain::availability_input value;  // timezone empty when absent (the caller fills it in)
    bool has_timezone = false;
    domain::field_errors errors;  // wrong JSON types
};
parsed_availability parse_availability_put(const boost::json::object& body);

// ?from&to of schedule and slots: both required RFC 3339 instants, from < to, at most
// max_range_days apart. Errors at /from and /to.
constexpr int max_range_days = 366;
struct range_query {
    domain::instant from;
    domain::instant to;
    domain::field_errors errors;
};
range_query parse_range_query(
    const std::optional<std::string>& from, const std::optional<std::string>& to
);

// ?duration&step of slots (ISO 8601): duration 1 minute .. 31 days (required), step >= 1 minute
// (default: duration), and at most max_slot_candidates starts in [from, to). Errors at /duration
// and /step.
constexpr long long max_slot_candidates = 100000;
struct slots_query {
    std::chrono::microseconds duration{};
    std::chrono::microseconds step{};
    domain::field_errors errors;
};
slots_query parse_slots_query(
    const std::optional<std::string>& duration,
    const std::optional<std::string>& step,
    const range_query& range
);

}  // namespace ptool::http::dto
