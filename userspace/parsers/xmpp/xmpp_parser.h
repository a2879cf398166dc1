// XMPP client-to-server streams (RFC 6120, XEP-0078): one `im` record per stream session
// (IM_PROTOCOL 7), exported when the stream closes, when it switches to TLS (STARTTLS:
// what was seen before) or when the flow ends. IM_SCREEN_NAME carries the bound JID (or the
// stream's `to` server until one is bound); IM_LOGIN the SASL PLAIN authcid, DIGEST-MD5 and
// SCRAM username or the legacy jabber:iq:auth username; IM_PASSW the PLAIN or legacy password;
// IM_RECEIVERS every message recipient, comma-separated; RESULT_CODE 0 for SASL success (or a
// legacy auth result), 1 for failure. The stream is scanned for these elements only, not
// parsed as XML; buffers are bounded.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

std::unique_ptr<AppParser> MakeXmppParser(const ParserOptions& options);
// Raw records' secrets: the content of <auth>, <response> (SASL, RFC 6120) and of <password>
// and <digest> (XEP-0078), wherever the packets cut them.
std::unique_ptr<SecretScanner> MakeXmppSecrets(Dir dir);
bool LooksLikeXmppStream(absl::string_view payload);
// The username a DIGEST-MD5 response (base64) names.
std::string DigestMd5User(absl::string_view base64);

class XmppParser : public AppParser {
 public:
  explicit XmppParser(const ParserOptions&) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;

  bool StartsTls() const override { return starts_tls_; }
  size_t HeldBytes() const override {
    return HeldBytesOf(buf_[0], buf_[1], server_, login_, password_, jid_, receivers_);
  }
  void ReleaseIdle() override { ReleaseIfEmpty(buf_[0], buf_[1]); }

 private:
  void Scan(ParseContext& ctx, Dir dir);
  void Export(ParseContext& ctx);

  std::string buf_[2];
  bool done_ = false;
  bool exported_ = false;
  std::string server_, login_, password_, jid_;
  int result_ = -1;
  std::vector<std::string> receivers_;
  bool starttls_asked_ = false;
  bool starts_tls_ = false;
  bool client_spoke_ = false;
};

}  // namespace xsensor
