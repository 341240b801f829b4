#pragma once
// Wire shape of artists (SPEC §10 "Shapes"): {id, name, timezone, email, userId, createdAt,
// updatedAt}; camelCase lives only here. Bodies are first checked against the OpenAPI schemas
// ArtistCreate / ArtistPatch (schema_validator); these decoders check JSON types again on their
// own (so they are safe on any object) and report unknown members, and the use case adds the
// semantic rules (IANA timezone, lengths) to the same list.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/validation.hpp"
#include "store/artist_store.hpp"
#include "usecase/artists.hpp"

namespace ptool::http::dto {

boost::json::object to_json(const store::artist& a);

// {data: [artist...], nextCursor: string|null}.
boost::json::object to_json(const usecase::artist_page& page);

// The cursor naming the position after `p` in the artist list, and back. nullopt when the keys
// are not an artist-list position (another list's cursor, a malformed instant or id).
std::string artist_cursor(const store::artist_position& p);
std::optional<store::artist_position> parse_artist_cursor(const std::vector<std::string>& keys);

struct parsed_artist_create {
    usecase::new_artist value;    // the well-typed members
    domain::field_errors errors;  // missing name/timezone, unknown members, wrong JSON types
};
parsed_artist_create parse_artist_create(const boost::json::object& body);

struct parsed_artist_patch {
    usecase::artist_patch value;  // the members present; email/userId null = clear
    domain::field_errors errors;
};
parsed_artist_patch parse_artist_patch(const boost::json::object& body);

}  // namespace ptool::http::dto
