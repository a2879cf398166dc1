// FTP control connections (RFC 959, 2428): one `ftp` record per login attempt. USER starts an
// attempt; PASS gives the password; the reply that ends the login (2xx or 4xx/5xx to USER or
// PASS) is RESULT_CODE. MODE is that of the first data-channel command after the login
// (0 active: PORT/EPRT, 1 passive: PASV/EPSV), so a successful login is exported at that
// command, at the next USER, at QUIT or when the flow ends; a failed one at once. SERVER_NAME
// is the host the 220 greeting names (its first word when it has a dot), else the server's
// address. Multi-line replies (RFC 959 4.2) are joined; lines are bounded.
#pragma once

#include <memory>
#include <string>

#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

bool LooksLikeFtpGreeting(absl::string_view payload);
std::unique_ptr<AppParser> MakeFtpParser(const ParserOptions& options);
// Raw records' secrets: the argument of PASS and ACCT (RFC 959), however it is split.
std::unique_ptr<SecretScanner> MakeFtpSecrets(Dir dir);

class FtpParser : public AppParser {
 public:
  explicit FtpParser(const ParserOptions&) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;

  bool StartsTls() const override { return starts_tls_; }
  size_t HeldBytes() const override {
    return HeldBytesOf(line_[0], line_[1], line_out_, server_name_, user_, password_,
                       last_command_);
  }
  void ReleaseIdle() override { ReleaseIfEmpty(line_[0], line_[1], line_out_); }

 private:
  void OnCommand(ParseContext& ctx, absl::string_view line);
  void OnReply(ParseContext& ctx, uint32_t code, absl::string_view text);
  void Export(ParseContext& ctx);

  std::string line_[2];   // partial line, by Dir
  std::string line_out_;  // the line being handled
  std::string server_name_;
  // The login attempt in progress.
  bool attempt_ = false;
  bool logged_in_ = false;  // its result is known
  bool exported_ = false;
  std::string user_, password_;
  uint32_t result_ = 0;
  int mode_ = -1;
  std::string last_command_;
  uint32_t multiline_code_ = 0;  // inside a multi-line reply
  bool auth_tls_asked_ = false;
  bool starts_tls_ = false;
};

}  // namespace xsensor
