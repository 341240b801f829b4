#include "http/dto/booking_dto.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "domain/time.hpp"
#include "http/schema_validator.hpp"

namespace ptool::http::dto {
namespace {

namespace json = boost::json;
using domain::booking_action;
using domain::booking_status;

domain::instant at(const char* s) {
    auto t = domain::parse_instant(s);
    EXPECT_TRUE(t) << s;
    return t.value_or(domain::instant{});
}

// "path: message" lines, so a failing comparison reads well.
std::string text(const domain::field_errors& errs) {
    std::string out;
    for (const auto& e : errs) {
        out += e.path + ": " + e.message + "\n";
    }
    return out;
}

domain::booking sample_booking() {
    domain::booking b;
    b.id = "6f1c1a52-4a8e-4b4e-9d59-0a9b6a0c2f11";
    b.artist_id = "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22";
    b.project_id = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e33";
    b.start_time = at("2027-03-05T10:00:00Z");
    b.end_time = at("2027-03-05T12:30:00.25Z");
    b.status = booking_status::pencil;
    b.priority = 7;
    b.expires_at = at("2027-03-06T10:00:00Z");
    b.version = 3;
    b.title = "Shoot \xc3\xa9t\xc3\xa9";
    b.notes = "two lines\nof notes";
    b.status_reason = std::nullopt;
    b.challenge =
        domain::challenge_info{"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", at("2027-03-05T20:00:00Z")};
    b.created_by = "user-1";
    b.created_at = at("2027-03-01T09:00:00Z");
    b.updated_at = at("2027-03-02T09:00:00.000001Z");
    return b;
}

// to_json / booking_from_json ---------------------------------------------------------------

TEST(booking_dto, writes_every_member_in_wire_form) {
    auto j = to_json(sample_booking());
    EXPECT_EQ(j.size(), 16U);
    EXPECT_EQ(j.at("id"), "6f1c1a52-4a8e-4b4e-9d59-0a9b6a0c2f11");
    EXPECT_EQ(j.at("artistId"), "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22");
    EXPECT_EQ(j.at("startTime"), "2027-03-05T10:00:00Z");
    EXPECT_EQ(j.at("endTime"), "2027-03-05T12:30:00.25Z");
    EXPECT_EQ(j.at("status"), "pencil");
    EXPECT_EQ(j.at("priority"), 7);
    EXPECT_EQ(j.at("version"), 3);
    EXPECT_EQ(j.at("expiresAt"), "2027-03-06T10:00:00Z");
    EXPECT_EQ(j.at("createdBy"), "user-1");
    EXPECT_EQ(j.at("updatedAt"), "2027-03-02T09:00:00.000001Z");
    EXPECT_EQ(
        j.at("challenge"),
        json::parse(
            R"({"byBookingId": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "deadline": "2027-03-05T20:00:00Z"})"
        )
    );
    EXPECT_TRUE(j.at("statusReason").is_null());
}

TEST(booking_dto, absent_optionals_are_null) {
    auto b = sample_booking();
    b.project_id.reset();
    b.expires_at.reset();
    b.title.reset();
    b.notes.reset();
    b.challenge.reset();
    b.status = booking_status::confirmed;
    auto j = to_json(b);
    for (const char* key :
         {"projectId", "expiresAt", "title", "notes", "challenge", "statusReason"}) {
        ASSERT_TRUE(j.contains(key)) << key;
        EXPECT_TRUE(j.at(key).is_null()) << key;
    }
}

TEST(booking_dto, round_trips_through_json) {
    auto b = sample_booking();
    auto back = booking_from_json(json::value(to_json(b)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, b);

    b.project_id.reset();
    b.expires_at.reset();
    b.title.reset();
    b.notes.reset();
    b.challenge.reset();
    b.status = booking_status::released;
    b.status_reason = "challenge_lost";
    // Through text too, as verify-events reads payloads back from the database.
    back = booking_from_json(json::parse(json::serialize(to_json(b))));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, b);
}

TEST(booking_dto, reading_back_refuses_missing_or_malformed_members) {
    const auto good = to_json(sample_booking());
    for (const char* key : {"id", "startTime", "status", "version", "challenge", "title"}) {
        auto j = good;
        j.erase(key);
        EXPECT_FALSE(booking_from_json(json::value(j))) << key;
    }
    auto bad = [&](const char* key, json::value v) {
        auto j = good;
        j[key] = std::move(v);
        EXPECT_FALSE(booking_from_json(json::value(j))) << key;
    };
    bad("startTime", "2027-03-05T10:00:00");
    bad("status", "maybe");
    bad("priority", "7");
    bad("version", 1.5);
    bad("expiresAt", 3);
    bad("challenge", json::parse(R"({"byBookingId": "x"})"));
    bad("challenge", "x");
    EXPECT_FALSE(booking_from_json(json::value("booking")));
}

// Events ----------------------------------------------------------------------------------------

TEST(booking_dto, creation_payload_has_null_previous) {
    domain::booking_change c{
        std::nullopt, sample_booking(), domain::event_type::pencilled, std::nullopt};
    auto p = event_payload(c);
    EXPECT_EQ(p.size(), 3U);
    EXPECT_EQ(p.at("booking"), json::value(to_json(sample_booking())));
    EXPECT_TRUE(p.at("previous").is_null());
    EXPECT_TRUE(p.at("reason").is_null());
}

TEST(booking_dto, change_payload_lists_only_changed_fields_with_old_values) {
    auto before = sample_booking();
    before.status = booking_status::hold;
    before.challenge.reset();
    before.version = 2;
    auto after = sample_booking();
    after.challenge.reset();
    after.expires_at = at("2027-03-07T10:00:00Z");
    after.updated_at = at("2027-03-03T00:00:00Z");
    domain::booking_change c{before, after, domain::event_type::pencilled, std::string("because")};
    auto p = event_payload(c);
    EXPECT_EQ(
        p.at("previous"),
        json::parse(R"({"status": "hold", "expiresAt": "2027-03-06T10:00:00Z", "version": 2,
                        "updatedAt": "2027-03-02T09:00:00.000001Z"})")
    );
    EXPECT_EQ(p.at("reason"), "because");
    EXPECT_EQ(p.at("booking").at("status"), "pencil");
}

TEST(booking_dto, change_payload_shows_cleared_and_set_nullables) {
    auto before = sample_booking();
    auto after = before;
    after.title.reset();
    after.challenge.reset();
    after.status_reason = "superseded";
    auto p = event_payload({before, after, domain::event_type::updated, std::nullopt});
    const auto& prev = p.at("previous").as_object();
    EXPECT_EQ(prev.size(), 3U);
    EXPECT_EQ(prev.at("title"), "Shoot \xc3\xa9t\xc3\xa9");
    EXPECT_TRUE(prev.at("statusReason").is_null());
    EXPECT_EQ(prev.at("challenge").at("byBookingId"), "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
}

TEST(booking_dto, stored_event_as_the_api_shows_it) {
    stored_event e;
    e.seq = 42;
    e.type = "booking.released";
    e.booking_id = "6f1c1a52-4a8e-4b4e-9d59-0a9b6a0c2f11";
    e.artist_id = "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22";
    e.actor = "user-1";
    e.occurred_at = at("2027-03-05T10:00:00.5+01:00");
    e.payload =
        event_payload({sample_booking(), sample_booking(), domain::event_type::released, "done"});
    auto j = to_json(e);
    EXPECT_EQ(j.size(), 9U);
    EXPECT_EQ(j.at("seq"), 42);
    EXPECT_EQ(j.at("type"), "booking.released");
    EXPECT_EQ(j.at("bookingId"), "6f1c1a52-4a8e-4b4e-9d59-0a9b6a0c2f11");
    EXPECT_EQ(j.at("artistId"), "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22");
    EXPECT_EQ(j.at("actor"), "user-1");
    EXPECT_EQ(j.at("occurredAt"), "2027-03-05T09:00:00.5Z");
    EXPECT_EQ(j.at("booking").at("id"), "6f1c1a52-4a8e-4b4e-9d59-0a9b6a0c2f11");
    EXPECT_EQ(j.at("previous"), json::object{});
    EXPECT_EQ(j.at("reason"), "done");

    e.payload = {};
    j = to_json(e);
    EXPECT_TRUE(j.at("booking").is_null());
    EXPECT_TRUE(j.at("previous").is_null());
    EXPECT_TRUE(j.at("reason").is_null());
}

TEST(booking_dto, responses_match_the_openapi_document) {
    const auto& v = schema_validator::embedded();
    auto b = sample_booking();
    EXPECT_EQ(text(v.validate("Booking", json::value(to_json(b)))), "");
    stored_event e;
    e.seq = 1;
    e.type = "booking.pencilled";
    e.booking_id = b.id;
    e.artist_id = b.artist_id;
    e.actor = "user-1";
    e.occurred_at = b.updated_at;
    auto before = b;
    before.status = booking_status::hold;
    e.payload = event_payload({before, b, domain::event_type::pencilled, std::nullopt});
    EXPECT_EQ(text(v.validate("BookingEvent", json::value(to_json(e)))), "");
    b.challenge.reset();
    b.project_id.reset();
    b.expires_at.reset();
    e.payload =
        event_payload({std::nullopt, b, domain::event_type::confirmed, "overrideAvailability"});
    EXPECT_EQ(text(v.validate("BookingEvent", json::value(to_json(e)))), "");
    EXPECT_NE(text(v.validate("Booking", json::value(json::object{{"id", b.id}}))), "");
}

// POST /bookings ------------------------------------------------------------------------------

parsed_create create(const char* body) { return parse_create_booking(json::parse(body)); }

TEST(booking_dto, create_decodes_a_full_body) {
    auto p = create(R"({
        "artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22",
        "startTime": "2027-03-05T15:30:00+05:30", "endTime": "2027-03-05t12:00:00z",
        "status": "pencil", "priority": 5.0, "title": "T", "notes": null,
        "projectId": "1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E33",
        "confirmBy": "2027-03-06T10:00:00-02:00", "overrideAvailability": true})");
    ASSERT_EQ(text(p.errors), "");
    const auto& nb = p.value;
    EXPECT_EQ(nb.artist_id, "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22");
    EXPECT_EQ(nb.start_time, at("2027-03-05T10:00:00Z"));
    EXPECT_EQ(nb.end_time, at("2027-03-05T12:00:00Z"));
    EXPECT_EQ(nb.status, booking_status::pencil);
    EXPECT_EQ(nb.priority, 5);
    EXPECT_EQ(nb.title, "T");
    EXPECT_FALSE(nb.notes);
    EXPECT_EQ(nb.project_id, "1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E33");
    EXPECT_EQ(nb.confirm_by, at("2027-03-06T12:00:00Z"));
    EXPECT_TRUE(nb.override_availability);
    EXPECT_TRUE(nb.id.empty());
    EXPECT_TRUE(nb.created_by.empty());
}

TEST(booking_dto, create_defaults) {
    auto p = create(R"({"artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22",
                        "startTime": "2027-03-05T10:00:00Z", "endTime": "2027-03-05T11:00:00Z"})");
    ASSERT_EQ(text(p.errors), "");
    EXPECT_EQ(p.value.status, booking_status::hold);
    EXPECT_EQ(p.value.priority, 0);
    EXPECT_FALSE(p.value.title);
    EXPECT_FALSE(p.value.project_id);
    EXPECT_FALSE(p.value.confirm_by);
    EXPECT_FALSE(p.value.override_availability);
}

TEST(booking_dto, empty_create_lists_the_required_fields) {
    EXPECT_EQ(
        text(create("{}").errors),
        text(
            {{"/artistId", "is required"},
             {"/endTime", "is required"},
             {"/startTime", "is required"}}
        )
    );
}

TEST(booking_dto, create_lists_every_error_at_once) {
    const std::string body = R"({"artistId": "not-a-uuid", "startTime": "2027-03-05T10:00:00",
        "endTime": "2027-03-05T10:00:00+0530", "priority": 101, "status": "expired",
        "title": ")" + std::string(201, 'x') +
                             R"(", "notes": 3, "projectId": "", "confirmBy": "2027-02-30T10:00:00Z",
        "overrideAvailability": "yes", "bogus": 1, "Title": "x"})";
    auto p = parse_create_booking(json::parse(body));
    EXPECT_EQ(
        text(p.errors),
        text({
            {"/Title", "is not a known field"},
            {"/artistId", "must be a UUID"},
            {"/bogus", "is not a known field"},
            {"/confirmBy", "must be an RFC 3339 instant with offset"},
            {"/endTime", "must be an RFC 3339 instant with offset"},
            {"/notes", "must be a string or null"},
            {"/overrideAvailability", "must be a boolean"},
            {"/priority", "must be at most 100"},
            {"/projectId", "must be a UUID"},
            {"/startTime", "must be an RFC 3339 instant with offset"},
            {"/status", "must be one of hold, pencil, confirmed"},
            {"/title", "must be at most 200 characters"},
        })
    );
}

TEST(booking_dto, create_refuses_naive_and_compact_offsets) {
    for (const char* t :
         {"2027-03-05T10:00:00",
          "2027-03-05T10:00:00+0530",
          "2027-03-05 10:00:00Z",
          "2027-02-29T10:00:00Z",
          "tomorrow"}) {
        const std::string body = R"({"artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22",
            "startTime": ")" + std::string(t) +
                                 R"(", "endTime": "2027-03-05T11:00:00Z"})";
        EXPECT_EQ(
            text(parse_create_booking(json::parse(body)).errors),
            text({{"/startTime", "must be an RFC 3339 instant with offset"}})
        ) << t;
    }
}

TEST(booking_dto, create_checks_the_range_at_end_time) {
    auto p = create(R"({"artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22", "title": 5,
                        "startTime": "2027-03-05T10:00:00Z", "endTime": "2027-03-05T10:00:00Z"})");
    EXPECT_EQ(
        text(p.errors),
        text({{"/endTime", "must be after startTime"}, {"/title", "must be a string or null"}})
    );
}

TEST(booking_dto, confirm_by_only_with_pencil) {
    auto p = create(R"({"artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22", "status": "confirmed",
                        "startTime": "2027-03-05T10:00:00Z", "endTime": "2027-03-05T11:00:00Z",
                        "confirmBy": "2027-03-04T10:00:00Z"})");
    EXPECT_EQ(text(p.errors), text({{"/confirmBy", "is only allowed when status is pencil"}}));
}

TEST(booking_dto, title_length_counts_characters_not_bytes) {
    std::string title;
    for (int i = 0; i < 200; ++i) {
        title += "\xc3\xa9";
    }
    const std::string body = R"({"artistId": "0b9e7e3e-2a55-4f55-8d0f-7c3c9f1e2d22",
        "startTime": "2027-03-05T10:00:00Z", "endTime": "2027-03-05T11:00:00Z", "title": ")" +
                             title + "\"}";
    auto p = parse_create_booking(json::parse(body));
    EXPECT_EQ(text(p.errors), "");
    EXPECT_EQ(p.value.title, title);
}

TEST(booking_dto, a_body_that_is_not_an_object_is_one_error_at_the_root) {
    for (const char* body : {"[]", "null", "3", "\"x\""}) {
        EXPECT_EQ(text(create(body).errors), text({{"", "must be an object"}})) << body;
        EXPECT_EQ(
            text(parse_booking_patch(json::parse(body)).errors), text({{"", "must be an object"}})
        ) << body;
        EXPECT_EQ(
            text(parse_transition(booking_action::release, json::parse(body)).errors),
            text({{"", "must be an object"}})
        ) << body;
    }
}

// PATCH /bookings/{id} ------------------------------------------------------------------------

TEST(booking_dto, patch_reads_present_members_and_null_clears) {
    auto p = parse_booking_patch(json::parse(
        R"({"title": null, "notes": "n", "endTime": "2027-03-05T12:00:00+01:00", "priority": 3})"
    ));
    ASSERT_EQ(text(p.errors), "");
    ASSERT_TRUE(p.value.title);
    EXPECT_FALSE(*p.value.title);
    ASSERT_TRUE(p.value.notes);
    EXPECT_EQ(*p.value.notes, "n");
    EXPECT_FALSE(p.value.start_time);
    EXPECT_EQ(p.value.end_time, at("2027-03-05T11:00:00Z"));
    EXPECT_EQ(p.value.priority, 3);
    EXPECT_FALSE(p.value.override_availability);
    EXPECT_FALSE(p.value.if_match);

    auto empty = parse_booking_patch(json::parse("{}"));
    EXPECT_EQ(text(empty.errors), "");
    EXPECT_FALSE(empty.value.title);
    EXPECT_FALSE(empty.value.priority);
}

TEST(booking_dto, patch_lists_every_error_at_once) {
    auto p = parse_booking_patch(json::parse(R"({"status": "confirmed", "artistId": "x",
        "startTime": "2027-03-05T12:00:00Z", "endTime": "2027-03-05T11:00:00Z", "priority": -1,
        "title": null, "overrideAvailability": true})"));
    EXPECT_EQ(
        text(p.errors),
        text({
            {"/artistId", "is not a known field"},
            {"/endTime", "must be after startTime"},
            {"/priority", "must be at least 0"},
            {"/status", "is not a known field"},
        })
    );
    auto q =
        parse_booking_patch(json::parse(R"({"startTime": null, "endTime": "2027-03-05T11:00"})"));
    EXPECT_EQ(
        text(q.errors),
        text({
            {"/endTime", "must be an RFC 3339 instant with offset"},
            {"/startTime", "must be a string"},
        })
    );
}

// Transitions ---------------------------------------------------------------------------------

TEST(booking_dto, transitions_read_their_own_members) {
    auto pencil = parse_transition(
        booking_action::pencil, json::parse(R"({"confirmBy": "2027-03-06T10:00:00Z"})")
    );
    ASSERT_EQ(text(pencil.errors), "");
    EXPECT_EQ(pencil.value.action, booking_action::pencil);
    EXPECT_EQ(pencil.value.confirm_by, at("2027-03-06T10:00:00Z"));

    for (auto a : {booking_action::release, booking_action::cancel, booking_action::challenge}) {
        auto t = parse_transition(a, json::parse(R"({"reason": "client said no"})"));
        ASSERT_EQ(text(t.errors), "");
        EXPECT_EQ(t.value.action, a);
        EXPECT_EQ(t.value.reason, "client said no");
        EXPECT_TRUE(parse_transition(a, json::parse(R"({"reason": null})")).errors.empty());
    }
    for (auto a :
         {booking_action::confirm,
          booking_action::extend,
          booking_action::pencil,
          booking_action::release}) {
        auto t = parse_transition(a, json::parse("{}"));
        EXPECT_EQ(text(t.errors), "");
        EXPECT_FALSE(t.value.reason);
        EXPECT_FALSE(t.value.confirm_by);
        EXPECT_FALSE(t.value.if_match);
    }
}

TEST(booking_dto, transitions_refuse_members_of_other_actions) {
    EXPECT_EQ(
        text(parse_transition(booking_action::confirm, json::parse(R"({"reason": "x"})")).errors),
        text({{"/reason", "is not a known field"}})
    );
    EXPECT_EQ(
        text(parse_transition(booking_action::release, json::parse(R"({"confirmBy": "x"})")).errors
        ),
        text({{"/confirmBy", "is not a known field"}})
    );
    EXPECT_EQ(
        text(parse_transition(booking_action::pencil, json::parse(R"({"confirmBy": "2027-03-06"})"))
                 .errors),
        text({{"/confirmBy", "must be an RFC 3339 instant with offset"}})
    );
    const std::string long_reason = R"({"reason": ")" + std::string(1001, 'r') + R"("})";
    EXPECT_EQ(
        text(parse_transition(booking_action::cancel, json::parse(long_reason)).errors),
        text({{"/reason", "must be at most 1000 characters"}})
    );
}

// Headers ---------------------------------------------------------------------------------------

TEST(booking_dto, if_match_forms) {
    EXPECT_EQ(parse_if_match("\"3\""), 3);
    EXPECT_EQ(parse_if_match("W/\"3\""), 3);
    EXPECT_EQ(parse_if_match("3"), 3);
    EXPECT_EQ(parse_if_match("  \"12\" "), 12);
    EXPECT_EQ(parse_if_match("\"0\""), 0);
    for (const char* bad :
         {"",
          "\"\"",
          "garbage",
          "\"3",
          "3\"",
          "\"-1\"",
          "\"+3\"",
          "\"3.0\"",
          "\"99999999999\"",
          "*",
          "\"1\", \"2\"",
          "w/\"3\"",
          "\" 3\""}) {
        EXPECT_FALSE(parse_if_match(bad)) << bad;
    }
}

TEST(booking_dto, etag_quotes_the_version) {
    EXPECT_EQ(etag(1), "\"1\"");
    EXPECT_EQ(etag(42), "\"42\"");
    EXPECT_EQ(parse_if_match(etag(7)), 7);
}

}  // namespace
}  // namespace ptool::http::dto
