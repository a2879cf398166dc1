// SMTP (RFC 5321) with the message headers of RFC 5322/2045: one `mail` record per message
// (EVENT 1, MAIL_PROTOCOL 0). MAIL_SENDER is the MAIL FROM address, MAIL_RECEIVER every RCPT
// TO address (comma-separated), MAIL_CC the addresses of the Cc header, MAIL_SUBJECT the
// Subject decoded from RFC 2047 encoded words (to UTF-8), MAIL_SERVERS the server's name from
// its greeting, MAIL_REPLY and RESULT_CODE the server's final reply to the message.
// ATTACHMENT is 1 when a MIME part has Content-Disposition: attachment or a file name. The
// body is scanned only for MIME part headers, up to a byte limit, and never kept. A login
// without messages (AUTH) exports nothing; STARTTLS ends parsing (the rest is encrypted).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parsers/mail/message_scanner.h"
#include "parsers/parser.h"

namespace xsensor {

std::unique_ptr<AppParser> MakeSmtpParser(const ParserOptions& options);

class SmtpParser : public AppParser {
 public:
  explicit SmtpParser(const ParserOptions&) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;

  bool StartsTls() const override { return starts_tls_; }
  size_t HeldBytes() const override {
    return HeldBytesOf(line_[0], line_[1], line_out_, server_name_, sender_, receivers_, reply_) +
           message_.HeldBytes();
  }
  void ReleaseIdle() override { ReleaseIfEmpty(line_[0], line_[1], line_out_); }

 private:
  void OnClientLine(ParseContext& ctx, absl::string_view line);
  void OnReply(ParseContext& ctx, uint32_t code, absl::string_view line);
  void Export(ParseContext& ctx);
  void ResetMessage();

  std::string line_[2];
  std::string line_out_;  // the line being handled
  uint32_t multiline_code_ = 0;
  bool done_ = false;  // STARTTLS accepted, or lost framing
  bool starttls_asked_ = false;
  bool starts_tls_ = false;
  std::string server_name_;
  // The message in progress.
  std::string sender_;
  std::vector<std::string> receivers_;
  MessageScanner message_;
  bool in_data_ = false;
  bool awaiting_final_reply_ = false;
  std::string reply_;
  uint32_t reply_code_ = 0;
};

}  // namespace xsensor
