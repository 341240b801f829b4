#pragma once
// Opaque pagination cursors shared by every list endpoint (`nextCursor` / `?cursor=`).
//
// A cursor carries the sort key of the last row a page returned, as a list of strings (e.g.
// {"artists", "<createdAt>", "<id>"}); the list endpoint decides what the strings mean and
// checks them after decoding. Clients must treat a cursor as opaque; it is not signed or
// encrypted (it only names a position the caller may read anyway).
//
// Pure; thread-safe.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.hpp"
#include "domain/validation.hpp"

namespace ptool::http::dto {

// Longest cursor decode_cursor() accepts (characters of the encoded form).
inline constexpr std::size_t max_cursor_length = 2048;

// base64url (RFC 4648 §5, no padding) of the JSON array of `keys`. Always ASCII [A-Za-z0-9_-],
// safe in a query string without escaping.
std::string encode_cursor(const std::vector<std::string>& keys);

// The keys of a cursor made by encode_cursor(); nullopt for anything else: empty input, longer
// than max_cursor_length, characters outside the base64url alphabet, padding, impossible
// lengths, or a payload that is not a JSON array of strings.
std::optional<std::vector<std::string>> decode_cursor(std::string_view cursor);

// The paging query parameters of every list (SPEC §10): `limit` (default 50, an integer in
// 1..500, else an error at "/limit") and `cursor` (decoded keys, else an error at "/cursor").
// An empty value counts as absent. The list endpoint then checks that the keys mean a position
// of its own order (kind tag, types) and reports "/cursor" otherwise.
inline constexpr int default_page_limit = 50;
inline constexpr int max_page_limit = 500;

struct page_query {
    int limit = default_page_limit;
    std::optional<std::vector<std::string>> after;  // the decoded cursor, when given and valid
    domain::field_errors errors;
};

page_query parse_page_query(
    std::optional<std::string_view> limit, std::optional<std::string_view> cursor
);

// parse_page_query() for a list whose positions `parse_position` reads from the decoded keys;
// keys it rejects (nullopt: another list's cursor) are an error at "/cursor" after the others.
template <class Position>
struct list_query {
    int limit = default_page_limit;
    std::optional<Position> after;
    domain::field_errors errors;
};

template <class Position>
list_query<Position> parse_list_query(
    std::optional<std::string_view> limit,
    std::optional<std::string_view> cursor,
    std::optional<Position> (*parse_position)(const std::vector<std::string>&)
) {
    auto q = parse_page_query(limit, cursor);
    list_query<Position> out{q.limit, std::nullopt, std::move(q.errors)};
    if (q.after) {
        out.after = parse_position(*q.after);
        if (!out.after) {
            out.errors.push_back({"/cursor", "is not a cursor of this list"});
        }
    }
    return out;
}

// The body of a list page: {data: [row_json(row)...], nextCursor: cursor_of(next) or null}.
// `Page` has `data` (the rows) and `next` (an optional position).
template <class Page, class RowJson, class CursorOf>
boost::json::object page_json(const Page& page, RowJson row_json, CursorOf cursor_of) {
    boost::json::array data;
    data.reserve(page.data.size());
    for (const auto& row : page.data) {
        data.emplace_back(row_json(row));
    }
    boost::json::value next = nullptr;
    if (page.next) {
        next = cursor_of(*page.next);
    }
    return {{"data", std::move(data)}, {"nextCursor", std::move(next)}};
}

// Cursors of the lists ordered by (created_at, id) (artists, projects): the keys
// {kind, createdAt, id}, where `kind` tells the lists apart.
std::string encode_created_cursor(
    std::string_view kind, domain::instant created_at, const std::string& id
);

// The createdAt of keys {kind, an instant, a canonical UUID}; nullopt for any other keys.
std::optional<domain::instant> created_cursor_instant(
    std::string_view kind, const std::vector<std::string>& keys
);

// The position {created_at, id} that encode_created_cursor(kind, ...) made `keys` from.
template <class Position>
std::optional<Position> parse_created_cursor(
    std::string_view kind, const std::vector<std::string>& keys
) {
    auto at = created_cursor_instant(kind, keys);
    if (!at) {
        return std::nullopt;
    }
    return Position{*at, keys[2]};
}

}  // namespace ptool::http::dto
