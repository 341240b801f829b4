#pragma once
// Socket.IO protocol v5 codec on top of Engine.IO messages: packet encoding and a stateful
// decoder that reassembles binary packets from their text part and binary attachments.
// Pure, no I/O.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "realtime/engineio.hpp"

namespace ptool::realtime {

// The wire digit is the enumerator's value ('0' connect ... '6' binary_ack).
enum class sio_packet_type {
    connect,
    disconnect,
    event,
    ack,
    connect_error,
    binary_event,
    binary_ack
};

// One Socket.IO packet. For binary packets `data` keeps the {"_placeholder":true,"num":N}
// objects and `attachments[N]` holds the bytes they stand for (no reconstruction).
struct sio_packet {
    sio_packet_type type = sio_packet_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id = std::nullopt;
    std::optional<boost::json::value> data = std::nullopt;
    std::vector<std::string> attachments = {};
};

// Encodes `<type>[<attachments>-][<nsp>,][<ack id>][JSON data]` as one text Engine.IO message,
// followed by one binary Engine.IO message per attachment. The namespace is omitted when "/".
// An event/ack with attachments is sent as binary_event/binary_ack; attachments on other types
// are ignored. Preconditions (not checked): `nsp` starts with '/', and `data` already holds the
// placeholders for `attachments`.
std::vector<eio_packet> encode(const sio_packet& packet);

// Why a message was rejected. After any error the decoder has dropped its pending packet; the
// caller should close the connection (the reference server does).
enum class sio_errc {
    not_a_message,      // Engine.IO packet other than message
    bad_type,           // empty text or type not '0'..'6'
    bad_attachments,    // binary type without "<digits>-", or a placeholder num out of range
    bad_id,             // ack id overflows 64 bits
    bad_json,           // data is not valid JSON (trailing text included)
    invalid_payload,    // data shape not allowed for the type (see sio_decoder)
    unexpected_binary,  // binary message with no packet awaiting attachments
    expected_binary,    // text message while a packet still awaits attachments
};

std::string_view to_string(sio_errc errc);

// Fed one Engine.IO message, the decoder still waits for binary attachments.
struct sio_need_more {};

using sio_decode_result = std::variant<sio_need_more, sio_packet, sio_errc>;

// Decodes the messages of one connection in arrival order. Payload rules (socket.io-protocol
// test-suite): connect data absent or an object; disconnect no data; event/binary_event a
// non-empty array whose first element is a string; ack/binary_ack an array, and an id;
// connect_error an object. A namespace starts with '/' and ends at ',' (or the end of the
// text); an id is decimal digits. Not thread-safe: one decoder per connection, used on its strand.
class sio_decoder {
public:
    // Takes one message (text, or a binary attachment) and returns a complete packet, a need for
    // more attachments, or an error.
    sio_decode_result feed(const eio_packet& message);

    // True between the text part of a binary packet and its last attachment.
    bool awaiting_attachments() const { return pending_.has_value(); }

    // Drops a partially received binary packet (e.g. when the transport closes).
    void reset() {
        pending_.reset();
        expected_ = 0;
    }

private:
    std::optional<sio_packet> pending_;
    std::size_t expected_ = 0;
};

}  // namespace ptool::realtime
