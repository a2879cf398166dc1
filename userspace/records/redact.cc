#include "records/redact.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace xsensor {
namespace {

// One base64 word that no client command looks like: base64 characters only, at least 4, and
// a digit, '+', '/', '=' or both cases in it (commands are one case of letters).
bool LooksLikeSaslResponse(absl::string_view w) {
  if (w.size() < 4) return false;
  bool lower = false, upper = false, other = false;
  for (char c : w) {
    if (absl::ascii_islower(c)) {
      lower = true;
    } else if (absl::ascii_isupper(c)) {
      upper = true;
    } else if (absl::ascii_isdigit(c) || c == '+' || c == '/' || c == '=') {
      other = true;
    } else {
      return false;
    }
  }
  return other || (lower && upper);
}

// The start of the n-th (0-based) space-separated word of `line`, or npos.
size_t WordStart(absl::string_view line, int n) {
  size_t i = 0;
  for (int k = 0;; ++k) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) return absl::string_view::npos;
    if (k == n) return i;
    while (i < line.size() && line[i] != ' ') ++i;
  }
}

absl::string_view Word(absl::string_view line, int n) {
  size_t s = WordStart(line, n);
  if (s == absl::string_view::npos) return {};
  size_t e = line.find(' ', s);
  return line.substr(s, e == absl::string_view::npos ? absl::string_view::npos : e - s);
}

}  // namespace

std::string Redactor::Value(absl::string_view secret) const {
  if (secret.empty() || mode_ == Mode::kEmpty) return "";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), mac, &len);
  return absl::StrCat("hmac:", absl::BytesToHexString(absl::string_view(
                                   reinterpret_cast<const char*>(mac), std::min(len, 16u))));
}

std::string Redactor::Line(uint32_t meta_proto, absl::string_view line) const {
  // The secret starts at word `from` (to the end of the line) when the line is a login line.
  int from = -1;
  const std::string verb = absl::AsciiStrToUpper(Word(line, 0));
  if (meta_proto == 4) {
    if (verb == "PASS" || verb == "ACCT") from = 1;
  } else if (meta_proto >= 5 && meta_proto <= 7) {
    const std::string second = absl::AsciiStrToUpper(Word(line, 1));
    if (verb == "PASS") {
      from = 1;
    } else if (verb == "APOP" || verb == "AUTH") {
      from = 2;
    } else if (second == "LOGIN") {
      from = 3;  // IMAP: tag LOGIN user password
    } else if (second == "AUTHENTICATE") {
      from = 3;
    } else if (WordStart(line, 1) == absl::string_view::npos &&
               LooksLikeSaslResponse(Word(line, 0))) {
      from = 0;
    }
  }
  size_t at = from < 0 ? absl::string_view::npos : WordStart(line, from);
  if (at == absl::string_view::npos) return std::string(line);
  return absl::StrCat(line.substr(0, at), Value(line.substr(at)));
}

std::string Redactor::Between(absl::string_view payload, absl::string_view open,
                              absl::string_view close) const {
  std::string out;
  while (true) {
    size_t o = payload.find(open);
    size_t gt = o == absl::string_view::npos ? o : payload.find('>', o);
    size_t c = gt == absl::string_view::npos ? gt : payload.find(close, gt);
    if (c == absl::string_view::npos || payload[gt - 1] == '/') {
      // No (complete) element left: a self-closed one has nothing to hide; an element cut by
      // the packet's end hides the rest.
      if (gt != absl::string_view::npos && payload[gt - 1] != '/') {
        absl::StrAppend(&out, payload.substr(0, gt + 1), Value(payload.substr(gt + 1)));
        return out;
      }
      if (gt != absl::string_view::npos) {
        absl::StrAppend(&out, payload.substr(0, gt + 1));
        payload.remove_prefix(gt + 1);
        continue;
      }
      absl::StrAppend(&out, payload);
      return out;
    }
    absl::StrAppend(&out, payload.substr(0, gt + 1), Value(payload.substr(gt + 1, c - gt - 1)));
    payload.remove_prefix(c);
  }
}

std::string Redactor::RawPayload(uint32_t meta_proto, absl::string_view payload) const {
  if (meta_proto == 8) {
    std::string s = Between(payload, "<auth", "</auth>");
    s = Between(s, "<response", "</response>");
    return Between(s, "<password", "</password>");
  }
  if (meta_proto < 4 || meta_proto > 7) return std::string(payload);
  std::string out;
  while (!payload.empty()) {
    size_t nl = payload.find('\n');
    absl::string_view line = payload.substr(0, nl);
    absl::string_view end;
    if (nl != absl::string_view::npos) {
      end = payload.substr(nl, 1);
      if (absl::EndsWith(line, "\r")) {
        line.remove_suffix(1);
        end = payload.substr(nl - 1, 2);
      }
    }
    absl::StrAppend(&out, Line(meta_proto, line), end);
    payload.remove_prefix(nl == absl::string_view::npos ? payload.size() : nl + 1);
  }
  return out;
}

}  // namespace xsensor
