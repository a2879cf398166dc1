// DNS over UDP (one message per datagram) and TCP (2-byte length framing: several messages
// per segment, one message across segments, from the reassembled stream). Every answer of a
// response gives a `dns` record (a response without answers, NXDOMAIN or NODATA, gives one
// record for its question with TTL 0 and empty RDATA); records carry the question's direction
// (client -> server addresses and ports). Answered A/AAAA addresses feed the name cache.
// Malformed messages are counted by reason and yield the records read before the damage.
#pragma once

#include <memory>
#include <string>

#include "parsers/parser.h"

namespace xsensor {

bool LooksLikeDnsOverUdp(absl::string_view datagram);
std::unique_ptr<AppParser> MakeDnsParser(const ParserOptions& options);

class DnsParser : public AppParser {
 public:
  explicit DnsParser(const ParserOptions& options) : options_(options) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  size_t HeldBytes() const override { return HeldBytesOf(tcp_buf_[0], tcp_buf_[1]); }
  void ReleaseIdle() override { ReleaseIfEmpty(tcp_buf_[0], tcp_buf_[1]); }

 private:
  void HandleMessage(ParseContext& ctx, absl::string_view msg, bool tcp);

  ParserOptions options_;
  std::string tcp_buf_[2];  // by Dir: a partial length-prefixed message
  bool tcp_lost_[2] = {};   // framing lost after a gap
};

}  // namespace xsensor
