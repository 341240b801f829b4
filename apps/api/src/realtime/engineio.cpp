// Engine.IO v4 framing shared by the polling and WebSocket transports, so both apply the same
// packet rules; sockets, timers and sessions live elsewhere in realtime/.
//
// Grammar (socketio/engine.io-protocol, v4):
//   packet  := type-digit data | "b" base64        ; type-digit '0'..'6', "b" = binary message
//   payload := packet *( %x1E packet )             ; HTTP long-polling body

#include "realtime/engineio.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ptool::realtime {

namespace json = boost::json;

namespace {

constexpr char record_separator = '\x1e';
constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int last_type = static_cast<int>(eio_packet_type::noop);

// -1 for characters outside the alphabet ('=' included; padding is handled by the caller).
constexpr std::array<int, 256> make_base64_table() {
    std::array<int, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i) {
        table[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<int>(i);
    }
    return table;
}

constexpr std::array<int, 256> base64_table = make_base64_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n =
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += base64_alphabet[(n >> 18U) & 63U];
        out += base64_alphabet[(n >> 12U) & 63U];
        out += base64_alphabet[(n >> 6U) & 63U];
        out += base64_alphabet[n & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        out += base64_alphabet[(n >> 18U) & 63U];
        out += base64_alphabet[(n >> 12U) & 63U];
        out += "==";
    } else if (rest == 2) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U);
        out += base64_alphabet[(n >> 18U) & 63U];
        out += base64_alphabet[(n >> 12U) & 63U];
        out += base64_alphabet[(n >> 6U) & 63U];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 == 0 && !text.empty()) {
        // Up to two '=' may end a complete quantum; strip them and decode the short tail.
        std::size_t pad = 0;
        while (pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
        text.remove_suffix(pad);
    }
    if (text.size() % 4 == 1) return std::nullopt;

    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    std::size_t bits = 0;
    for (const char c : text) {
        const int v = base64_table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = ((acc << 6U) | static_cast<std::uint32_t>(v)) & 0xFFFFFFU;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFFU);
        }
    }
    // Leftover bits must be zero, or two encodings would decode to the same bytes.
    if ((acc & ((1U << bits) - 1U)) != 0) return std::nullopt;
    return out;
}

std::string encode_text(const eio_packet& packet) {
    if (packet.binary) return "b" + base64_encode(packet.data);
    std::string out;
    out.reserve(1 + packet.data.size());
    out += static_cast<char>('0' + static_cast<int>(packet.type));
    out += packet.data;
    return out;
}

std::optional<eio_packet> decode_text(std::string_view text) {
    if (text.empty()) return std::nullopt;
    const char head = text.front();
    text.remove_prefix(1);
    if (head == 'b') {
        auto bytes = base64_decode(text);
        if (!bytes) return std::nullopt;
        return eio_packet{eio_packet_type::message, std::move(*bytes), true};
    }
    if (head < '0' || head > '0' + last_type) return std::nullopt;
    return eio_packet{static_cast<eio_packet_type>(head - '0'), std::string(text), false};
}

std::string encode_payload(const std::vector<eio_packet>& packets) {
    std::string out;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        if (i > 0) out += record_separator;
        out += encode_text(packets[i]);
    }
    return out;
}

std::optional<std::vector<eio_packet>> decode_payload(std::string_view payload) {
    std::vector<eio_packet> packets;
    while (true) {
        const auto end = payload.find(record_separator);
        auto packet = decode_text(payload.substr(0, end));
        if (!packet) return std::nullopt;
        packets.push_back(std::move(*packet));
        if (end == std::string_view::npos) break;
        payload.remove_prefix(end + 1);
    }
    return packets;
}

std::string handshake_json(
    std::string_view sid,
    const std::vector<std::string>& upgrades,
    std::uint64_t ping_interval_ms,
    std::uint64_t ping_timeout_ms,
    std::uint64_t max_payload
) {
    // json::object keeps insertion order, which is the order clients and the docs show.
    json::array upgrade_list;
    for (const auto& u : upgrades) upgrade_list.emplace_back(u);
    json::object open;
    open["sid"] = sid;
    open["upgrades"] = std::move(upgrade_list);
    open["pingInterval"] = ping_interval_ms;
    open["pingTimeout"] = ping_timeout_ms;
    open["maxPayload"] = max_payload;
    return json::serialize(open);
}

}  // namespace ptool::realtime
