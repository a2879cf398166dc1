// Credentials in exported records (redact_credentials): FTP and XMPP passwords, HTTP cookies,
// a URL's password, exported empty or as a keyed hash (HMAC-SHA256 under redact_key, so that
// equal secrets still match across records) instead of in clear. In clear stays the default,
// as the specification asks. Raw records' secrets are found by each protocol's scanner across
// a flow's packets (parsers/secrets.h) and replaced by Value().
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

  // The password of a URL's user:password@ in *url replaced by Value().
  void Url(std::string* url) const;

 private:
  Mode mode_;
  std::string key_;
};

}  // namespace xsensor
