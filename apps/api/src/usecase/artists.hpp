#pragma once
// Artist operations (SPEC §2, §4, §10): create, read one, list a page, change. Each runs as
// one transaction with the tenant set first (RLS). Field rules the JSON schema cannot express
// are checked here and reported together with the caller's `input_errors` (from decoding the
// body), so a 422 lists everything at once; nothing is written when there is any error.
// Throws db_unavailable / db_error when the database fails.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/time.hpp"
#include "domain/validation.hpp"
#include "platform/pg_pool.hpp"
#include "store/artist_store.hpp"

namespace ptool::usecase {

// Field limits (characters). Names are also non-blank; userId non-empty (a JWT sub).
inline constexpr std::size_t max_artist_name_length = 200;
inline constexpr std::size_t max_email_length = 254;
inline constexpr std::size_t max_user_id_length = 255;

struct new_artist {
    std::string name;
    std::string timezone;
    std::optional<std::string> email;
    std::optional<std::string> user_id;
};

// Members present in a PATCH body. For email/user_id: absent = unchanged, nullopt inside =
// set to null.
struct artist_patch {
    std::optional<std::string> name;
    std::optional<std::string> timezone;
    std::optional<std::optional<std::string>> email;
    std::optional<std::optional<std::string>> user_id;
};

// The rules on each member (path = wire name): name non-blank and <= 200 characters, timezone
// an IANA name, email <= 254 characters and shaped local@domain, userId 1..255 characters.
domain::field_errors check_new_artist(const new_artist& a);
domain::field_errors check_artist_patch(const artist_patch& p);

using create_artist_result = std::variant<store::artist, domain::field_errors>;

// Inserts a new artist with a fresh id, created_at = updated_at = now.
boost::asio::awaitable<create_artist_result> create_artist(
    platform::pg_pool& pool,
    std::string tenant_id,
    new_artist input,
    domain::field_errors input_errors,
    domain::instant now
);

// `id` must be a canonical UUID (callers answer 404 for anything else without asking).
boost::asio::awaitable<std::optional<store::artist>> get_artist(
    platform::pg_pool& pool, std::string tenant_id, std::string id
);

struct artist_page {
    std::vector<store::artist> data;
    std::optional<store::artist_position> next;  // set when more rows follow
};

// Up to `limit` (1..500) artists after `after`, ordered by (created_at, id).
boost::asio::awaitable<artist_page> list_artists(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::optional<store::artist_position> after,
    int limit
);

struct artist_not_found {};
using update_artist_result = std::variant<store::artist, domain::field_errors, artist_not_found>;

// Applies `patch` under the row lock. artist_not_found wins over errors (SPEC §10: 404 before
// 422). A patch that changes nothing writes nothing (updated_at stays).
boost::asio::awaitable<update_artist_result> update_artist(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::string id,
    artist_patch patch,
    domain::field_errors input_errors,
    domain::instant now
);

}  // namespace ptool::usecase
