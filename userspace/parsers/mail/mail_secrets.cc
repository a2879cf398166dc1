#include "parsers/mail/mail_secrets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace xsensor {
namespace {

// One base64 word that no client command looks like: base64 characters only, at least 4, and
// a digit, '+', '/', '=' or both cases in it (commands are one case of letters).
bool LooksLikeSaslResponse(absl::string_view w) {
  if (w.size() < 4) return false;
  bool lower = false, upper = false, other = false;
  for (char c : w) {
    if (absl::ascii_islower(static_cast<unsigned char>(c))) {
      lower = true;
    } else if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      upper = true;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
               c == '=') {
      other = true;
    } else {
      return false;
    }
  }
  return other || (lower && upper);
}

bool Is(const std::string& w, absl::string_view v) { return absl::EqualsIgnoreCase(w, v); }

class MailSecrets final : public LineSecretScanner {
 public:
  explicit MailSecrets(bool imap) { literals_ = imap; }

 protected:
  int SecretFrom(const std::vector<std::string>& w, bool line_end) override {
    if (w.empty()) return line_end ? kNoSecret : kUndecided;
    if (Is(w[0], "PASS")) return 1;                      // POP3 PASS password
    if (Is(w[0], "APOP") || Is(w[0], "AUTH")) return 2;  // APOP user digest; AUTH mech response
    if (w.size() < 2) {
      // A line of one word: a SASL response when it looks like one (a flow seen from after
      // its AUTH line).
      if (line_end) return LooksLikeSaslResponse(w[0]) ? 0 : kNoSecret;
      return kUndecided;
    }
    if (Is(w[1], "LOGIN")) return 3;         // IMAP: tag LOGIN user password
    if (Is(w[1], "AUTHENTICATE")) return 3;  // IMAP: tag AUTHENTICATE mech response
    return kNoSecret;
  }
  void LineDone(const std::vector<std::string>& w) override {
    size_t mech;
    if (!w.empty() && Is(w[0], "AUTH")) {
      mech = 1;
    } else if (w.size() > 1 && Is(w[1], "AUTHENTICATE")) {
      mech = 2;
    } else {
      return;
    }
    if (w.size() > mech) sasl_lines_ = SaslResponseLines(w[mech], w.size() > mech + 1);
  }
};

}  // namespace

int SaslResponseLines(absl::string_view mechanism, bool initial_response) {
  if (absl::EqualsIgnoreCase(mechanism, "LOGIN")) return initial_response ? 1 : 2;
  return initial_response ? 0 : 1;
}

std::unique_ptr<SecretScanner> MakeMailSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<MailSecrets>(false);
}

std::unique_ptr<SecretScanner> MakeImapSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<MailSecrets>(true);
}

}  // namespace xsensor
