#pragma once
// Opaque pagination cursors shared by every list endpoint (`nextCursor` / `?cursor=`).
//
// A cursor carries the sort key of the last row a page returned, as a list of strings (e.g.
// {"artists", "<createdAt>", "<id>"}); the list endpoint decides what the strings mean and
// checks them after decoding. Clients must treat a cursor as opaque; it is not signed or
// encrypted (it only names a position the caller may read anyway).
//
// Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace ptool::http::dto
