#include "parsers/ftp/ftp_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/net_address.h"

namespace xsensor {
namespace {

constexpr size_t kMaxLine = 4096;

}  // namespace

bool LooksLikeFtpGreeting(absl::string_view p) {
  return absl::StartsWith(p, "220 ") || absl::StartsWith(p, "220-");
}

std::unique_ptr<AppParser> MakeFtpParser(const ParserOptions& options) {
  return std::make_unique<FtpParser>(options);
}

void FtpParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  int d = static_cast<int>(ctx.dir);
  while (!data.empty()) {
    size_t eol = data.find('\n');
    size_t n = eol == absl::string_view::npos ? data.size() : eol + 1;
    if (line_[d].size() + n > kMaxLine) {
      ctx.counters->Inc(ParserCounters::kFtpLongLines);
      line_[d].clear();
    } else {
      line_[d].append(data.data(), n);
    }
    data.remove_prefix(n);
    if (eol == absl::string_view::npos) break;
    std::string& line = line_out_;
    line.swap(line_[d]);  // both buffers keep their capacity
    line_[d].clear();
    absl::string_view l = absl::StripTrailingAsciiWhitespace(line);
    if (ctx.dir == Dir::kToServer) {
      OnCommand(ctx, l);
      continue;
    }
    // Replies: "ddd text" ends a reply, "ddd-text" starts a multi-line one.
    uint32_t code = 0;
    bool has_code = l.size() >= 3 && absl::SimpleAtoi(l.substr(0, 3), &code) &&
                    (l.size() == 3 || l[3] == ' ' || l[3] == '-');
    if (multiline_code_) {
      if (has_code && code == multiline_code_ && (l.size() == 3 || l[3] == ' ')) {
        multiline_code_ = 0;
        OnReply(ctx, code, l.substr(std::min<size_t>(4, l.size())));
      }
      continue;
    }
    if (!has_code) continue;
    if (l.size() > 3 && l[3] == '-') {
      multiline_code_ = code;
      if (code == 220 && server_name_.empty()) OnReply(ctx, code, l.substr(4));
      continue;
    }
    OnReply(ctx, code, l.substr(std::min<size_t>(4, l.size())));
  }
}

void FtpParser::OnCommand(ParseContext& ctx, absl::string_view line) {
  size_t sp = line.find(' ');
  std::string cmd = absl::AsciiStrToUpper(line.substr(0, sp));
  absl::string_view arg = sp == absl::string_view::npos
                              ? absl::string_view()
                              : absl::StripAsciiWhitespace(line.substr(sp + 1));
  last_command_ = cmd;
  if (cmd == "USER") {
    if (attempt_ && !exported_) Export(ctx);
    attempt_ = true;
    logged_in_ = exported_ = false;
    user_.assign(arg.data(), arg.size());
    password_.clear();
    result_ = 0;
    mode_ = -1;
  } else if (cmd == "PASS" && attempt_) {
    password_.assign(arg.data(), arg.size());
  } else if (cmd == "PORT" || cmd == "EPRT" || cmd == "PASV" || cmd == "EPSV") {
    if (attempt_ && logged_in_ && mode_ < 0) {
      mode_ = (cmd == "PASV" || cmd == "EPSV") ? 1 : 0;
      if (!exported_) Export(ctx);
    }
  } else if (cmd == "QUIT") {
    if (attempt_ && !exported_) Export(ctx);
  } else if (cmd == "AUTH" &&
             (absl::StartsWithIgnoreCase(arg, "TLS") || absl::StartsWithIgnoreCase(arg, "SSL"))) {
    auth_tls_asked_ = true;  // RFC 4217 4: 234 and the TLS handshake follows
  }
}

void FtpParser::OnReply(ParseContext& ctx, uint32_t code, absl::string_view text) {
  if (auth_tls_asked_ && last_command_ == "AUTH") {
    auth_tls_asked_ = false;
    if (code == 234) {
      if (attempt_ && !exported_) Export(ctx);
      starts_tls_ = true;
      return;
    }
  }
  if (code == 220 && server_name_.empty()) {
    // "220 ftp.example.org FTP server ready": the first word when it looks like a host name.
    absl::string_view first = text.substr(0, text.find(' '));
    if (absl::StrContains(first, '.') && !absl::StrContains(first, '(')) {
      server_name_.assign(first.data(), first.size());
    }
    return;
  }
  if (!attempt_ || logged_in_ || exported_) return;
  if (last_command_ != "USER" && last_command_ != "PASS") return;
  if (code == 331 || code == 332) return;  // password (or account) needed: go on
  result_ = code;
  logged_in_ = true;
  ctx.counters->Inc(ParserCounters::kFtpLogins);
  if (code >= 400) Export(ctx);  // failed: no data channel will follow
}

void FtpParser::Export(ParseContext& ctx) {
  exported_ = true;
  FtpLoginFact fact;
  std::string address;
  if (!server_name_.empty()) {
    fact.server_name = server_name_;
  } else {
    address = FormatIp(ctx.server);
    fact.server_name = address;
  }
  fact.user = user_;
  fact.password = password_;
  fact.mode = mode_ < 0 ? 0 : static_cast<uint32_t>(mode_);
  fact.result = result_;
  ctx.facts->FtpLogin(fact);
}

void FtpParser::OnGap(ParseContext& ctx) {
  line_[static_cast<int>(ctx.dir)].clear();
  multiline_code_ = 0;
}

void FtpParser::OnEnd(ParseContext& ctx) {
  if (attempt_ && !exported_) Export(ctx);
}

}  // namespace xsensor

namespace xsensor {
namespace {

class FtpSecrets final : public LineSecretScanner {
 protected:
  int SecretFrom(const std::vector<std::string>& w, bool line_end) override {
    if (w.empty()) return line_end ? kNoSecret : kUndecided;
    return absl::EqualsIgnoreCase(w[0], "PASS") || absl::EqualsIgnoreCase(w[0], "ACCT") ? 1
                                                                                        : kNoSecret;
  }
};

}  // namespace

std::unique_ptr<SecretScanner> MakeFtpSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<FtpSecrets>();
}

}  // namespace xsensor
