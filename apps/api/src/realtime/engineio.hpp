#pragma once
// Engine.IO protocol v4 codec: packets, HTTP long-polling payloads and the open handshake.
// Pure functions, no I/O; safe to call from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptool::realtime {

// The wire digit is the enumerator's value ('0' open ... '6' noop).
enum class eio_packet_type { open, close, ping, pong, message, upgrade, noop };

// One Engine.IO packet. `binary` is meaningful only for `message`: `data` then holds raw bytes
// (sent as a WebSocket binary frame, or as "b" + base64 inside a polling payload).
struct eio_packet {
    eio_packet_type type = eio_packet_type::message;
    std::string data = {};
    bool binary = false;
};

// Text form of one packet, for a WebSocket text frame or one polling payload item:
// "<digit><data>", or "b<base64(data)>" when `binary` is set (the type is then always message).
std::string encode_text(const eio_packet& packet);

// Inverse of encode_text. nullopt for an empty string, an unknown type character, or a "b"
// item whose base64 is invalid. A WebSocket binary frame is not decoded here: it is
// `eio_packet{message, bytes, true}` as is.
std::optional<eio_packet> decode_text(std::string_view text);

// Polling payload: encode_text of each packet joined by the record separator '\x1e'.
// Precondition: no text packet's data contains '\x1e' (the protocol forbids it).
std::string encode_payload(const std::vector<eio_packet>& packets);

// Splits on '\x1e' and decodes every item; nullopt if any item is invalid (including an empty
// item, so an empty payload is invalid too).
std::optional<std::vector<eio_packet>> decode_payload(std::string_view payload);

// The JSON of the open packet, keys in this order:
// {"sid":"...","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
std::string handshake_json(
    std::string_view sid,
    const std::vector<std::string>& upgrades,
    std::uint64_t ping_interval_ms,
    std::uint64_t ping_timeout_ms,
    std::uint64_t max_payload
);

// Standard base64 (RFC 4648 §4) with '=' padding.
std::string base64_encode(std::string_view bytes);

// Strict decoding of standard base64: padding may be omitted but, if present, must complete the
// last quantum; any other character (whitespace included) or a dangling 1-char quantum gives
// nullopt, as do non-zero unused bits.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ptool::realtime
