#include "records/redact.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "parsers/secrets.h"

namespace xsensor {

std::string Redactor::Value(absl::string_view secret) const {
  if (secret.empty() || mode_ == Mode::kEmpty) return "";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), mac, &len);
  return absl::StrCat("hmac:", absl::BytesToHexString(absl::string_view(
                                   reinterpret_cast<const char*>(mac), std::min(len, 16u))));
}

void Redactor::Url(std::string* url) const {
  size_t begin, end;
  if (!UriPassword(*url, &begin, &end)) return;
  url->replace(begin, end - begin, Value(absl::string_view(*url).substr(begin, end - begin)));
}

}  // namespace xsensor
