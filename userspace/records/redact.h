// Credentials in exported records (redact_credentials): FTP and XMPP passwords, HTTP cookies,
// and the secrets in the raw records of client login lines, exported empty or as a keyed hash
// (HMAC-SHA256 under redact_key, so that equal secrets still match across records) instead of
// in clear. In clear stays the default, as the specification asks.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace xsensor {

class Redactor {
 public:
  enum class Mode { kEmpty, kHash };
  Redactor(Mode mode, std::string key) : mode_(mode), key_(std::move(key)) {}

  // What a secret is exported as: "" (kEmpty), or "hmac:" and the first 16 bytes of
  // HMAC-SHA256(key, secret) in hex (kHash). An empty secret stays empty.
  std::string Value(absl::string_view secret) const;

  // The payload of a client packet of META_PROTO `meta_proto` (4 FTP, 5 SMTP, 6 POP3, 7 IMAP,
  // 8 XMPP) with the secrets of its login lines replaced by Value(): FTP PASS/ACCT, POP3
  // PASS/APOP, AUTH/AUTHENTICATE initial responses, IMAP LOGIN's password, SASL responses (a
  // line that is one base64 word, not a command), XMPP <auth>/<response>/<password> content.
  std::string RawPayload(uint32_t meta_proto, absl::string_view payload) const;

 private:
  std::string Line(uint32_t meta_proto, absl::string_view line) const;
  std::string Between(absl::string_view payload, absl::string_view open,
                      absl::string_view close) const;

  Mode mode_;
  std::string key_;
};

}  // namespace xsensor
