// QUIC Initial packets (client -> server) of QUIC v1 (RFC 9000/9001), v2 (RFC 9369) and
// draft-29: the Initial keys are derived from the client's first Destination Connection ID
// (HKDF with OpenSSL's libcrypto), header protection is removed (AES-ECB mask) and the payload
// decrypted (AES-128-GCM). CRYPTO frames are gathered across Initial packets and datagrams, in
// any order, until the ClientHello is whole; its SNI gives a clickstream record with
// HOST_TYPE 4 (and its cipher suites). Limits: 64 KiB of CRYPTO data per connection, 8
// Initial datagrams tried; failures are counted, never fatal.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "parsers/parser.h"

namespace xsensor {

bool LooksLikeQuicInitial(absl::string_view datagram);
std::unique_ptr<AppParser> MakeQuicParser(const ParserOptions& options);

// The client's Initial packet protection for a version and Destination Connection ID.
struct QuicInitialKeys {
  uint8_t key[16];
  uint8_t iv[12];
  uint8_t hp[16];
};
// False for versions without known Initial salts.
bool DeriveQuicClientInitialKeys(uint32_t version, absl::string_view dcid, QuicInitialKeys* out);

// Decrypts the first long-header Initial packet in `packet` with keys from `dcid`; on success
// sets *plaintext (the frames) and *consumed (the packet's size, for coalesced packets).
enum class QuicDecrypt { kOk, kNotInitial, kMalformed, kUnknownVersion, kAuthFailed };
QuicDecrypt DecryptQuicInitial(absl::string_view packet, absl::string_view dcid,
                               std::string* plaintext, size_t* consumed, std::string* packet_dcid);

class QuicParser : public AppParser {
 public:
  explicit QuicParser(const ParserOptions&) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  bool WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const override;
  size_t HeldBytes() const override;

 private:
  void AddCrypto(ParseContext& ctx, uint64_t offset, absl::string_view data);
  void TryClientHello(ParseContext& ctx);

  std::string original_dcid_;
  std::map<uint64_t, std::string> crypto_;  // offset -> bytes (first copy wins)
  size_t crypto_bytes_ = 0;
  int datagrams_ = 0;
  bool done_ = false;
};

}  // namespace xsensor
