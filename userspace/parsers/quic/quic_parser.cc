#include "parsers/quic/quic_parser.h"

// SHA256_Init/Update/Final (HmacSha256): allocation-free, deprecated in OpenSSL 3.0.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "common/byte_reader.h"
#include "parsers/tls/tls_parser.h"

namespace xsensor {
namespace {

constexpr uint32_t kV1 = 0x00000001, kV2 = 0x6b3343cf, kDraft29 = 0xff00001d;
constexpr size_t kMaxCrypto = 64 << 10;
constexpr int kMaxDatagrams = 8;

// RFC 9001 5.2, RFC 9369 3.3.1, draft-ietf-quic-tls-29 5.2.
constexpr uint8_t kSaltV1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr uint8_t kSaltV2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
constexpr uint8_t kSaltDraft29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};

bool ReadVarint(ByteReader& r, uint64_t* v) {
  uint8_t first;
  if (!r.ReadU8(&first)) return false;
  size_t len = size_t{1} << (first >> 6);
  *v = first & 0x3f;
  for (size_t i = 1; i < len; ++i) {
    uint8_t b;
    if (!r.ReadU8(&b)) return false;
    *v = (*v << 8) | b;
  }
  return true;
}

// OpenSSL 3 looks algorithms up in its providers on every implicit use; fetch them once.
const EVP_CIPHER* Aes128Ecb() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  return c;
}
const EVP_CIPHER* Aes128Gcm() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  return c;
}

// HMAC-SHA-256 (RFC 2104), the one primitive of HKDF (RFC 5869), from one-shot SHA-256 calls:
// an HKDF or MAC context per step (EVP_KDF, HMAC()) costs more than the hashing itself. Keys
// and messages here are short (a DCID or a 32-byte secret; a label of a few bytes).
bool HmacSha256(absl::string_view key, absl::string_view data, uint8_t out[32]) {
  constexpr size_t kBlock = 64;
  if (key.size() > kBlock || data.size() > 256) return false;
  uint8_t pad[kBlock + 256];
  std::memset(pad, 0x36, kBlock);
  for (size_t i = 0; i < key.size(); ++i) pad[i] ^= static_cast<uint8_t>(key[i]);
  std::memcpy(pad + kBlock, data.data(), data.size());
  // libcrypto's SHA256_* on a context on the stack: EVP_DigestInit_ex allocates a provider
  // context on every call (OpenSSL 3.0), four times per Initial packet here. The low-level
  // functions are deprecated in 3.0 but shipped, and allocate nothing.
  auto digest = [](const uint8_t* d, size_t n, uint8_t* md) {
    SHA256_CTX c;
    return SHA256_Init(&c) == 1 && SHA256_Update(&c, d, n) == 1 && SHA256_Final(md, &c) == 1;
  };
  uint8_t inner[32];
  if (!digest(pad, kBlock + data.size(), inner)) return false;
  std::memset(pad, 0x5c, kBlock);
  for (size_t i = 0; i < key.size(); ++i) pad[i] ^= static_cast<uint8_t>(key[i]);
  std::memcpy(pad + kBlock, inner, 32);
  return digest(pad, kBlock + 32, out);
}

// RFC 8446 7.1 HKDF-Expand-Label with an empty context.
bool ExpandLabel(absl::string_view secret, absl::string_view label, uint8_t* out, size_t len) {
  // HKDF-Expand for at most one hash length: T(1) = HMAC(PRK, info || 0x01), where info is
  // length (2), label length (1), "tls13 " label, context length 0; built on the stack.
  if (len > 32 || label.size() > 64) return false;
  char info[2 + 1 + 6 + 64 + 1 + 1];
  size_t n = 0;
  info[n++] = static_cast<char>(len >> 8);
  info[n++] = static_cast<char>(len & 0xff);
  info[n++] = static_cast<char>(6 + label.size());
  std::memcpy(info + n, "tls13 ", 6);
  n += 6;
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = 0;
  info[n++] = 1;
  uint8_t t[32];
  if (!HmacSha256(secret, absl::string_view(info, n), t)) return false;
  std::memcpy(out, t, len);
  return true;
}

// Cipher contexts are reused per thread (workers run in parallel): creating one per packet
// cost as much as the work it did.
EVP_CIPHER_CTX* ThreadCipherContext(int which) {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx[2] = {
      {EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free}, {EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free}};
  return ctx[which].get();
}

bool AesEcbMask(const uint8_t* hp, const uint8_t* sample, uint8_t* mask) {
  EVP_CIPHER_CTX* ctx = ThreadCipherContext(0);
  int n = 0;
  return ctx && Aes128Ecb() && EVP_EncryptInit_ex(ctx, Aes128Ecb(), nullptr, hp, nullptr) > 0 &&
         EVP_CIPHER_CTX_set_padding(ctx, 0) > 0 &&
         EVP_EncryptUpdate(ctx, mask, &n, sample, 16) > 0 && n == 16;
}

bool AesGcmOpen(const uint8_t* key, const uint8_t* nonce, absl::string_view aad,
                absl::string_view ciphertext_and_tag, std::string* out) {
  if (ciphertext_and_tag.size() < 16) return false;
  size_t n = ciphertext_and_tag.size() - 16;
  out->resize(n);
  EVP_CIPHER_CTX* ctx = ThreadCipherContext(1);
  int len = 0;
  auto* o = reinterpret_cast<unsigned char*>(out->data());
  const auto* c = reinterpret_cast<const unsigned char*>(ciphertext_and_tag.data());
  bool ok =
      ctx && Aes128Gcm() && EVP_DecryptInit_ex(ctx, Aes128Gcm(), nullptr, nullptr, nullptr) > 0 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) > 0 &&
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, key, nonce) > 0 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) > 0 &&
      EVP_DecryptUpdate(ctx, o, &len, c, static_cast<int>(n)) > 0 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<unsigned char*>(c + n)) > 0 &&
      EVP_DecryptFinal_ex(ctx, o + len, &len) > 0;
  return ok;
}

bool IsInitial(uint8_t first, uint32_t version) {
  if (!(first & 0x80)) return false;  // long header
  uint8_t type = (first >> 4) & 0x03;
  return version == kV2 ? type == 0x01 : type == 0x00;  // RFC 9369 3.2: v2 renumbers types
}

}  // namespace

bool DeriveQuicClientInitialKeys(uint32_t version, absl::string_view dcid, QuicInitialKeys* k) {
  const uint8_t* salt = version == kV1        ? kSaltV1
                        : version == kV2      ? kSaltV2
                        : version == kDraft29 ? kSaltDraft29
                                              : nullptr;
  if (!salt) return false;
  uint8_t initial[32], client[32];
  absl::string_view s(reinterpret_cast<const char*>(salt), 20);
  if (!HmacSha256(s, dcid, initial)) return false;  // HKDF-Extract(salt, DCID)
  absl::string_view init(reinterpret_cast<const char*>(initial), 32);
  if (!ExpandLabel(init, "client in", client, 32)) return false;
  absl::string_view cs(reinterpret_cast<const char*>(client), 32);
  bool v2 = version == kV2;
  return ExpandLabel(cs, v2 ? "quicv2 key" : "quic key", k->key, 16) &&
         ExpandLabel(cs, v2 ? "quicv2 iv" : "quic iv", k->iv, 12) &&
         ExpandLabel(cs, v2 ? "quicv2 hp" : "quic hp", k->hp, 16);
}

QuicDecrypt DecryptQuicInitial(absl::string_view packet, absl::string_view dcid_for_keys,
                               std::string* plaintext, size_t* consumed, std::string* packet_dcid) {
  ByteReader r(packet);
  uint8_t first, dcid_len, scid_len;
  uint32_t version;
  absl::string_view dcid, scid, token;
  uint64_t token_len, length;
  if (!r.ReadU8(&first) || !r.ReadU32(&version)) return QuicDecrypt::kMalformed;
  if (!IsInitial(first, version)) return QuicDecrypt::kNotInitial;
  if (!r.ReadU8(&dcid_len) || dcid_len > 20 || !r.ReadView(dcid_len, &dcid) ||
      !r.ReadU8(&scid_len) || scid_len > 20 || !r.ReadView(scid_len, &scid) ||
      !ReadVarint(r, &token_len) || token_len > r.remaining() ||
      !r.ReadView(static_cast<size_t>(token_len), &token) || !ReadVarint(r, &length) ||
      length > r.remaining() || length < 20) {
    return QuicDecrypt::kMalformed;
  }
  packet_dcid->assign(dcid.data(), dcid.size());
  size_t pn_offset = r.position();
  *consumed = pn_offset + static_cast<size_t>(length);
  QuicInitialKeys keys;
  if (!DeriveQuicClientInitialKeys(version, dcid_for_keys.empty() ? dcid : dcid_for_keys, &keys)) {
    return QuicDecrypt::kUnknownVersion;
  }
  // RFC 9001 5.4: the sample starts 4 bytes after the packet number's start.
  if (pn_offset + 4 + 16 > packet.size()) return QuicDecrypt::kMalformed;
  uint8_t mask[16];
  if (!AesEcbMask(keys.hp, reinterpret_cast<const uint8_t*>(packet.data()) + pn_offset + 4, mask)) {
    return QuicDecrypt::kMalformed;
  }
  std::string header(packet.substr(0, pn_offset + 4));
  header[0] = static_cast<char>(header[0] ^ (mask[0] & 0x0f));
  size_t pn_len = (static_cast<uint8_t>(header[0]) & 0x03) + 1;
  header.resize(pn_offset + pn_len);
  uint64_t pn = 0;
  for (size_t i = 0; i < pn_len; ++i) {
    header[pn_offset + i] = static_cast<char>(header[pn_offset + i] ^ mask[1 + i]);
    pn = (pn << 8) | static_cast<uint8_t>(header[pn_offset + i]);
  }
  uint8_t nonce[12];
  std::memcpy(nonce, keys.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(pn >> (8 * i));
  absl::string_view sealed = packet.substr(pn_offset + pn_len, length - pn_len);
  if (!AesGcmOpen(keys.key, nonce, header, sealed, plaintext)) return QuicDecrypt::kAuthFailed;
  return QuicDecrypt::kOk;
}

bool LooksLikeQuicInitial(absl::string_view d) {
  if (d.size() < 7) return false;
  auto first = static_cast<uint8_t>(d[0]);
  uint32_t version = (uint32_t{static_cast<uint8_t>(d[1])} << 24) |
                     (uint32_t{static_cast<uint8_t>(d[2])} << 16) |
                     (uint32_t{static_cast<uint8_t>(d[3])} << 8) | static_cast<uint8_t>(d[4]);
  return (version == kV1 || version == kV2 || version == kDraft29) && IsInitial(first, version);
}

std::unique_ptr<AppParser> MakeQuicParser(const ParserOptions& options) {
  return std::make_unique<QuicParser>(options);
}

void QuicParser::OnData(ParseContext& ctx, absl::string_view datagram, uint32_t) {
  if (done_ || ctx.dir != Dir::kToServer) return;
  if (++datagrams_ > kMaxDatagrams) {
    done_ = true;
    return;
  }
  // A datagram may carry several coalesced packets; Initials come first.
  while (!datagram.empty() && !done_) {
    // Per thread, reused: a datagram's Initial is decrypted and its frames read before the
    // next (AddCrypto copies what it keeps).
    thread_local std::string plain, dcid;
    size_t consumed = 0;
    QuicDecrypt r = DecryptQuicInitial(datagram, original_dcid_, &plain, &consumed, &dcid);
    if (r == QuicDecrypt::kAuthFailed && !original_dcid_.empty() && dcid != original_dcid_) {
      // We may have missed the first Initial: try this packet's own DCID.
      r = DecryptQuicInitial(datagram, "", &plain, &consumed, &dcid);
    }
    if (r != QuicDecrypt::kOk) {
      if (r != QuicDecrypt::kNotInitial) ctx.counters->Inc(ParserCounters::kQuicUndecryptable);
      return;
    }
    if (original_dcid_.empty()) original_dcid_ = dcid;
    ctx.counters->Inc(ParserCounters::kQuicInitials);
    // Frames (RFC 9000 12.4, 19): only these may appear in Initial packets.
    ByteReader f(plain);
    while (!f.empty()) {
      uint64_t type;
      if (!ReadVarint(f, &type)) break;
      if (type == 0x00 || type == 0x01) continue;  // PADDING, PING
      if (type == 0x06) {                          // CRYPTO
        uint64_t off, len;
        absl::string_view data;
        if (!ReadVarint(f, &off) || !ReadVarint(f, &len) || len > f.remaining() ||
            !f.ReadView(static_cast<size_t>(len), &data)) {
          ctx.counters->Inc(ParserCounters::kQuicMalformedFrame);
          break;
        }
        AddCrypto(ctx, off, data);
      } else if (type == 0x02 || type == 0x03) {  // ACK: skip its ranges
        uint64_t v, ranges;
        if (!ReadVarint(f, &v) || !ReadVarint(f, &v) || !ReadVarint(f, &ranges) ||
            !ReadVarint(f, &v)) {
          break;
        }
        bool ok = true;
        for (uint64_t i = 0; i < ranges && ok && i < 256; ++i) {
          ok = ReadVarint(f, &v) && ReadVarint(f, &v);
        }
        if (type == 0x03) ok = ok && ReadVarint(f, &v) && ReadVarint(f, &v) && ReadVarint(f, &v);
        if (!ok) break;
      } else {
        break;  // CONNECTION_CLOSE or not allowed here: stop reading this packet
      }
    }
    TryClientHello(ctx);
    datagram.remove_prefix(std::min(consumed, datagram.size()));
  }
}

void QuicParser::AddCrypto(ParseContext& ctx, uint64_t offset, absl::string_view data) {
  if (offset + data.size() > kMaxCrypto) {
    ctx.counters->Inc(ParserCounters::kQuicCryptoTooLong);
    return;
  }
  // Keep the parts not yet held (the first copy of every byte wins).
  uint64_t pos = offset, end = offset + data.size();
  for (const auto& [o, bytes] : crypto_) {
    if (o <= pos && o + bytes.size() > pos) pos = o + bytes.size();
  }
  while (pos < end) {
    uint64_t next = end;
    for (const auto& [o, bytes] : crypto_) {
      if (o >= pos && o < next) next = o;
    }
    if (next > pos) {
      crypto_.emplace(pos, std::string(data.substr(pos - offset, next - pos)));
      crypto_bytes_ += next - pos;
    }
    if (next >= end) break;
    pos = next + crypto_[next].size();
  }
}

void QuicParser::TryClientHello(ParseContext& ctx) {
  // The contiguous CRYPTO stream from offset 0.
  std::string stream;
  for (const auto& [o, bytes] : crypto_) {
    if (o != stream.size()) break;
    stream += bytes;
  }
  if (stream.size() < 4) return;
  ByteReader r(stream);
  uint8_t type;
  uint32_t len;
  r.ReadU8(&type);
  r.ReadU24(&len);
  if (type != 1) {
    ctx.counters->Inc(ParserCounters::kQuicMalformedFrame);
    done_ = true;
    return;
  }
  if (r.remaining() < len) return;  // more CRYPTO data to come
  done_ = true;
  ClientHelloInfo hello;
  if (!ParseClientHello(absl::string_view(stream).substr(4, len), &hello)) {
    ctx.counters->Inc(ParserCounters::kTlsMalformedHello);
    return;
  }
  std::string dns_name;
  if (hello.sni.empty()) {
    ctx.counters->Inc(ParserCounters::kTlsNoSni);
    if (!ServerNameFromDns(ctx, &dns_name)) return;
  }
  ctx.counters->Inc(ParserCounters::kQuicClientHellos);
  ClientHelloFact fact;
  // Without SNI, the name DNS gave for the server's address (HOST_TYPE 2).
  fact.server_name = hello.sni.empty() ? absl::string_view(dns_name) : hello.sni;
  fact.source = hello.sni.empty() ? NameSource::kDns : NameSource::kQuicSni;
  fact.cipher_suites = hello.cipher_suites;
  ctx.facts->ClientHello(fact);
}

size_t QuicParser::HeldBytes() const {
  // A map node: the tree links and colour (32 bytes), the key and the string object.
  constexpr size_t kNode = 32 + sizeof(uint64_t) + sizeof(std::string);
  size_t n = xsensor::HeldBytes(original_dcid_);
  for (const auto& [offset, bytes] : crypto_) n += kNode + xsensor::HeldBytes(bytes);
  return n;
}

bool QuicParser::WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const {
  if (!done_) return false;
  *skip_to_client = true;
  *skip_to_server_data = true;
  return true;
}

}  // namespace xsensor
