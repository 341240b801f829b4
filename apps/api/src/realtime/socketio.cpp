// Socket.IO v5 packet codec: the text grammar plus binary-attachment reassembly, kept apart from
// connections and rooms so that conformance is unit-tested without sockets.
//
// Grammar (socketio/socket.io-protocol, v5):
//   packet      := type [attachments "-"] [nsp ","] [id] [json]
//   type        := "0".."6"              ; attachments only for 5 BINARY_EVENT, 6 BINARY_ACK
//   attachments := 1*DIGIT
//   nsp         := "/" *(any but ",")    ; absent means "/"; "," may be omitted at the end
//   id          := 1*DIGIT
//   json        := a JSON value; placeholders {"_placeholder":true,"num":N} mark attachment N,
//                  whose bytes follow as N+1-th binary Engine.IO message

#include "realtime/socketio.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <limits>

namespace ptool::realtime {

namespace json = boost::json;

namespace {

constexpr int last_type = static_cast<int>(sio_packet_type::binary_ack);

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_binary(sio_packet_type type) {
    return type == sio_packet_type::binary_event || type == sio_packet_type::binary_ack;
}

// Decimal digits to uint64; nullopt on overflow (the digits are already checked).
std::optional<std::uint64_t> parse_decimal(std::string_view digits) {
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
    return value;
}

bool payload_valid(sio_packet_type type, const std::optional<json::value>& data) {
    switch (type) {
        case sio_packet_type::connect:
            return !data || data->is_object();
        case sio_packet_type::disconnect:
            return !data;
        case sio_packet_type::event:
        case sio_packet_type::binary_event:
            return data && data->is_array() && !data->as_array().empty() &&
                   data->as_array().front().is_string();
        case sio_packet_type::ack:
        case sio_packet_type::binary_ack:
            return data && data->is_array();
        case sio_packet_type::connect_error:
            return data && data->is_object();
    }
    return false;
}

// Every placeholder must name an attachment that will arrive; otherwise a consumer
// reconstructing the data would index out of range.
bool placeholders_in_range(const json::value& v, std::size_t count) {
    if (v.is_array()) {
        for (const auto& e : v.as_array()) {
            if (!placeholders_in_range(e, count)) return false;
        }
        return true;
    }
    if (!v.is_object()) return true;
    const auto& obj = v.as_object();
    const auto* flag = obj.if_contains("_placeholder");
    if (flag != nullptr && flag->is_bool() && flag->get_bool()) {
        const auto* num = obj.if_contains("num");
        if (num == nullptr) return false;
        if (num->is_uint64()) return num->get_uint64() < count;
        if (num->is_int64())
            return num->get_int64() >= 0 && static_cast<std::uint64_t>(num->get_int64()) < count;
        return false;
    }
    for (const auto& entry : obj) {
        if (!placeholders_in_range(entry.value(), count)) return false;
    }
    return true;
}

struct parsed_text {
    sio_packet packet = {};
    std::size_t attachments = 0;
};

std::variant<parsed_text, sio_errc> parse_text(std::string_view text) {
    parsed_text out;
    if (text.empty() || text.front() < '0' || text.front() > '0' + last_type) {
        return sio_errc::bad_type;
    }
    out.packet.type = static_cast<sio_packet_type>(text.front() - '0');
    text.remove_prefix(1);

    if (is_binary(out.packet.type)) {
        std::size_t n = 0;
        while (n < text.size() && is_digit(text[n])) ++n;
        if (n == 0 || n == text.size() || text[n] != '-') return sio_errc::bad_attachments;
        const auto count = parse_decimal(text.substr(0, n));
        // More attachments than fit in memory is no real packet; cap keeps size_t conversion safe.
        if (!count || *count > std::numeric_limits<std::uint32_t>::max()) {
            return sio_errc::bad_attachments;
        }
        out.attachments = static_cast<std::size_t>(*count);
        text.remove_prefix(n + 1);
    }

    if (!text.empty() && text.front() == '/') {
        const auto comma = text.find(',');
        out.packet.nsp = std::string(text.substr(0, comma));
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }

    std::size_t n = 0;
    while (n < text.size() && is_digit(text[n])) ++n;
    if (n > 0) {
        out.packet.id = parse_decimal(text.substr(0, n));
        if (!out.packet.id) return sio_errc::bad_id;
        text.remove_prefix(n);
    }

    if (!text.empty()) {
        boost::system::error_code ec;
        auto value = json::parse(text, ec);
        if (ec) return sio_errc::bad_json;
        out.packet.data = std::move(value);
    }

    if (!payload_valid(out.packet.type, out.packet.data)) return sio_errc::invalid_payload;
    const bool is_ack =
        out.packet.type == sio_packet_type::ack || out.packet.type == sio_packet_type::binary_ack;
    if (is_ack && !out.packet.id) return sio_errc::invalid_payload;
    if (is_binary(out.packet.type) && !placeholders_in_range(*out.packet.data, out.attachments)) {
        return sio_errc::bad_attachments;
    }
    return out;
}

}  // namespace

std::string_view to_string(sio_errc errc) {
    switch (errc) {
        case sio_errc::not_a_message:
            return "not_a_message";
        case sio_errc::bad_type:
            return "bad_type";
        case sio_errc::bad_attachments:
            return "bad_attachments";
        case sio_errc::bad_id:
            return "bad_id";
        case sio_errc::bad_json:
            return "bad_json";
        case sio_errc::invalid_payload:
            return "invalid_payload";
        case sio_errc::unexpected_binary:
            return "unexpected_binary";
        case sio_errc::expected_binary:
            return "expected_binary";
    }
    return "unknown";
}

std::vector<eio_packet> encode(const sio_packet& packet) {
    auto type = packet.type;
    const bool with_attachments = !packet.attachments.empty();
    if (with_attachments && type == sio_packet_type::event) type = sio_packet_type::binary_event;
    if (with_attachments && type == sio_packet_type::ack) type = sio_packet_type::binary_ack;

    std::string text;
    text += static_cast<char>('0' + static_cast<int>(type));
    if (is_binary(type)) {
        text += std::to_string(packet.attachments.size());
        text += '-';
    }
    if (packet.nsp != "/") {
        text += packet.nsp;
        text += ',';
    }
    if (packet.id) text += std::to_string(*packet.id);
    if (packet.data) text += json::serialize(*packet.data);

    std::vector<eio_packet> out;
    out.push_back(eio_packet{eio_packet_type::message, std::move(text), false});
    if (is_binary(type)) {
        for (const auto& bytes : packet.attachments) {
            out.push_back(eio_packet{eio_packet_type::message, bytes, true});
        }
    }
    return out;
}

sio_decode_result sio_decoder::feed(const eio_packet& message) {
    if (message.type != eio_packet_type::message) {
        reset();
        return sio_errc::not_a_message;
    }
    if (message.binary) {
        if (!pending_) return sio_errc::unexpected_binary;
        pending_->attachments.push_back(message.data);
        if (pending_->attachments.size() < expected_) return sio_need_more{};
        sio_packet done = std::move(*pending_);
        reset();
        return done;
    }
    if (pending_) {
        reset();
        return sio_errc::expected_binary;
    }
    auto parsed = parse_text(message.data);
    if (const auto* errc = std::get_if<sio_errc>(&parsed)) return *errc;
    auto& text = std::get<parsed_text>(parsed);
    if (text.attachments == 0) return std::move(text.packet);
    expected_ = text.attachments;
    pending_ = std::move(text.packet);
    return sio_need_more{};
}

}  // namespace ptool::realtime
