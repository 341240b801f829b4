#pragma once
// SQL for artists. Every function runs on a connection inside a transaction whose
// app.tenant_id is already set (RLS shows only that tenant's rows). Throws db_error /
// db_unavailable like the connection does. Timestamps come from the service clock (a
// parameter), never SQL now().

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "platform/pg_connection.hpp"

namespace ptool::store {

// An artist row (SPEC §2, §10 "Shapes"). `timezone` is an IANA name (checked by the use case).
struct artist {
    std::string id;
    std::string name;
    std::string timezone;
    std::optional<std::string> email;
    std::optional<std::string> user_id;  // the artist-role login (JWT sub) linked to it
    domain::instant created_at;
    domain::instant updated_at;
    friend bool operator==(const artist&, const artist&) = default;
};

// A position in the list order (created_at, id): the last row of the previous page.
struct artist_position {
    domain::instant created_at;
    std::string id;  // canonical UUID
};

// Inserts `a` (all members set by the caller, id a fresh UUID) into tenant `tenant_id`.
boost::asio::awaitable<void> insert_artist(
    platform::pg_connection& c, const std::string& tenant_id, const artist& a
);

// One artist by id (a canonical UUID); nullopt when not visible. `for_update` takes the row lock.
boost::asio::awaitable<std::optional<artist>> find_artist(
    platform::pg_connection& c, const std::string& id, bool for_update = false
);

// Up to `limit` artists ordered by (created_at, id), strictly after `after` when given.
boost::asio::awaitable<std::vector<artist>> list_artists(
    platform::pg_connection& c, const std::optional<artist_position>& after, int limit
);

// Writes name, timezone, email, user_id and updated_at of `a`; false when no row was visible.
boost::asio::awaitable<bool> update_artist(platform::pg_connection& c, const artist& a);

}  // namespace ptool::store
