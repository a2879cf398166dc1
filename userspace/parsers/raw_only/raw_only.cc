#include "parsers/raw_only/raw_only.h"

#include <cstdint>
#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "parsers/mail/mail_secrets.h"

namespace xsensor {
namespace {

class RawOnlyParser : public AppParser {
 public:
  void OnData(ParseContext&, absl::string_view, uint32_t) override {}
};

uint8_t At(absl::string_view p, size_t i) { return static_cast<uint8_t>(p[i]); }

// RFC 1006 TPKT header; *body is what follows it, up to the TPKT's length.
bool Tpkt(absl::string_view p, absl::string_view* body) {
  if (p.size() < 5 || At(p, 0) != 3 || At(p, 1) != 0) return false;
  size_t len = (size_t{At(p, 2)} << 8) | At(p, 3);
  if (len < 7) return false;
  *body = p.substr(4, len - 4);
  return true;
}

}  // namespace

std::unique_ptr<AppParser> MakeRawOnlyParser(const ParserOptions&) {
  return std::make_unique<RawOnlyParser>();
}

bool NntpServerFirst(absl::string_view g, absl::string_view c) {
  if (!absl::StartsWith(g, "200 ") && !absl::StartsWith(g, "201 ")) return false;
  size_t n = 0;
  while (n < c.size() && n < 16 && absl::ascii_isalpha(static_cast<unsigned char>(c[n]))) ++n;
  if (n == 0 || n == c.size() || (c[n] != ' ' && c[n] != '\r' && c[n] != '\n')) return false;
  absl::string_view w = c.substr(0, n);
  for (absl::string_view cmd :
       {"MODE",    "CAPABILITIES", "GROUP",    "LISTGROUP", "LIST", "ARTICLE",  "HEAD",
        "BODY",    "STAT",         "NEXT",     "LAST",      "POST", "IHAVE",    "NEWGROUPS",
        "NEWNEWS", "OVER",         "XOVER",    "HDR",       "XHDR", "AUTHINFO", "DATE",
        "HELP",    "QUIT",         "STARTTLS", "XPAT"}) {
    if (absl::EqualsIgnoreCase(w, cmd)) return true;
  }
  return false;
}

bool LooksLikeH225CallSignalling(absl::string_view p) {
  absl::string_view q;
  if (!Tpkt(p, &q) || q.size() < 3 || At(q, 0) != 0x08) return false;
  size_t cref = At(q, 1) & 0x0f;  // call reference length
  if (cref > 2 || q.size() < 3 + cref) return false;
  // Q.931 message types used by H.225.0: alerting 0x01, call proceeding 0x02, progress 0x03,
  // setup 0x05, connect 0x07, setup ack 0x0d, release complete 0x5a, facility 0x62, notify
  // 0x6e, status inquiry 0x75, status 0x7d, information 0x7b.
  uint8_t type = At(q, 2 + cref);
  for (uint8_t t : {0x01, 0x02, 0x03, 0x05, 0x07, 0x0d, 0x5a, 0x62, 0x6e, 0x75, 0x7b, 0x7d}) {
    if (type == t) return true;
  }
  return false;
}

bool LooksLikeH245(absl::string_view p) {
  absl::string_view m;
  if (!Tpkt(p, &m) || m.size() < 2) return false;
  // X.224 TPDUs: a length indicator, then a code (0xE0 CR, 0xD0 CC, 0xF0 DT, 0x80 DR...).
  if (At(m, 0) + 1u <= m.size() && (At(m, 1) & 0x0f) == 0 && At(m, 1) >= 0x80) return false;
  if (At(m, 0) == 0x08) return false;  // Q.931: call signalling
  return (At(m, 0) & 0x80) == 0;       // no extension: request/response/command/indication
}

bool LooksLikeH225Ras(absl::string_view p) {
  if (p.size() < 4 || p.size() > 2048) return false;
  uint8_t b = At(p, 0);
  return (b & 0x80) == 0 && ((b >> 2) & 0x1f) <= 24;
}

}  // namespace xsensor

namespace xsensor {
namespace {

class NntpSecrets final : public LineSecretScanner {
 protected:
  int SecretFrom(const std::vector<std::string>& w, bool line_end) override {
    if (w.empty()) return line_end ? kNoSecret : kUndecided;
    if (!absl::EqualsIgnoreCase(w[0], "AUTHINFO")) return kNoSecret;
    if (w.size() < 2) return line_end ? kNoSecret : kUndecided;
    if (absl::EqualsIgnoreCase(w[1], "PASS")) return 2;
    if (absl::EqualsIgnoreCase(w[1], "SASL")) return 3;  // AUTHINFO SASL mech response
    return kNoSecret;
  }
  void LineDone(const std::vector<std::string>& w) override {
    if (w.size() > 2 && absl::EqualsIgnoreCase(w[0], "AUTHINFO") &&
        absl::EqualsIgnoreCase(w[1], "SASL")) {
      sasl_lines_ = SaslResponseLines(w[2], w.size() > 3);
    }
  }
};

}  // namespace

std::unique_ptr<SecretScanner> MakeNntpSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<NntpSecrets>();
}

}  // namespace xsensor
