// TLS handshake parsing, both directions of a TCP flow.
//
// The record layer is reassembled per direction (records split across segments, several
// records per segment), handshake messages across records (a ClientHello split over several
// records). Client: the ClientHello gives a clickstream record (HOST_TYPE 3: the SNI, the
// first 16 cipher suites and the byte length of the whole list, TCP_SEQUENCE of the record
// that starts it). Server (ssl_parse_reply=1): the ServerHello's negotiated version (from
// supported_versions for TLS 1.3), cipher suite and compression method, and for TLS up to 1.2
// the certificate's subject CN (else first DNS SAN) give one ssl_reply record. Everything
// after the handshake is encrypted, so the flow is then bypassed. Limits: records up to
// 2^14 + 2048 bytes, handshake messages up to 64 KiB; anything else is counted and the
// direction is abandoned, never fatal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "parsers/parser.h"

namespace xsensor {

// True when `payload` starts like a TLS handshake record carrying a ClientHello.
bool LooksLikeTlsClientHello(absl::string_view payload);
std::unique_ptr<AppParser> MakeTlsParser(const ParserOptions& options);

struct ClientHelloInfo {
  std::string sni;
  std::string cipher_suites;  // the whole list, 2 bytes per suite
  uint16_t legacy_version = 0;
};
// Parses a ClientHello body (after the 4-byte handshake header). False if malformed.
bool ParseClientHello(absl::string_view body, ClientHelloInfo* out);

struct ServerHelloInfo {
  uint16_t version = 0;  // negotiated
  uint16_t cipher_suite = 0;
  uint8_t compression = 0;
  bool retry_request = false;  // a TLS 1.3 HelloRetryRequest (another ServerHello follows)
};
bool ParseServerHello(absl::string_view body, ServerHelloInfo* out);
// The subject common name of a DER certificate, else its first DNS SAN; empty if neither.
std::string CertificateName(absl::string_view der);

class TlsParser : public AppParser {
 public:
  explicit TlsParser(const ParserOptions& options) : options_(options) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;
  bool WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const override;
  uint8_t FoundMetaProto() const override { return found_; }

  size_t HeldBytes() const override {
    return HeldBytesOf(dir_[0].record, dir_[0].handshake, dir_[1].record, dir_[1].handshake, cname_,
                       record_out_);
  }
  void ReleaseIdle() override {
    ReleaseIfEmpty(dir_[0].record, dir_[0].handshake, dir_[1].record, dir_[1].handshake);
    std::string().swap(record_out_);  // only ever a record being handled
  }

 private:
  struct Direction {
    std::string record;       // the record being collected (header included)
    uint32_t record_seq = 0;  // TCP sequence number of its first byte
    std::string handshake;    // handshake bytes collected across records
    uint32_t handshake_seq = 0;
    bool done = false;  // nothing more wanted from this direction
  };
  void OnRecord(ParseContext& ctx, Direction& d, uint8_t type, absl::string_view body);
  void OnHandshake(ParseContext& ctx, Direction& d, uint8_t type, absl::string_view body);
  void EmitServerReply(ParseContext& ctx);

  ParserOptions options_;
  Direction dir_[2];
  ServerHelloInfo server_;
  bool have_server_hello_ = false;
  uint8_t found_ = 0;  // kMetaProtoZello once the SNI names Zello
  bool reply_sent_ = false;
  std::string cname_;
  std::string record_out_;  // the record being handled
  // The packet that brought the ServerHello, for a reply exported at flow end.
};

}  // namespace xsensor
