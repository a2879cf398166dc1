// QUIC Initial key derivation against the published test vectors (RFC 9001 A.1, RFC 9369 A.1).
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "parsers/quic/quic_parser.h"

namespace xsensor {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(p), n));
}

TEST(QuicKeysTest, Rfc9001ClientInitialKeys) {
  QuicInitialKeys k;
  ASSERT_TRUE(DeriveQuicClientInitialKeys(1, absl::HexStringToBytes("8394c8f03e515708"), &k));
  EXPECT_EQ(Hex(k.key, 16), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(Hex(k.iv, 12), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(Hex(k.hp, 16), "9f50449e04a0e810283a1e9933adedd2");
}

TEST(QuicKeysTest, Rfc9369Version2ClientInitialKeys) {
  QuicInitialKeys k;
  ASSERT_TRUE(
      DeriveQuicClientInitialKeys(0x6b3343cf, absl::HexStringToBytes("8394c8f03e515708"), &k));
  EXPECT_EQ(Hex(k.key, 16), "8b1a0bc121284290a29e0971b5cd045d");
  EXPECT_EQ(Hex(k.iv, 12), "91f73e2351d8fa91660e909f");
  EXPECT_EQ(Hex(k.hp, 16), "45b95e15235d6f45a6b19cbcb0294ba9");
}

TEST(QuicKeysTest, UnknownVersionHasNoKeys) {
  QuicInitialKeys k;
  EXPECT_FALSE(DeriveQuicClientInitialKeys(0x0a0a0a0a, "abcd", &k));
}

}  // namespace
}  // namespace xsensor
