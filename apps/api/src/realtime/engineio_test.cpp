#include "realtime/engineio.hpp"

#include <gtest/gtest.h>

namespace ptool::realtime {
namespace {

using type = eio_packet_type;

TEST(EngineioText, EncodesEachPacketTypeAsItsDigit) {
    EXPECT_EQ(encode_text({type::open, R"({"sid":"x"})", false}), R"(0{"sid":"x"})");
    EXPECT_EQ(encode_text({type::close, "", false}), "1");
    EXPECT_EQ(encode_text({type::ping, "", false}), "2");
    EXPECT_EQ(encode_text({type::pong, "probe", false}), "3probe");
    EXPECT_EQ(encode_text({type::message, "hello", false}), "4hello");
    EXPECT_EQ(encode_text({type::upgrade, "", false}), "5");
    EXPECT_EQ(encode_text({type::noop, "", false}), "6");
}

TEST(EngineioText, BinaryMessageIsBPlusBase64) {
    EXPECT_EQ(encode_text({type::message, std::string("\x01\x02\x03", 3), true}), "bAQID");
}

TEST(EngineioText, DecodesReadmeExamples) {
    const auto ping = decode_text("2probe");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->type, type::ping);
    EXPECT_EQ(ping->data, "probe");
    EXPECT_FALSE(ping->binary);

    const auto msg = decode_text("4hello");
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->type, type::message);
    EXPECT_EQ(msg->data, "hello");

    const auto bin = decode_text("bAQID");
    ASSERT_TRUE(bin);
    EXPECT_EQ(bin->type, type::message);
    EXPECT_TRUE(bin->binary);
    EXPECT_EQ(bin->data, std::string("\x01\x02\x03", 3));
}

TEST(EngineioText, RoundTripsEveryType) {
    for (int t = 0; t <= 6; ++t) {
        const eio_packet p{static_cast<type>(t), "data", false};
        const auto back = decode_text(encode_text(p));
        ASSERT_TRUE(back);
        EXPECT_EQ(back->type, p.type);
        EXPECT_EQ(back->data, p.data);
        EXPECT_FALSE(back->binary);
    }
    const eio_packet bin{type::message, std::string("\x00\xff\x10 x", 5), true};
    const auto back = decode_text(encode_text(bin));
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->binary);
    EXPECT_EQ(back->data, bin.data);
}

TEST(EngineioText, RejectsMalformed) {
    EXPECT_FALSE(decode_text(""));
    EXPECT_FALSE(decode_text("7"));
    EXPECT_FALSE(decode_text("x4hello"));
    EXPECT_FALSE(decode_text("/"));
    EXPECT_FALSE(decode_text("b!!!!"));
    EXPECT_FALSE(decode_text("bA"));
}

TEST(EngineioPayload, EncodesReadmeExample) {
    const std::vector<eio_packet> packets{
        {type::message, "hello", false},
        {type::ping, "", false},
        {type::message, std::string("\x01\x02\x03", 3), true},
    };
    EXPECT_EQ(
        encode_payload(packets),
        "4hello\x1e"
        "2\x1e"
        "bAQID"
    );
}

TEST(EngineioPayload, DecodesReadmeExample) {
    const auto packets = decode_payload(
        "4hello\x1e"
        "2\x1e"
        "bAQID"
    );
    ASSERT_TRUE(packets);
    ASSERT_EQ(packets->size(), 3U);
    EXPECT_EQ((*packets)[0].type, type::message);
    EXPECT_EQ((*packets)[0].data, "hello");
    EXPECT_EQ((*packets)[1].type, type::ping);
    EXPECT_EQ((*packets)[1].data, "");
    EXPECT_TRUE((*packets)[2].binary);
    EXPECT_EQ((*packets)[2].data, std::string("\x01\x02\x03", 3));
}

TEST(EngineioPayload, SinglePacketAndRoundTrip) {
    const auto one = decode_payload("4hello");
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 1U);
    EXPECT_EQ((*one)[0].data, "hello");

    const std::vector<eio_packet> packets{{type::pong, "", false}, {type::message, "€", false}};
    const auto back = decode_payload(encode_payload(packets));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 2U);
    EXPECT_EQ((*back)[1].data, "€");
}

TEST(EngineioPayload, RejectsMalformed) {
    EXPECT_FALSE(decode_payload(""));
    EXPECT_FALSE(decode_payload("4hello\x1e"));
    EXPECT_FALSE(
        decode_payload("\x1e"
                       "4hello")
    );
    EXPECT_FALSE(
        decode_payload("4a\x1e\x1e"
                       "4b")
    );
    EXPECT_FALSE(
        decode_payload("4hello\x1e"
                       "9")
    );
    EXPECT_FALSE(
        decode_payload("4hello\x1e"
                       "b$$$$")
    );
}

TEST(EngineioHandshake, MatchesReadmeKeyOrder) {
    EXPECT_EQ(
        handshake_json("lv_VI97HAXpY6yYWAAAC", {"websocket"}, 25000, 20000, 1000000),
        R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
        R"("pingTimeout":20000,"maxPayload":1000000})"
    );
    EXPECT_EQ(
        handshake_json("a\"b", {}, 1, 2, 3),
        R"({"sid":"a\"b","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})"
    );
}

TEST(EngineioBase64, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        const auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, plain);
    }
}

TEST(EngineioBase64, AllByteValuesRoundTrip) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    const auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, bytes);
}

TEST(EngineioBase64, UnpaddedAcceptedGarbageRejected) {
    EXPECT_EQ(base64_decode("Zg").value_or("?"), "f");
    EXPECT_EQ(base64_decode("Zm8").value_or("?"), "fo");
    EXPECT_FALSE(base64_decode("Z"));
    EXPECT_FALSE(base64_decode("Zg="));
    EXPECT_FALSE(base64_decode("Z==="));
    EXPECT_FALSE(base64_decode("===="));
    EXPECT_FALSE(base64_decode("Zm9v\n"));
    EXPECT_FALSE(base64_decode("Zm-v"));
    EXPECT_FALSE(base64_decode("Zh=="));  // non-zero unused bits
    EXPECT_FALSE(base64_decode("Zg==Zg=="));
}

}  // namespace
}  // namespace ptool::realtime
