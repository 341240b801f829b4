#include "realtime/socketio.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ptool::realtime {
namespace {

namespace json = boost::json;
using type = sio_packet_type;

eio_packet text(std::string s) { return eio_packet{eio_packet_type::message, std::move(s), false}; }
eio_packet bytes(std::string s) { return eio_packet{eio_packet_type::message, std::move(s), true}; }

// Decodes a single text message that must complete a packet.
sio_packet decode_one(const std::string& s) {
    sio_decoder decoder;
    auto result = decoder.feed(text(s));
    if (const auto* errc = std::get_if<sio_errc>(&result)) {
        ADD_FAILURE() << s << ": " << to_string(*errc);
        return {};
    }
    EXPECT_TRUE(std::holds_alternative<sio_packet>(result)) << s;
    return std::holds_alternative<sio_packet>(result) ? std::get<sio_packet>(result) : sio_packet{};
}

std::optional<sio_errc> error_of(const std::string& s) {
    sio_decoder decoder;
    auto result = decoder.feed(text(s));
    if (const auto* errc = std::get_if<sio_errc>(&result)) return *errc;
    return std::nullopt;
}

std::string data_of(const sio_packet& p) { return p.data ? json::serialize(*p.data) : "<none>"; }

std::string encode_text_only(const sio_packet& p) {
    const auto out = encode(p);
    EXPECT_EQ(out.size(), 1U);
    return out.front().data;
}

// Every README example: decoded fields, then encoded back to the same string.
struct example {
    std::string wire;
    type t = type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id = std::nullopt;
    std::string data = "<none>";
};

TEST(SocketioCodec, ReadmeExamplesDecodeAndRoundTrip) {
    const example examples[] = {
        {"0", type::connect, "/", std::nullopt, "<none>"},
        {"0/admin,", type::connect, "/admin", std::nullopt, "<none>"},
        {R"(0/admin,{"token":"123"})", type::connect, "/admin", std::nullopt, R"({"token":"123"})"},
        {R"(0{"sid":"oSO0OpakMV_3jnilAAAA"})",
         type::connect,
         "/",
         std::nullopt,
         R"({"sid":"oSO0OpakMV_3jnilAAAA"})"},
        {"1/admin,", type::disconnect, "/admin", std::nullopt, "<none>"},
        {R"(2["hello",1])", type::event, "/", std::nullopt, R"(["hello",1])"},
        {R"(2/admin,456["project:delete",123])",
         type::event,
         "/admin",
         456,
         R"(["project:delete",123])"},
        {R"(2/admin,["hello"])", type::event, "/admin", std::nullopt, R"(["hello"])"},
        {"3/admin,456[]", type::ack, "/admin", 456, "[]"},
        {"312[]", type::ack, "/", 12, "[]"},
        {R"(4{"message":"Not authorized"})",
         type::connect_error,
         "/",
         std::nullopt,
         R"({"message":"Not authorized"})"},
        {R"(4/admin,{"message":"Not authorized"})",
         type::connect_error,
         "/admin",
         std::nullopt,
         R"({"message":"Not authorized"})"},
    };
    for (const auto& ex : examples) {
        SCOPED_TRACE(ex.wire);
        const auto p = decode_one(ex.wire);
        EXPECT_EQ(p.type, ex.t);
        EXPECT_EQ(p.nsp, ex.nsp);
        EXPECT_EQ(p.id, ex.id);
        EXPECT_EQ(data_of(p), ex.data);
        EXPECT_TRUE(p.attachments.empty());
        EXPECT_EQ(encode_text_only(p), ex.wire);
    }
}

// The README's Engine.IO-framed strings: the first "4" is the Engine.IO message type.
TEST(SocketioCodec, DecodesEngineioFramedExamples) {
    const std::pair<std::string, type> cases[] = {
        {R"(44{"message":"Not authorized"})", type::connect_error},
        {R"(40{"sid":"oSO0OpakMV_3jnilAAAA"})", type::connect},
        {R"(42["hello",1])", type::event},
        {"43/admin,456[]", type::ack},
    };
    for (const auto& [wire, expected] : cases) {
        SCOPED_TRACE(wire);
        const auto message = decode_text(wire);
        ASSERT_TRUE(message);
        EXPECT_EQ(message->type, eio_packet_type::message);
        sio_decoder decoder;
        auto result = decoder.feed(*message);
        ASSERT_TRUE(std::holds_alternative<sio_packet>(result));
        const auto& p = std::get<sio_packet>(result);
        EXPECT_EQ(p.type, expected);
        EXPECT_FALSE(expected == type::connect_error && p.id) << "4 must not be read as an ack id";
        EXPECT_EQ(encode_text(encode(p).front()), wire);
    }
}

TEST(SocketioCodec, EncodesBuiltPackets) {
    sio_packet event;
    event.data = json::parse(R"(["hello",1])");
    EXPECT_EQ(encode_text_only(event), R"(2["hello",1])");

    sio_packet ack{type::ack, "/admin", 456, json::array{}, {}};
    EXPECT_EQ(encode_text_only(ack), "3/admin,456[]");

    sio_packet connect{type::connect, "/", std::nullopt, std::nullopt, {}};
    EXPECT_EQ(encode_text_only(connect), "0");
}

TEST(SocketioBinary, EncodesBinaryEventWithAttachments) {
    sio_packet p{
        type::event,
        "/",
        std::nullopt,
        json::parse(R"(["hello",{"_placeholder":true,"num":0}])"),
        {std::string("\x01\x02\x03", 3)},
    };
    const auto out = encode(p);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].data, R"(51-["hello",{"_placeholder":true,"num":0}])");
    // As the README shows it on the wire: Engine.IO message prefix "4", then a binary frame.
    EXPECT_EQ(encode_text(out[0]), R"(451-["hello",{"_placeholder":true,"num":0}])");
    EXPECT_FALSE(out[0].binary);
    EXPECT_TRUE(out[1].binary);
    EXPECT_EQ(out[1].data, std::string("\x01\x02\x03", 3));
    EXPECT_EQ(encode_text(out[1]), "bAQID");
}

TEST(SocketioBinary, EncodesBinaryAckWithNamespace) {
    sio_packet p{
        type::binary_ack,
        "/admin",
        456,
        json::parse(R"([{"_placeholder":true,"num":0}])"),
        {std::string("\x01\x02\x03", 3)},
    };
    const auto out = encode(p);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].data, R"(61-/admin,456[{"_placeholder":true,"num":0}])");
}

TEST(SocketioBinary, DecodesReadmeBinaryEvent) {
    sio_decoder decoder;
    // Engine.IO framed, as in the README: "4" (message) + "51-..." (BINARY_EVENT).
    const auto framed = decode_text(R"(451-["hello",{"_placeholder":true,"num":0}])");
    ASSERT_TRUE(framed);
    auto first = decoder.feed(*framed);
    EXPECT_TRUE(std::holds_alternative<sio_need_more>(first));
    EXPECT_TRUE(decoder.awaiting_attachments());
    auto second = decoder.feed(bytes(std::string("\x01\x02\x03", 3)));
    ASSERT_TRUE(std::holds_alternative<sio_packet>(second));
    const auto& p = std::get<sio_packet>(second);
    EXPECT_EQ(p.type, type::binary_event);
    EXPECT_EQ(p.nsp, "/");
    EXPECT_FALSE(p.id);
    EXPECT_EQ(data_of(p), R"(["hello",{"_placeholder":true,"num":0}])");
    ASSERT_EQ(p.attachments.size(), 1U);
    EXPECT_EQ(p.attachments[0], std::string("\x01\x02\x03", 3));
    EXPECT_FALSE(decoder.awaiting_attachments());
}

TEST(SocketioBinary, DecodesMultipleAttachmentsThenNextPacket) {
    sio_decoder decoder;
    EXPECT_TRUE(std::holds_alternative<sio_need_more>(decoder.feed(
        text(R"(62-/admin,7[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])")
    )));
    EXPECT_TRUE(std::holds_alternative<sio_need_more>(decoder.feed(bytes("a"))));
    auto done = decoder.feed(bytes("b"));
    ASSERT_TRUE(std::holds_alternative<sio_packet>(done));
    const auto& p = std::get<sio_packet>(done);
    EXPECT_EQ(p.type, type::binary_ack);
    EXPECT_EQ(p.nsp, "/admin");
    EXPECT_EQ(p.id, 7U);
    EXPECT_EQ(p.attachments, (std::vector<std::string>{"a", "b"}));

    // Round trip through the encoder and the decoder.
    sio_decoder again;
    sio_decode_result last = sio_need_more{};
    for (const auto& m : encode(p)) last = again.feed(m);
    ASSERT_TRUE(std::holds_alternative<sio_packet>(last));
    EXPECT_EQ(std::get<sio_packet>(last).attachments, p.attachments);
    EXPECT_EQ(data_of(std::get<sio_packet>(last)), data_of(p));

    EXPECT_TRUE(std::holds_alternative<sio_packet>(decoder.feed(text(R"(2["next"])"))));
}

TEST(SocketioBinary, ZeroAttachmentsCompletesAtOnce) {
    sio_decoder decoder;
    EXPECT_TRUE(std::holds_alternative<sio_packet>(decoder.feed(text(R"(50-["x"])"))));
}

TEST(SocketioBinary, AttachmentSequencingErrors) {
    {
        sio_decoder decoder;
        EXPECT_EQ(std::get<sio_errc>(decoder.feed(bytes("x"))), sio_errc::unexpected_binary);
    }
    {
        // Too few attachments: the next text arrives while one is still missing.
        sio_decoder decoder;
        decoder.feed(text(R"(52-["a",{"_placeholder":true,"num":0}])"));
        decoder.feed(bytes("1"));
        EXPECT_EQ(std::get<sio_errc>(decoder.feed(text(R"(2["b"])"))), sio_errc::expected_binary);
        EXPECT_FALSE(decoder.awaiting_attachments());
    }
    {
        // Too many attachments.
        sio_decoder decoder;
        decoder.feed(text(R"(51-["a",{"_placeholder":true,"num":0}])"));
        EXPECT_TRUE(std::holds_alternative<sio_packet>(decoder.feed(bytes("1"))));
        EXPECT_EQ(std::get<sio_errc>(decoder.feed(bytes("2"))), sio_errc::unexpected_binary);
    }
    {
        sio_decoder decoder;
        EXPECT_EQ(
            std::get<sio_errc>(decoder.feed(eio_packet{eio_packet_type::ping, "", false})),
            sio_errc::not_a_message
        );
    }
}

TEST(SocketioDecode, RejectsMalformed) {
    const std::pair<std::string, sio_errc> cases[] = {
        {"", sio_errc::bad_type},
        {"7", sio_errc::bad_type},
        {"a", sio_errc::bad_type},
        {"/admin,", sio_errc::bad_type},
        // Attachment header.
        {R"(5["a"])", sio_errc::bad_attachments},
        {R"(5-["a"])", sio_errc::bad_attachments},
        {"51", sio_errc::bad_attachments},
        {R"(5a-["a"])", sio_errc::bad_attachments},
        {R"(51-["a",{"_placeholder":true,"num":1}])", sio_errc::bad_attachments},
        {R"(51-["a",{"_placeholder":true}])", sio_errc::bad_attachments},
        // JSON and namespace.
        {R"(2["hello")", sio_errc::bad_json},
        {R"(2["a"]x)", sio_errc::bad_json},
        {R"(2admin,["a"])", sio_errc::bad_json},
        {"2/admin,x", sio_errc::bad_json},
        {"299999999999999999999999[\"a\"]", sio_errc::bad_id},
        // Payload shape per type (socket.io-protocol test-suite).
        {"0[]", sio_errc::invalid_payload},
        {R"(0"a")", sio_errc::invalid_payload},
        {"1{}", sio_errc::invalid_payload},
        {"2", sio_errc::invalid_payload},
        {"2{}", sio_errc::invalid_payload},
        {"2[]", sio_errc::invalid_payload},
        {"2[1]", sio_errc::invalid_payload},
        {R"(2"hello")", sio_errc::invalid_payload},
        {"31{}", sio_errc::invalid_payload},
        {"3[]", sio_errc::invalid_payload},
        {"31", sio_errc::invalid_payload},
        {"4", sio_errc::invalid_payload},
        {"4[]", sio_errc::invalid_payload},
        {R"(50-[])", sio_errc::invalid_payload},
        {"60-{}", sio_errc::invalid_payload},
    };
    for (const auto& [wire, expected] : cases) {
        const auto got = error_of(wire);
        ASSERT_TRUE(got) << wire;
        EXPECT_EQ(*got, expected) << wire << " gave " << to_string(*got);
    }
}

TEST(SocketioDecode, ErrorDropsPendingPacket) {
    sio_decoder decoder;
    decoder.feed(text(R"(51-["a",{"_placeholder":true,"num":0}])"));
    decoder.reset();
    EXPECT_EQ(std::get<sio_errc>(decoder.feed(bytes("x"))), sio_errc::unexpected_binary);
}

}  // namespace
}  // namespace ptool::realtime
