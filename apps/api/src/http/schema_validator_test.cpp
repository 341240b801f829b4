#include "http/schema_validator.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace ptool::http {
namespace {

using domain::field_error;
using domain::field_errors;

field_errors check(const schema_validator& v, std::string_view schema, const char* body) {
    return v.validate(schema, boost::json::parse(body));
}

field_errors embedded(std::string_view schema, const char* body) {
    return check(schema_validator::embedded(), schema, body);
}

// "path: message" lines, so a failing comparison reads well.
std::string text(const field_errors& errs) {
    std::string out;
    for (const auto& e : errs) {
        out += e.path + ": " + e.message + "\n";
    }
    return out;
}

// A small document exercising what the embedded one may grow into: refs between schemas,
// nested objects, arrays, nullable members.
const schema_validator& sample() {
    static const schema_validator v(boost::json::parse(R"({
      "openapi": "3.1.0",
      "components": {"schemas": {
        "Window": {
          "type": "object", "additionalProperties": false, "required": ["start", "end"],
          "properties": {"start": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"},
                         "end": {"type": "string"}}
        },
        "Plan": {
          "type": "object", "additionalProperties": false, "required": ["name"],
          "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "note": {"type": ["string", "null"], "maxLength": 3},
            "when": {"type": "string", "format": "date-time"},
            "level": {"type": "integer", "minimum": 0, "maximum": 100},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "windows": {"type": "array", "maxItems": 2, "items": {"$ref": "#/components/schemas/Window"}},
            "main": {"$ref": "#/components/schemas/Window"},
            "a/b": {"type": "boolean"}
          }
        }
      }}
    })"));
    return v;
}

TEST(schema_validator, accepts_valid_tenant_patches) {
    EXPECT_TRUE(embedded("TenantPatch", "{}").empty());
    EXPECT_TRUE(embedded("TenantPatch", R"({"name": "Acme", "holdTtlMinutes": 45})").empty());
    EXPECT_TRUE(embedded("TenantPatch", R"({"holdTtlMinutes": 45.0})").empty());
}

TEST(schema_validator, reports_every_unknown_member_at_its_path) {
    auto errs = embedded("TenantPatch", R"({"bogus": 1, "name": "x", "other": {"deep": true}})");
    EXPECT_EQ(
        text(errs), text({{"/bogus", "is not a known field"}, {"/other", "is not a known field"}})
    );
}

TEST(schema_validator, reports_types_ranges_and_lengths_once_each) {
    auto errs = embedded(
        "TenantPatch",
        R"({"holdTtlMinutes": "x", "pencilTtlHours": 24.5, "challengeWindowHours": 0,
            "holdMaxMinutes": 99999999999999999999, "name": ""})"
    );
    ASSERT_EQ(errs.size(), 5U);
    auto find = [&](const char* path) {
        for (const auto& e : errs) {
            if (e.path == path) {
                return e.message;
            }
        }
        return std::string("<none>");
    };
    EXPECT_EQ(find("/holdTtlMinutes"), "must be an integer");
    EXPECT_EQ(find("/pencilTtlHours"), "must be an integer");
    EXPECT_EQ(find("/challengeWindowHours"), "must be at least 1");
    EXPECT_EQ(find("/holdMaxMinutes"), "must be at most 10080");
    EXPECT_EQ(find("/name"), "must not be empty");
}

TEST(schema_validator, a_body_that_is_not_an_object_is_one_error_at_the_root) {
    for (const char* body : {"[]", "3", "\"x\"", "null", "true"}) {
        EXPECT_EQ(text(embedded("TenantPatch", body)), text({{"", "must be an object"}})) << body;
    }
}

TEST(schema_validator, reports_missing_required_members_at_their_own_paths) {
    EXPECT_EQ(
        text(embedded("Tenant", R"({"id": "x", "name": "n", "holdTtlMinutes": 30})")),
        text({
            {"/challengeWindowHours", "is required"},
            {"/holdMaxMinutes", "is required"},
            {"/pencilTtlHours", "is required"},
        })
    );
}

TEST(schema_validator, embedded_booking_schemas) {
    EXPECT_EQ(
        text(embedded("BookingCreate", "{}")),
        text(
            {{"/artistId", "is required"},
             {"/endTime", "is required"},
             {"/startTime", "is required"}}
        )
    );
    EXPECT_EQ(
        text(embedded(
            "BookingCreate",
            R"({"artistId": 1, "startTime": "a", "endTime": "b", "status": "expired", "priority": 101,
                "titel": "x", "notes": null, "projectId": null})"
        )),
        text({
            {"/artistId", "must be a string"},
            {"/priority", "must be at most 100"},
            {"/status", "must be one of hold, pencil, confirmed"},
            {"/titel", "is not a known field"},
        })
    );
    EXPECT_TRUE(embedded("EmptyRequest", "{}").empty());
    EXPECT_EQ(
        text(embedded("EmptyRequest", R"({"a": 1})")), text({{"/a", "is not a known field"}})
    );
    const std::string long_reason = R"({"reason": ")" + std::string(1001, 'x') + R"("})";
    EXPECT_EQ(
        text(embedded("ReasonRequest", long_reason.c_str())),
        text({{"/reason", "must be at most 1000 characters"}})
    );
    EXPECT_EQ(
        text(embedded("TestClockRequest", R"({"advanceSeconds": -1})")),
        text({{"/advanceSeconds", "must be at least 0"}})
    );
    EXPECT_EQ(
        text(embedded("ArtistPatch", R"({"email": null, "userId": null, "name": 5})")),
        text({{"/name", "must be a string"}})
    );
}

TEST(schema_validator, unknown_schema_is_out_of_range) {
    EXPECT_THROW((void)embedded("NoSuchSchema", "{}"), std::out_of_range);
}

TEST(schema_validator, resolves_refs_and_reports_nested_paths) {
    auto errs = check(
        sample(),
        "Plan",
        R"({"name": "toolong", "windows": [{"start": "9:00", "end": "10:00"}, {"x": 1}],
            "main": {"end": 3}, "a/b": 1})"
    );
    EXPECT_EQ(
        text(errs),
        text({
            {"/a~1b", "must be a boolean"},
            {"/main/end", "must be a string"},
            {"/main/start", "is required"},
            {"/name", "must be at most 5 characters"},
            {"/windows/0/start", "has an invalid format"},
            {"/windows/1/end", "is required"},
            {"/windows/1/start", "is required"},
            {"/windows/1/x", "is not a known field"},
        })
    );
}

TEST(schema_validator, nullable_enum_range_and_items_messages) {
    EXPECT_TRUE(check(sample(), "Plan", R"({"name": "n", "note": null, "kind": "a"})").empty());
    auto errs = check(
        sample(),
        "Plan",
        R"({"name": "n", "note": 5, "kind": "c", "level": 101, "windows": [{}, {}, {}]})"
    );
    auto find = [&](const char* path) {
        for (const auto& e : errs) {
            if (e.path == path) {
                return e.message;
            }
        }
        return std::string("<none>");
    };
    EXPECT_EQ(find("/note"), "must be a string or null");
    EXPECT_EQ(find("/kind"), "must be one of a, b");
    EXPECT_EQ(find("/level"), "must be at most 100");
    EXPECT_EQ(find("/windows"), "must have at most 2 items");
    EXPECT_EQ(find("/windows/2/start"), "is required");
}

TEST(schema_validator, lengths_count_characters_and_formats_are_left_to_dtos) {
    // Five characters, more bytes.
    EXPECT_TRUE(check(sample(), "Plan", R"({"name": "\u00e9\u00e9\u00e9\u00e9\u00e9"})").empty());
    EXPECT_TRUE(check(sample(), "Plan", R"({"name": "n", "when": "not a time"})").empty());
}

TEST(schema_validator, missing_required_in_empty_body) {
    EXPECT_EQ(text(check(sample(), "Plan", "{}")), text({{"/name", "is required"}}));
}

TEST(schema_validator, refuses_a_document_without_schemas) {
    EXPECT_THROW(schema_validator(boost::json::parse("{}")), std::runtime_error);
    EXPECT_THROW(
        schema_validator(boost::json::parse(
            R"({"components": {"schemas": {"X": {"$ref": "#/components/schemas/Missing"}}}})"
        )),
        std::runtime_error
    );
}

}  // namespace
}  // namespace ptool::http
