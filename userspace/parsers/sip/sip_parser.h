// SIP (RFC 3261) over UDP (a datagram holds one message) and TCP (messages framed by
// Content-Length over the reassembled stream, several per segment or one across segments).
// Every request and response gives a `sip` record: MSG_CODE is the method of a request and,
// for a response, the method it answers (from CSeq) — the reason phrase itself varies by
// implementation and tells less; STATUS_CODE is 0 for requests; URI the request URI; FROM, TO
// the header values as sent (display name, URI, tag); CALLID; UAGENT from User-Agent, else
// Server; CTYPE; GATEWAYS the host of every Via value, in order, comma-separated. Compact
// header forms (f, t, i, v, c, l, m) and comma-separated multi-value Via are understood.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

struct SipMessage {
  bool request = false;
  std::string method, uri, reason;
  uint32_t status = 0;
  std::string from, to, call_id, cseq_method, user_agent, server, content_type;
  std::string via_hosts;  // the hosts of every Via, comma-separated
  size_t content_length = 0;
  bool has_content_length = false;
  // Empties every field; the strings keep their capacity (a message reused allocates nothing).
  void Clear();
};
// Parses a header block (start line + headers, the empty line optional). False if the start
// line is not SIP.
bool ParseSipHead(absl::string_view block, SipMessage* out);
bool LooksLikeSip(absl::string_view payload);
// How the messages LooksLikeSip knows start: the request methods, each with its trailing
// space, and "SIP/2.0 " (a status line).
std::vector<absl::string_view> SipMessageStarts();
std::unique_ptr<AppParser> MakeSipParser(const ParserOptions& options);
// Raw records' secrets, both ways (either side sends requests): the credentials of
// Authorization and Proxy-Authorization (a digest response can be attacked offline), a SIP
// URI's password (RFC 3261 19.1.1).
std::unique_ptr<SecretScanner> MakeSipSecrets(Dir dir);

class SipParser : public AppParser {
 public:
  explicit SipParser(const ParserOptions&) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  size_t HeldBytes() const override { return HeldBytesOf(buf_[0], buf_[1]); }
  void ReleaseIdle() override { ReleaseIfEmpty(buf_[0], buf_[1]); }

 private:
  void Emit(ParseContext& ctx, const SipMessage& m);
  std::string buf_[2];  // TCP: bytes of the message being collected, by Dir
  static SipMessage& Scratch();
};

}  // namespace xsensor
