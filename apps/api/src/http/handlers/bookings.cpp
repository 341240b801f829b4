// /api/v1/bookings...: create, read, list, patch, the lifecycle transitions and a booking's
// history. Order of checks (SPEC §10): 401 -> 403 -> 404 -> 400/415/422 -> 428/412 -> 409.

#include "usecase/bookings.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <charconv>

#include "domain/booking.hpp"
#include "http/auth.hpp"
#include "http/dto/booking_dto.hpp"
#include "http/dto/cursor.hpp"
#include "http/handlers/common.hpp"
#include "http/idempotency.hpp"
#include "http/json_io.hpp"
#include "http/problem.hpp"
#include "http/routes.hpp"

namespace ptool::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using domain::role;

namespace {

constexpr std::string_view booking_cursor_kind = "bookings";
constexpr std::string_view event_cursor_kind = "booking-events";

std::string new_uuid() {
    thread_local boost::uuids::random_generator gen;
    return boost::uuids::to_string(gen());
}

problem make_problem(bhttp::status s, std::string code, std::string detail) {
    return problem{s, std::move(code), std::move(detail), {}, {}};
}

// The domain's business outcomes as problem+json (SPEC §4's table).
problem to_problem(const domain::domain_error& e) {
    using domain::booking_errc;
    switch (e.code) {
        case booking_errc::validation_failed:
            return validation_failed(e.errors);
        case booking_errc::version_mismatch: {
            auto p = make_problem(bhttp::status::precondition_failed, "version_mismatch", e.detail);
            p.extra["currentVersion"] = e.current_version.value_or(0);
            return p;
        }
        case booking_errc::invalid_transition: {
            auto p = make_problem(bhttp::status::conflict, "invalid_transition", e.detail);
            p.extra["currentStatus"] =
                e.current_status ? json::value(domain::to_string(*e.current_status)) : nullptr;
            return p;
        }
        case booking_errc::booking_conflict: {
            auto p = make_problem(bhttp::status::conflict, "booking_conflict", e.detail);
            json::array list;
            for (const auto& b : e.conflicts) {
                list.push_back(json::object{
                    {"id", b.id},
                    {"status", domain::to_string(b.status)},
                    {"startTime", domain::format_instant(b.start_time)},
                    {"endTime", domain::format_instant(b.end_time)},
                });
            }
            p.extra["conflicts"] = std::move(list);
            return p;
        }
        case booking_errc::outranked: {
            auto p = make_problem(bhttp::status::conflict, "outranked", e.detail);
            json::array list;
            for (const auto& b : e.outranked_by) {
                list.push_back(json::object{
                    {"id", b.id},
                    {"priority", b.priority},
                    {"createdAt", domain::format_instant(b.created_at)},
                    {"expiresAt",
                     b.expires_at ? json::value(domain::format_instant(*b.expires_at))
                                  : json::value(nullptr)},
                });
            }
            p.extra["outrankedBy"] = std::move(list);
            return p;
        }
        case booking_errc::outside_availability: {
            auto p =
                make_problem(bhttp::status::unprocessable_entity, "outside_availability", e.detail);
            json::array list;
            for (const auto& w : e.windows) {
                list.push_back(json::object{
                    {"startTime", domain::format_instant(w.start)},
                    {"endTime", domain::format_instant(w.end)},
                });
            }
            p.extra["windows"] = std::move(list);
            return p;
        }
    }
    return make_problem(bhttp::status::conflict, "invalid_transition", e.detail);
}

// A booking as a reader sees it at `now` (lazy expiry, SPEC §3.2).
json::object view(const domain::booking& b, bool is_challenger, domain::instant now) {
    auto shown = b;
    shown.status = domain::effective_status(b, now, is_challenger);
    return dto::to_json(shown);
}

response booking_response(
    bhttp::status status, const domain::booking& b, json::object body, const request& req
) {
    auto res = json_response(status, body, req);
    res.set(bhttp::field::etag, dto::etag(b.version));
    if (status == bhttp::status::created) {
        res.set(bhttp::field::location, "/api/v1/bookings/" + b.id);
    }
    return res;
}

response outcome_response(usecase::booking_outcome& out, bhttp::status ok, const request& req) {
    if (auto* e = std::get_if<domain::domain_error>(&out))
        return problem_response(to_problem(*e), req);
    if (std::holds_alternative<usecase::booking_not_found>(out)) {
        return problem_response(not_found("No such booking."), req);
    }
    const auto& d = std::get<domain::decision>(out);
    return booking_response(ok, d.result, dto::to_json(d.result), req);
}

// If-Match: absent -> nullopt; present but unparsable -> -1 (matches no version: 412).
std::optional<int> if_match(const request& req) {
    auto it = req.find(bhttp::field::if_match);
    if (it == req.end()) return std::nullopt;
    return dto::parse_if_match(it->value()).value_or(-1);
}

std::optional<long long> parse_ll(std::string_view s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// Keyset positions of the two cursor-paginated lists: bookings by (startTime, id), a booking's
// events by seq. Another list's cursor reads as nullopt (422 at /cursor).
struct booking_position {
    domain::instant start_time;
    std::string id;
};

std::optional<booking_position> parse_booking_position(const std::vector<std::string>& keys) {
    if (keys.size() != 3 || keys[0] != booking_cursor_kind || !is_uuid(keys[2]))
        return std::nullopt;
    auto t = domain::parse_instant(keys[1]);
    if (!t) return std::nullopt;
    return booking_position{*t, keys[2]};
}

std::optional<long long> parse_event_position(const std::vector<std::string>& keys) {
    if (keys.size() != 2 || keys[0] != event_cursor_kind) return std::nullopt;
    return parse_ll(keys[1]);
}

// ?limit= and ?cursor= of a list, with the shared rules of dto::parse_list_query.
template <class Position>
dto::list_query<Position> read_page(
    const request_context& ctx,
    std::optional<Position> (*parse_position)(const std::vector<std::string>&)
) {
    auto limit = query_value(ctx, "limit");
    auto cursor = query_value(ctx, "cursor");
    return dto::parse_list_query<Position>(
        limit ? std::optional<std::string_view>(*limit) : std::nullopt,
        cursor ? std::optional<std::string_view>(*cursor) : std::nullopt,
        parse_position
    );
}

// ---- POST /bookings ------------------------------------------------------------------------

asio::awaitable<response> create_booking_now(
    request_context& ctx, services& s, const principal& me, const json::value& body
) {
    auto parsed = dto::parse_create_booking(body);
    if (!parsed.errors.empty())
        co_return problem_response(validation_failed(parsed.errors), ctx.req);
    auto nb = std::move(parsed.value);
    nb.id = new_uuid();
    nb.created_by = me.user;
    auto out = co_await s.bookings.create(me.tenant_id, me.user, std::move(nb), s.clock.now());
    co_return outcome_response(out, bhttp::status::created, ctx.req);
}

// Body-dependent "may never" rules (SPEC §10): before 404 and 422.
// PATCH has no `status` (a 422 there), so only a create is forbidden by it.
std::optional<problem> forbidden_by_body(
    const principal& me, const json::object& body, bool is_create
) {
    if (domain::at_least(me.role, role::manager)) return std::nullopt;
    if (auto* v = body.if_contains("status");
        is_create && v && v->is_string() && v->as_string() == "confirmed") {
        return forbidden("Only a manager may create a confirmed booking.");
    }
    if (auto* v = body.if_contains("priority"); v && v->is_number() && v->to_number<double>() > 0) {
        return forbidden("Only a manager may set a priority above 0.");
    }
    if (auto* v = body.if_contains("overrideAvailability"); v && v->is_bool() && v->as_bool()) {
        return forbidden("Only a manager may override availability.");
    }
    return std::nullopt;
}

asio::awaitable<response> create_booking(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, role::booker)) {
        co_return problem_response(forbidden("Your role may not create bookings."), ctx.req);
    }
    auto body = read_json_body(ctx.req, body_kind::json_object);
    if (auto* p = std::get_if<problem>(&body)) co_return problem_response(*p, ctx.req);
    const auto& obj = std::get<json::object>(body);
    if (auto p = forbidden_by_body(me, obj, true)) co_return problem_response(*p, ctx.req);
    json::value value = obj;
    idempotent_work work = [&]() { return create_booking_now(ctx, s, me, value); };
    co_return co_await run_idempotent(s, ctx, me, std::move(work));
}

// ---- GET /bookings/{id} ----------------------------------------------------------------------

asio::awaitable<response> get_booking(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such booking."), ctx.req);
    auto row = co_await s.bookings.get(me.tenant_id, id);
    if (!row) co_return problem_response(not_found("No such booking."), ctx.req);
    co_return booking_response(
        bhttp::status::ok,
        row->booking,
        view(row->booking, row->is_challenger, s.clock.now()),
        ctx.req
    );
}

// ---- GET /bookings ---------------------------------------------------------------------------

asio::awaitable<response> list_bookings(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);

    domain::field_errors errs;
    store::booking_query q;
    auto uuid_param = [&](std::string_view key) -> std::optional<std::string> {
        auto v = query_value(ctx, key);
        if (!v) return std::nullopt;
        if (!is_uuid(*v)) {
            errs.push_back({"/" + std::string(key), "must be a UUID"});
            return std::nullopt;
        }
        return v;
    };
    auto instant_param = [&](std::string_view key) -> std::optional<domain::instant> {
        auto v = query_value(ctx, key);
        if (!v) return std::nullopt;
        auto t = domain::parse_instant(*v);
        if (!t) errs.push_back({"/" + std::string(key), "must be an RFC 3339 instant with offset"});
        return t;
    };
    q.artist_id = uuid_param("artistId");
    q.project_id = uuid_param("projectId");
    q.from = instant_param("from");
    q.to = instant_param("to");
    if (q.from && q.to && *q.to <= *q.from) errs.push_back({"/to", "must be after from"});
    if (auto st = query_value(ctx, "status")) {
        std::string_view rest = *st;
        while (true) {
            auto comma = rest.find(',');
            auto part = rest.substr(0, comma);
            if (auto parsed = domain::parse_booking_status(part)) {
                q.statuses.push_back(*parsed);
            } else {
                errs.push_back({"/status", "unknown status '" + std::string(part) + "'"});
                break;
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    auto page_q = read_page(ctx, parse_booking_position);
    errs.insert(errs.end(), page_q.errors.begin(), page_q.errors.end());
    q.limit = page_q.limit;
    if (page_q.after) q.after = std::make_pair(page_q.after->start_time, page_q.after->id);
    if (!errs.empty()) co_return problem_response(validation_failed(errs), ctx.req);

    auto now = s.clock.now();
    auto page = co_await s.bookings.list(me.tenant_id, q, now);
    json::array data;
    for (const auto& row : page.data) data.push_back(view(row.booking, row.is_challenger, now));
    json::value next = nullptr;
    if (page.has_more && !page.data.empty()) {
        const auto& last = page.data.back().booking;
        next = dto::encode_cursor(
            {std::string(booking_cursor_kind), domain::format_instant(last.start_time), last.id}
        );
    }
    co_return json_response(
        bhttp::status::ok, json::object{{"data", std::move(data)}, {"nextCursor", next}}, ctx.req
    );
}

// ---- PATCH /bookings/{id} --------------------------------------------------------------------

asio::awaitable<response> patch_booking(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, role::booker)) {
        co_return problem_response(forbidden("Your role may not change bookings."), ctx.req);
    }
    auto body = read_json_body(ctx.req, body_kind::merge_patch);
    if (auto* p = std::get_if<problem>(&body)) {
        std::string bid(ctx.param("id"));
        if (!is_uuid(bid) || !co_await s.bookings.get(me.tenant_id, bid)) {
            co_return problem_response(not_found("No such booking."), ctx.req);
        }
        co_return problem_response(*p, ctx.req);
    }
    const auto& obj = std::get<json::object>(body);
    if (auto p = forbidden_by_body(me, obj, false)) co_return problem_response(*p, ctx.req);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such booking."), ctx.req);
    // 404 comes before 422 and 428: on those paths only, look the booking up first (the write
    // itself answers 404 otherwise, saving a round trip on the common path).
    auto parsed = dto::parse_booking_patch(json::value(obj));
    auto match = if_match(ctx.req);
    if (!parsed.errors.empty() || !match) {
        if (!co_await s.bookings.get(me.tenant_id, id)) {
            co_return problem_response(not_found("No such booking."), ctx.req);
        }
    }
    if (!parsed.errors.empty())
        co_return problem_response(validation_failed(parsed.errors), ctx.req);
    if (!match) {
        co_return problem_response(
            make_problem(
                bhttp::status::precondition_required,
                "precondition_required",
                "PATCH needs If-Match with the version you edit."
            ),
            ctx.req
        );
    }
    auto patch = std::move(parsed.value);
    patch.if_match = *match;
    auto out =
        co_await s.bookings.patch(me.tenant_id, me.user, id, std::move(patch), s.clock.now());
    co_return outcome_response(out, bhttp::status::ok, ctx.req);
}

// ---- POST /bookings/{id}/<action> ------------------------------------------------------------

role minimum_role(domain::booking_action a) {
    switch (a) {
        case domain::booking_action::confirm:
        case domain::booking_action::cancel:
            return role::manager;
        default:
            return role::booker;
    }
}

asio::awaitable<response> transition_now(
    request_context& ctx,
    services& s,
    const principal& me,
    const std::string& id,
    domain::transition_request req
) {
    auto out =
        co_await s.bookings.transition(me.tenant_id, me.user, id, std::move(req), s.clock.now());
    co_return outcome_response(out, bhttp::status::ok, ctx.req);
}

asio::awaitable<response> transition(
    request_context& ctx, services s, domain::booking_action action
) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    if (!domain::at_least(me.role, minimum_role(action))) {
        co_return problem_response(
            forbidden("Your role may not " + std::string(domain::to_string(action)) + " bookings."),
            ctx.req
        );
    }
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such booking."), ctx.req);
    auto body = read_json_body(ctx.req, body_kind::optional_object);
    if (auto* obj = std::get_if<json::object>(&body)) {
        // pencil/confirm may carry overrideAvailability: true, a manager's call (before 404).
        auto* v = obj->if_contains("overrideAvailability");
        if (v && v->is_bool() && v->as_bool() && !domain::at_least(me.role, role::manager)) {
            co_return problem_response(
                forbidden("Only a manager may override availability."), ctx.req
            );
        }
    }
    std::optional<problem> body_problem;
    dto::parsed_transition parsed;
    if (auto* p = std::get_if<problem>(&body)) {
        body_problem = *p;
    } else {
        parsed = dto::parse_transition(action, json::value(std::get<json::object>(body)));
        if (!parsed.errors.empty()) body_problem = validation_failed(parsed.errors);
    }
    if (body_problem) {
        // 404 comes first; only this path pays for the extra read.
        if (!co_await s.bookings.get(me.tenant_id, id)) {
            co_return problem_response(not_found("No such booking."), ctx.req);
        }
        co_return problem_response(*body_problem, ctx.req);
    }
    auto req = std::move(parsed.value);
    req.if_match = if_match(ctx.req);
    idempotent_work work = [&]() { return transition_now(ctx, s, me, id, req); };
    co_return co_await run_idempotent(s, ctx, me, std::move(work));
}

// ---- GET /bookings/{id}/events ---------------------------------------------------------------

asio::awaitable<response> booking_events(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    std::string id(ctx.param("id"));
    if (!is_uuid(id)) co_return problem_response(not_found("No such booking."), ctx.req);
    auto page_q = read_page(ctx, parse_event_position);
    if (!page_q.errors.empty()) {
        co_return problem_response(validation_failed(page_q.errors), ctx.req);
    }
    auto page =
        co_await s.bookings.events_of(me.tenant_id, id, page_q.after.value_or(0), page_q.limit);
    if (!page) co_return problem_response(not_found("No such booking."), ctx.req);
    json::array data;
    for (const auto& e : page->data) data.push_back(dto::event_to_json(e));
    json::value next = nullptr;
    if (page->has_more && !page->data.empty()) {
        next = dto::encode_cursor(
            {std::string(event_cursor_kind), std::to_string(page->data.back().seq)}
        );
    }
    co_return json_response(
        bhttp::status::ok, json::object{{"data", std::move(data)}, {"nextCursor", next}}, ctx.req
    );
}

// ---- GET /events -----------------------------------------------------------------------------

asio::awaitable<response> event_feed(request_context& ctx, services s) {
    auto who = co_await authenticate(ctx, s.auth);
    if (auto* r = std::get_if<response>(&who)) co_return std::move(*r);
    const auto& me = std::get<principal>(who);
    auto limit = query_value(ctx, "limit").value_or("");  // empty counts as absent
    auto page_q = dto::parse_page_query(limit, std::nullopt);
    auto errs = std::move(page_q.errors);
    long long after = 0;
    if (auto a = query_value(ctx, "afterSeq")) {
        auto v = parse_ll(*a);
        if (!v || *v < 0) {
            errs.push_back({"/afterSeq", "must be a non-negative integer"});
        } else {
            after = *v;
        }
    }
    if (!errs.empty()) co_return problem_response(validation_failed(errs), ctx.req);
    auto events = co_await s.bookings.feed(me.tenant_id, after, page_q.limit);
    json::array data;
    for (const auto& e : events) data.push_back(dto::event_to_json(e));
    long long next = events.empty() ? after : events.back().seq;
    co_return json_response(
        bhttp::status::ok, json::object{{"data", std::move(data)}, {"nextAfterSeq", next}}, ctx.req
    );
}

}  // namespace

void add_booking_routes(router& r, services s) {
    r.add(bhttp::verb::post, "/api/v1/bookings", [s](request_context& ctx) {
        return create_booking(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/bookings", [s](request_context& ctx) {
        return list_bookings(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/bookings/{id}", [s](request_context& ctx) {
        return get_booking(ctx, s);
    });
    r.add(bhttp::verb::patch, "/api/v1/bookings/{id}", [s](request_context& ctx) {
        return patch_booking(ctx, s);
    });
    r.add(bhttp::verb::get, "/api/v1/bookings/{id}/events", [s](request_context& ctx) {
        return booking_events(ctx, s);
    });
    static constexpr std::pair<const char*, domain::booking_action> actions[] = {
        {"/api/v1/bookings/{id}/extend", domain::booking_action::extend},
        {"/api/v1/bookings/{id}/pencil", domain::booking_action::pencil},
        {"/api/v1/bookings/{id}/confirm", domain::booking_action::confirm},
        {"/api/v1/bookings/{id}/release", domain::booking_action::release},
        {"/api/v1/bookings/{id}/cancel", domain::booking_action::cancel},
        {"/api/v1/bookings/{id}/challenge", domain::booking_action::challenge},
    };
    for (const auto& [path, action] : actions) {
        r.add(bhttp::verb::post, path, [s, a = action](request_context& ctx) {
            return transition(ctx, s, a);
        });
    }
    r.add(bhttp::verb::get, "/api/v1/events", [s](request_context& ctx) {
        return event_feed(ctx, s);
    });
}

}  // namespace ptool::http
