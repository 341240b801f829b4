// SQLSTATE classification and retry backoff for the PostgreSQL client. Pure: the only state is
// the thread-local PRNG behind jittered_backoff().

#include "platform/pg_error.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <utility>

namespace ptool::platform {

namespace {

struct sqlstate_entry {
    std::string_view code;
    sql_class kind;
    std::string_view name;
};

constexpr std::array<sqlstate_entry, 9> sqlstates{{
    {"23P01", sql_class::exclusion_violation, "exclusion_violation"},
    {"23505", sql_class::unique_violation, "unique_violation"},
    {"23503", sql_class::foreign_key_violation, "foreign_key_violation"},
    {"23514", sql_class::check_violation, "check_violation"},
    {"23502", sql_class::not_null_violation, "not_null_violation"},
    {"40001", sql_class::serialization_failure, "serialization_failure"},
    {"40P01", sql_class::deadlock, "deadlock"},
    {"42501", sql_class::insufficient_privilege, "insufficient_privilege"},
    {"57014", sql_class::query_canceled, "query_canceled"},
}};

std::string what_of(std::string_view sqlstate, std::string_view message) {
    std::string out(message);
    out += " (SQLSTATE ";
    out += sqlstate.empty() ? std::string_view("none") : sqlstate;
    out += ')';
    return out;
}

}  // namespace

sql_class classify(std::string_view sqlstate) {
    for (const auto& entry : sqlstates) {
        if (entry.code == sqlstate) {
            return entry.kind;
        }
    }
    return sql_class::other;
}

bool is_retryable(sql_class kind) {
    return kind == sql_class::serialization_failure || kind == sql_class::deadlock;
}

std::string_view to_string(sql_class kind) {
    for (const auto& entry : sqlstates) {
        if (entry.kind == kind) {
            return entry.name;
        }
    }
    return "other";
}

bool is_connection_sqlstate(std::string_view sqlstate) {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

db_error::db_error(
    std::string code, std::string primary, std::string detail_text, std::string constraint_name
)
    : std::runtime_error(what_of(code, primary)),
      sqlstate(std::move(code)),
      constraint(std::move(constraint_name)),
      detail(std::move(detail_text)),
      message(std::move(primary)) {}

std::chrono::milliseconds backoff_delay(
    int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap, double jitter
) {
    using std::chrono::milliseconds;
    if (base.count() <= 0 || cap.count() <= 0) {
        return milliseconds{0};
    }
    attempt = std::max(attempt, 1);
    jitter = std::clamp(jitter, 0.0, 1.0);
    // Double until the cap instead of shifting, so a large attempt count cannot overflow.
    milliseconds full = std::min(base, cap);
    for (int i = 1; i < attempt && full < cap; ++i) {
        full = std::min(full * 2, cap);
    }
    const auto half = full.count() / 2;
    const auto spread =
        static_cast<milliseconds::rep>(static_cast<double>(full.count() - half) * jitter);
    return milliseconds{half + std::min(spread, full.count() - half)};
}

std::chrono::milliseconds jittered_backoff(
    int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap
) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff_delay(attempt, base, cap, unit(rng));
}

}  // namespace ptool::platform
