// Artist use cases: validate -> begin -> set tenant -> (lock) -> write -> commit.
// Zone names are checked against the system tz database (domain::is_iana_timezone).

#include "usecase/artists.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "domain/availability.hpp"
#include "platform/pg_transaction.hpp"
#include "usecase/field_checks.hpp"
#include "usecase/paging.hpp"

namespace ptool::usecase {

namespace asio = boost::asio;

namespace {

void check_name(const std::string& name, domain::field_errors& errs) {
    if (is_blank(name)) {
        errs.push_back({"/name", "must not be empty"});
    } else if (utf8_length(name) > max_artist_name_length) {
        errs.push_back({"/name", "must be at most 200 characters"});
    }
}

void check_timezone(const std::string& tz, domain::field_errors& errs) {
    if (!domain::is_iana_timezone(tz)) {
        errs.push_back({"/timezone", "must be an IANA time zone name, e.g. Europe/Berlin"});
    }
}

void check_email(const std::optional<std::string>& email, domain::field_errors& errs) {
    if (!email) return;
    const auto& e = *email;
    auto at = e.find('@');
    bool shaped = at != std::string::npos && at > 0 && at + 1 < e.size() &&
                  e.find('@', at + 1) == std::string::npos &&
                  e.find_first_of(" \t\r\n") == std::string::npos;
    if (utf8_length(e) > max_email_length) {
        errs.push_back({"/email", "must be at most 254 characters"});
    } else if (!shaped) {
        errs.push_back({"/email", "must be an email address"});
    }
}

void check_user_id(const std::optional<std::string>& user_id, domain::field_errors& errs) {
    if (!user_id) return;
    if (user_id->empty()) {
        errs.push_back({"/userId", "must not be empty"});
    } else if (utf8_length(*user_id) > max_user_id_length) {
        errs.push_back({"/userId", "must be at most 255 characters"});
    }
}

asio::awaitable<store::artist> insert_in(
    platform::pg_connection& c, const std::string& tenant_id, const store::artist& a
) {
    co_await store::insert_artist(c, tenant_id, a);
    co_return a;
}

asio::awaitable<std::optional<store::artist>> read_in(
    platform::pg_connection& c, const std::string& id
) {
    co_return co_await store::find_artist(c, id);
}

asio::awaitable<update_artist_result> update_in(
    platform::pg_connection& c,
    const std::string& id,
    const artist_patch& patch,
    const domain::field_errors& errs,
    domain::instant now
) {
    auto current = co_await store::find_artist(c, id, /*for_update=*/true);
    if (!current) co_return artist_not_found{};
    if (!errs.empty()) co_return errs;
    store::artist next = *current;
    if (patch.name) next.name = *patch.name;
    if (patch.timezone) next.timezone = *patch.timezone;
    if (patch.email) next.email = *patch.email;
    if (patch.user_id) next.user_id = *patch.user_id;
    if (next == *current) co_return next;
    next.updated_at = now;
    co_await store::update_artist(c, next);
    co_return next;
}

}  // namespace

domain::field_errors check_new_artist(const new_artist& a) {
    domain::field_errors errs;
    check_name(a.name, errs);
    check_timezone(a.timezone, errs);
    check_email(a.email, errs);
    check_user_id(a.user_id, errs);
    return errs;
}

domain::field_errors check_artist_patch(const artist_patch& p) {
    domain::field_errors errs;
    if (p.name) check_name(*p.name, errs);
    if (p.timezone) check_timezone(*p.timezone, errs);
    if (p.email) check_email(*p.email, errs);
    if (p.user_id) check_user_id(*p.user_id, errs);
    return errs;
}

asio::awaitable<create_artist_result> create_artist(
    platform::pg_pool& pool,
    std::string tenant_id,
    new_artist input,
    domain::field_errors input_errors,
    domain::instant now
) {
    merge_field_errors(input_errors, check_new_artist(input));
    if (!input_errors.empty()) co_return input_errors;
    store::artist a{
        boost::uuids::to_string(boost::uuids::random_generator()()),
        std::move(input.name),
        std::move(input.timezone),
        std::move(input.email),
        std::move(input.user_id),
        now,
        now};
    auto fn = [&](platform::pg_connection& c) { return insert_in(c, tenant_id, a); };
    co_return co_await platform::with_tenant_transaction(pool, tenant_id, fn);
}

asio::awaitable<std::optional<store::artist>> get_artist(
    platform::pg_pool& pool, std::string tenant_id, std::string id
) {
    auto fn = [&](platform::pg_connection& c) { return read_in(c, id); };
    co_return co_await platform::with_tenant_transaction(pool, tenant_id, fn);
}

asio::awaitable<artist_page> list_artists(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::optional<store::artist_position> after,
    int limit
) {
    co_return co_await list_page<artist_page>(pool, tenant_id, after, limit, store::list_artists);
}

asio::awaitable<update_artist_result> update_artist(
    platform::pg_pool& pool,
    std::string tenant_id,
    std::string id,
    artist_patch patch,
    domain::field_errors input_errors,
    domain::instant now
) {
    merge_field_errors(input_errors, check_artist_patch(patch));
    auto fn = [&](platform::pg_connection& c) {
        return update_in(c, id, patch, input_errors, now);
    };
    co_return co_await platform::with_tenant_transaction(pool, tenant_id, fn);
}

}  // namespace ptool::usecase
