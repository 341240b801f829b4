// Request-body validation with valijson against components/schemas of the embedded OpenAPI
// document, and the translation of valijson's error contexts into JSON-pointer field errors.

#include "http/schema_validator.hpp"

// valijson aborts on a bad schema unless told to throw; only this file includes valijson.
#define VALIJSON_USE_EXCEPTIONS 1  // NOLINT(cppcoreguidelines-macro-usage)

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "http/openapi.hpp"

namespace ptool::http {

namespace json = boost::json;

namespace {

// Compiled schemas differ from the served ones in two ways, both invisible to clients:
// - `additionalProperties: false` becomes `{"not": {}}`: valijson reports only the first
//   unknown member for `false`, but validates every unknown member against a schema, so each
//   one yields its own error at its own path (the `not` message is read as "unknown field").
// - `format` is dropped: instants are checked by the DTOs (domain::parse_instant, stricter
//   than valijson's regex), and uuid/email are left to the use cases; a second, differently
//   worded error at the same path would only be noise.
// Recursion over schemas and bodies is bounded by the parser's depth limit (boost::json: 32).
json::value transform_schema(const json::value& in);  // NOLINT(misc-no-recursion)

json::object transform_schema_map(const json::object& in) {  // NOLINT(misc-no-recursion)
    json::object out;
    for (const auto& [name, sub] : in) {
        out[name] = transform_schema(sub);
    }
    return out;
}

json::array transform_schema_list(const json::array& in) {  // NOLINT(misc-no-recursion)
    json::array out;
    for (const auto& sub : in) {
        out.push_back(transform_schema(sub));
    }
    return out;
}

json::value transform_schema(const json::value& in) {  // NOLINT(misc-no-recursion)
    if (!in.is_object()) {
        return in;
    }
    json::object out;
    for (const auto& [key, v] : in.get_object()) {
        if (key == "format") {
            continue;
        }
        if (key == "additionalProperties" && v.is_bool() && !v.get_bool()) {
            out[key] = json::object{{"not", json::object{}}};
        } else if ((key == "properties" || key == "patternProperties" || key == "definitions" || key == "$defs" || key == "dependentSchemas") && v.is_object()) {
            out[key] = transform_schema_map(v.get_object());
        } else if ((key == "allOf" || key == "anyOf" || key == "oneOf" || key == "items" || key == "prefixItems") && v.is_array()) {
            out[key] = transform_schema_list(v.get_array());
        } else if (key == "items" || key == "additionalItems" || key == "additionalProperties" ||
                   key == "not" || key == "if" || key == "then" || key == "else" ||
                   key == "contains" || key == "propertyNames") {
            out[key] = transform_schema(v);
        } else {
            out[key] = v;
        }
    }
    return out;
}

// JSON Schema (draft 6+) counts 1.0 as an integer; valijson's strict mode does not, and it
// treats uint64 values as non-integers. Validate a copy where whole doubles are int64 and
// huge unsigned values saturate (they then fail `maximum` with the right message).
json::value normalize_numbers(const json::value& in) {  // NOLINT(misc-no-recursion)
    switch (in.kind()) {
        case json::kind::double_: {
            const double d = in.get_double();
            constexpr double lo = -9.2233720368547748e18;  // -2^63
            if (d >= lo && d < -lo && d == static_cast<double>(static_cast<std::int64_t>(d))) {
                return static_cast<std::int64_t>(d);
            }
            return in;
        }
        case json::kind::uint64:
            if (in.get_uint64() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return std::numeric_limits<std::int64_t>::max();
            }
            return static_cast<std::int64_t>(in.get_uint64());
        case json::kind::array: {
            json::array out;
            for (const auto& v : in.get_array()) {
                out.push_back(normalize_numbers(v));
            }
            return out;
        }
        case json::kind::object: {
            json::object out;
            for (const auto& [k, v] : in.get_object()) {
                out[k] = normalize_numbers(v);
            }
            return out;
        }
        default:
            return in;
    }
}

std::string escape_pointer_token(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string json_text(const json::value& v) {
    if (v.is_string()) {
        return std::string(v.get_string());
    }
    return json::serialize(v);
}

// How useful an error is at its path; one error per path survives (the highest).
enum class rank : int {
    wrapper = 1,  // "Failed to validate against ..." around a more precise error
    other = 2,
    type = 3,
    constraint = 4,
    required = 5,
    unknown_field = 6,
};

struct raw_error {
    std::string path;
    std::string message;
    rank level = rank::other;
};

}  // namespace

struct schema_validator::impl {
    json::value root;  // {"components": {"schemas": <transformed>}}: what "#/..." refs resolve in
    std::map<std::string, std::unique_ptr<valijson::Schema>, std::less<>> compiled;

    // Follows "$ref": "#/..." chains within the document (bounded: a ref cycle is a defect).
    const json::object* resolve(const json::value* s) const {
        for (int hops = 0; s != nullptr && s->is_object() && hops < 32; ++hops) {
            const auto* ref = s->get_object().if_contains("$ref");
            if (ref == nullptr || !ref->is_string()) {
                return &s->get_object();
            }
            std::string_view r = ref->get_string();
            if (!starts_with(r, "#")) {
                return nullptr;
            }
            boost::system::error_code ec;
            s = root.find_pointer(r.substr(1), ec);
        }
        return nullptr;
    }

    // The subschema that applies to one step into an object member or array element.
    const json::object* child(const json::object* s, std::string_view member, bool is_index) const {
        if (s == nullptr) {
            return nullptr;
        }
        if (is_index) {
            const auto* items = s->if_contains("items");
            return items != nullptr ? resolve(items) : nullptr;
        }
        if (const auto* props = s->if_contains("properties");
            props != nullptr && props->is_object()) {
            if (const auto* p = props->get_object().if_contains(member)) {
                return resolve(p);
            }
        }
        if (const auto* extra = s->if_contains("additionalProperties"); extra != nullptr) {
            return resolve(extra);
        }
        return nullptr;
    }

    static std::string type_message(const json::object* s) {
        static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> names{{
            {"string", "a string"},
            {"integer", "an integer"},
            {"number", "a number"},
            {"boolean", "a boolean"},
            {"object", "an object"},
            {"array", "an array"},
            {"null", "null"},
        }};
        auto name_of = [](std::string_view t) -> std::string {
            for (const auto& [k, v] : names) {
                if (k == t) {
                    return std::string(v);
                }
            }
            return std::string(t);
        };
        const json::value* t = s != nullptr ? s->if_contains("type") : nullptr;
        if (t != nullptr && t->is_string()) {
            return "must be " + name_of(t->get_string());
        }
        if (t != nullptr && t->is_array() && !t->get_array().empty()) {
            std::string out = "must be ";
            const auto& arr = t->get_array();
            for (std::size_t i = 0; i < arr.size(); ++i) {
                if (i > 0) {
                    out += i + 1 == arr.size() ? " or " : ", ";
                }
                out += arr[i].is_string() ? name_of(arr[i].get_string()) : json_text(arr[i]);
            }
            return out;
        }
        return "has the wrong type";
    }

    static std::string keyword_text(const json::object* s, std::string_view keyword) {
        const json::value* v = s != nullptr ? s->if_contains(keyword) : nullptr;
        return v != nullptr ? json_text(*v) : std::string("?");
    }

    // valijson's description -> our message, worded from the schema where it has the numbers.
    // A table keyed by the start of valijson's wording (valijson 1.0, validation_visitor.hpp).
    static raw_error translate(
        const std::string& path, const std::string& d, const json::object* s
    ) {
        if (starts_with(d, "Missing required property '")) {
            constexpr std::string_view prefix = "Missing required property '";
            std::string name = d.substr(prefix.size());
            if (auto q = name.rfind('\''); q != std::string::npos) {
                name.resize(q);
            }
            return {path + "/" + escape_pointer_token(name), "is required", rank::required};
        }
        using wording = std::string (*)(const json::object*);
        struct rule {
            std::string_view prefix;
            rank level;
            wording message;
        };
        static const std::array<rule, 20> rules{{
            {"Target should not validate against schema specified in 'not'",
             rank::unknown_field,
             [](const json::object*) { return std::string("is not a known field"); }},
            {"Value type not permitted", rank::type, &type_message},
            {"String should be no more than",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be at most " + keyword_text(sub, "maxLength") + " characters";
             }},
            {"String should be no fewer than",
             rank::constraint,
             [](const json::object* sub) {
                 auto n = keyword_text(sub, "minLength");
                 return n == "1" ? std::string("must not be empty")
                                 : "must be at least " + n + " characters";
             }},
            {"Expected number less than or equal to",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be at most " + keyword_text(sub, "maximum");
             }},
            {"Expected number less than",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be less than " + keyword_text(sub, "exclusiveMaximum");
             }},
            {"Expected number greater than or equal to",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be at least " + keyword_text(sub, "minimum");
             }},
            {"Expected number greater than",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be greater than " + keyword_text(sub, "exclusiveMinimum");
             }},
            {"Failed to match against any enum values", rank::constraint, &enum_message},
            {"Failed to match expected value set by 'const'",
             rank::constraint,
             [](const json::object* sub) { return "must be " + keyword_text(sub, "const"); }},
            {"Failed to match regex",
             rank::constraint,
             [](const json::object*) { return std::string("has an invalid format"); }},
            {"Array should contain no more than",
             rank::constraint,
             [](const json::object* sub) {
                 return "must have at most " + keyword_text(sub, "maxItems") + " items";
             }},
            {"Array should contain no fewer than",
             rank::constraint,
             [](const json::object* sub) {
                 return "must have at least " + keyword_text(sub, "minItems") + " items";
             }},
            {"Elements at indexes",
             rank::constraint,
             [](const json::object*) { return std::string("must not contain duplicates"); }},
            {"Value should be a multiple of",
             rank::constraint,
             [](const json::object* sub) {
                 return "must be a multiple of " + keyword_text(sub, "multipleOf");
             }},
            {"Object should have no more than",
             rank::constraint,
             [](const json::object*) { return std::string("has too many members"); }},
            {"Object should have no fewer than",
             rank::constraint,
             [](const json::object*) { return std::string("has too few members"); }},
            // Echoes of a nested failure ("... associated with property name", "... item #n",
            // anyOf/oneOf/allOf, additional properties): the nested error says more.
            {"Failed to validate",
             rank::wrapper,
             [](const json::object*) { return std::string("is invalid"); }},
            {"Cannot validate",
             rank::wrapper,
             [](const json::object*) { return std::string("is invalid"); }},
            {"", rank::other, [](const json::object*) { return std::string("is invalid"); }},
        }};
        for (const auto& r : rules) {
            if (starts_with(d, r.prefix)) {
                return {path, r.message(s), r.level};
            }
        }
        return {path, "is invalid", rank::other};
    }

    static std::string enum_message(const json::object* s) {
        std::string out = "must be one of ";
        const json::value* e = s != nullptr ? s->if_contains("enum") : nullptr;
        if (e != nullptr && e->is_array()) {
            bool first = true;
            for (const auto& v : e->get_array()) {
                if (!first) {
                    out += ", ";
                }
                out += json_text(v);
                first = false;
            }
        }
        return out;
    }

    // valijson context: {"<root>", "[member]", "[0]", ...} -> JSON pointer and the subschema.
    raw_error convert(
        const valijson::ValidationResults::Error& e,
        const json::value& body,
        const json::object* top
    ) const {
        std::string path;
        const json::value* at = &body;
        const json::object* s = top;
        for (std::size_t i = 1; i < e.context.size(); ++i) {
            std::string_view seg = e.context[i];
            if (seg.size() >= 2 && seg.front() == '[' && seg.back() == ']') {
                seg = seg.substr(1, seg.size() - 2);
            }
            const bool is_index = at != nullptr && at->is_array();
            s = child(s, seg, is_index);
            if (at != nullptr && at->is_object()) {
                at = at->get_object().if_contains(seg);
            } else if (is_index) {
                std::size_t idx = 0;
                for (char c : seg) {
                    idx = idx * 10 + static_cast<std::size_t>(c - '0');
                }
                at = idx < at->get_array().size() ? &at->get_array()[idx] : nullptr;
            } else {
                at = nullptr;
            }
            path += "/" + escape_pointer_token(seg);
        }
        return translate(path, e.description, s);
    }
};

schema_validator::schema_validator(const json::value& openapi) : impl_(std::make_unique<impl>()) {
    const json::value* schemas = nullptr;
    if (openapi.is_object()) {
        if (const auto* comps = openapi.get_object().if_contains("components");
            comps != nullptr && comps->is_object()) {
            schemas = comps->get_object().if_contains("schemas");
        }
    }
    if (schemas == nullptr || !schemas->is_object()) {
        throw std::runtime_error("openapi document has no components/schemas object");
    }
    const json::object transformed = transform_schema_map(schemas->get_object());
    impl_->root = json::object{{"components", json::object{{"schemas", transformed}}}};
    for (const auto& [name, sub] : transformed) {
        (void)sub;
        // Each schema is compiled from a document whose root refers to it, so "#/components/..."
        // refs inside it resolve against the same tree.
        json::value doc = impl_->root;
        doc.get_object()["$ref"] = "#/components/schemas/" + std::string(name);
        auto compiled = std::make_unique<valijson::Schema>();
        try {
            valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
            parser.populateSchema(valijson::adapters::BoostJsonAdapter(doc), *compiled);
        } catch (const std::exception& ex) {
            throw std::runtime_error(
                "openapi schema " + std::string(name) + " cannot be compiled: " + ex.what()
            );
        }
        impl_->compiled.emplace(std::string(name), std::move(compiled));
    }
}

schema_validator::~schema_validator() = default;

domain::field_errors schema_validator::validate(
    std::string_view schema_name, const json::value& body
) const {
    auto it = impl_->compiled.find(schema_name);
    if (it == impl_->compiled.end()) {
        throw std::out_of_range("unknown schema " + std::string(schema_name));
    }
    const json::value normalized = normalize_numbers(body);
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    if (validator.validate(
            *it->second, valijson::adapters::BoostJsonAdapter(normalized), &results
        )) {
        return {};
    }
    json::value top_ref =
        json::object{{"$ref", "#/components/schemas/" + std::string(schema_name)}};
    const json::object* top = impl_->resolve(&top_ref);

    std::vector<raw_error> raw;
    for (const auto& e : results) {
        raw.push_back(impl_->convert(e, normalized, top));
    }

    // One error per path, the most useful one; a wrapper or a type error at a path with errors
    // below it (valijson's echo of a nested failure, or an anyOf branch that did not apply)
    // says nothing more.
    auto has_errors_below = [&raw](const std::string& p) {
        const std::string prefix = p + "/";
        return std::any_of(raw.begin(), raw.end(), [&](const raw_error& r) {
            return starts_with(r.path, prefix);
        });
    };
    std::vector<raw_error> kept;
    for (const auto& r : raw) {
        if (r.level <= rank::type && has_errors_below(r.path)) {
            continue;
        }
        auto same = std::find_if(kept.begin(), kept.end(), [&](const raw_error& k) {
            return k.path == r.path;
        });
        if (same == kept.end()) {
            kept.push_back(r);
        } else if (r.level > same->level) {
            *same = r;
        }
    }
    // valijson's order follows its internal maps; sorted paths are at least predictable.
    std::stable_sort(kept.begin(), kept.end(), [](const raw_error& a, const raw_error& b) {
        return a.path < b.path;
    });
    domain::field_errors out;
    out.reserve(kept.size());
    for (auto& k : kept) {
        out.push_back({std::move(k.path), std::move(k.message)});
    }
    return out;
}

const schema_validator& schema_validator::embedded() {
    static const schema_validator instance(json::parse(openapi_document()));
    return instance;
}

}  // namespace ptool::http
