// Opaque list cursors. Grammar of the encoded form:
//   cursor  = base64url-nopad( json-array )      ; RFC 4648 §5 alphabet, no '=' padding
//   json-array = "[" [ json-string *( "," json-string ) ] "]"   ; as boost::json serializes it

#include "http/dto/cursor.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdint>

#include "http/auth.hpp"

namespace ptool::http::dto {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> r{};
    for (auto& v : r) v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        r[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return r;
}

constexpr auto reverse = make_reverse();

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += alphabet[n & 63U];
    }
    std::size_t rest = in.size() - i;
    if (rest == 1) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16U;
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
    } else if (rest == 2) {
        std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16U) |
                          (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8U);
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
    }
    return out;
}

// Strict: no padding, no whitespace, and the unused low bits of the last symbol must be zero,
// so every byte string has exactly one encoding.
std::optional<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (char c : in) {
        auto v = reverse[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6U) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFFU);
        }
    }
    if ((acc & ((1U << bits) - 1U)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::string encode_cursor(const std::vector<std::string>& keys) {
    boost::json::array arr;
    for (const auto& k : keys) arr.emplace_back(k);
    return base64url_encode(boost::json::serialize(arr));
}

std::optional<std::vector<std::string>> decode_cursor(std::string_view cursor) {
    if (cursor.empty() || cursor.size() > max_cursor_length) return std::nullopt;
    auto raw = base64url_decode(cursor);
    if (!raw) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*raw, ec);
    if (ec || !v.is_array()) return std::nullopt;
    std::vector<std::string> keys;
    keys.reserve(v.as_array().size());
    for (const auto& e : v.as_array()) {
        if (!e.is_string()) return std::nullopt;
        keys.emplace_back(e.as_string());
    }
    return keys;
}

page_query parse_page_query(
    std::optional<std::string_view> limit, std::optional<std::string_view> cursor
) {
    page_query q;
    if (limit && !limit->empty()) {
        int n = 0;
        auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
        bool integer = ec == std::errc() && end == limit->data() + limit->size();
        bool in_range = integer && n >= 1 && n <= max_page_limit;
        if (in_range) {
            q.limit = n;
        } else {
            q.errors.push_back({"/limit", "must be an integer from 1 to 500"});
        }
    }
    if (cursor && !cursor->empty()) {
        q.after = decode_cursor(*cursor);
        if (!q.after) q.errors.push_back({"/cursor", "is not a cursor this API returned"});
    }
    return q;
}

std::string encode_created_cursor(
    std::string_view kind, domain::instant created_at, const std::string& id
) {
    return encode_cursor({std::string(kind), domain::format_instant(created_at), id});
}

std::optional<domain::instant> created_cursor_instant(
    std::string_view kind, const std::vector<std::string>& keys
) {
    if (keys.size() != 3 || keys[0] != kind || !is_uuid(keys[2])) {
        return std::nullopt;
    }
    return domain::parse_instant(keys[1]);
}

}  // namespace ptool::http::dto
