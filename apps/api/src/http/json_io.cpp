// Body decoding shared by all handlers, so every route applies the same 415/400/422 rules.

#include "http/json_io.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ptool::http {

namespace bhttp = boost::beast::http;

namespace {

// The media type without parameters, lower-cased: "application/json; charset=utf-8" -> "application/json".
std::string media_type(const request& req) {
    auto it = req.find(bhttp::field::content_type);
    if (it == req.end()) return {};
    std::string_view v = it->value();
    auto semi = v.find(';');
    if (semi != std::string_view::npos) v = v.substr(0, semi);
    std::string out;
    for (char c : v) {
        if (c != ' ' && c != '\t') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::variant<boost::json::object, problem> read_json_body(const request& req, body_kind kind) {
    const auto& body = req.body();
    auto type = media_type(req);
    if (kind == body_kind::optional_object && body.find_first_not_of(" \t\r\n") == std::string::npos &&
        (type.empty() || type == "application/json")) {
        return boost::json::object{};
    }
    bool accepted = type == "application/json" ||
                    (kind == body_kind::merge_patch && type == "application/merge-patch+json");
    if (!accepted) {
        return unsupported_media_type(
            kind == body_kind::merge_patch
                ? "The body must be application/json or application/merge-patch+json."
                : "The body must be application/json."
        );
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) {
        return malformed_json("The body is not valid JSON: " + ec.message() + ".");
    }
    if (!v.is_object()) {
        return validation_failed({{"", "The body must be a JSON object."}});
    }
    return std::move(v.as_object());
}

response json_response(bhttp::status status, const boost::json::value& body, const request& req) {
    return json_text_response(status, boost::json::serialize(body), req);
}

response json_text_response(bhttp::status status, std::string body, const request& req) {
    response res{status, req.version()};
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace ptool::http
