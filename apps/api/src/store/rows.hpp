#pragma once
// Reading result rows, shared by the row stores (artists, projects): columns as the stores
// select them, and the keyset paging of lists ordered by (created_at, id). Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"
#include "platform/pg_result.hpp"

namespace ptool::store {

// An int8 column as text; throws std::runtime_error when it is not a whole decimal number.
long long int8_value(std::string_view s);

// An instant selected as microseconds since the epoch
// (`(extract(epoch FROM t) * 1000000)::int8`): exact, independent of the session's TimeZone.
domain::instant us_to_instant(std::string_view s);

// The cell as a string; nullopt for NULL.
std::optional<std::string> opt_string(const platform::pg_result& r, int row, int col);

// Every row of `r`, in order, as `read(r, row)` makes it.
template <class Row>
std::vector<Row> read_rows(
    const platform::pg_result& r, Row (*read)(const platform::pg_result&, int)
) {
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(read(r, i));
    }
    return out;
}

// Parameters of a keyset page ordered by (created_at, id): ($1 created_at, $2 id, $3 limit)
// after `after`, or ($1 limit) for the first page. `Position` has `created_at` and `id`.
template <class Position>
platform::pg_params keyset_params(const std::optional<Position>& after, int limit) {
    if (after) {
        return {domain::format_instant(after->created_at), after->id, std::to_string(limit)};
    }
    return {std::to_string(limit)};
}

}  // namespace ptool::store
