// POP3 (RFC 1939, 5034) and IMAP (RFC 9051) mailbox access: one `mail` record per message read
// (EVENT 2; MAIL_PROTOCOL 1 POP3, 2 IMAP) with the From, To, Cc addresses and the Subject of
// its headers (a POP3 RETR/TOP reply, an IMAP FETCH literal), and one record per login after
// which no message was read (MAIL_RECEIVER then is the mailbox user). Logins: POP3 USER/PASS,
// APOP, AUTH PLAIN; IMAP LOGIN and AUTHENTICATE PLAIN. RESULT_CODE is 0 for a successful
// login (+OK / OK), 1 for a refused one (-ERR / NO / BAD); MAIL_REPLY the server's reply text
// to the login; MAIL_SERVERS the server's address. STARTTLS/STLS ends parsing.
#pragma once

#include <memory>
#include <string>

#include "parsers/mail/message_scanner.h"
#include "parsers/parser.h"

namespace xsensor {

std::unique_ptr<AppParser> MakePop3Parser(const ParserOptions& options);
std::unique_ptr<AppParser> MakeImapParser(const ParserOptions& options);

// The authentication identity of a SASL PLAIN response (base64 "authzid\0authcid\0passwd").
std::string SaslPlainUser(absl::string_view base64);

// What both parsers share: line splitting, the login state and the records.
class MailboxParser : public AppParser {
 public:
  explicit MailboxParser(uint32_t protocol) : protocol_(protocol) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;
  bool StartsTls() const override { return starts_tls_; }
  size_t HeldBytes() const override {
    return HeldBytesOf(starttls_tag_, user_, login_reply_, partial_[0], partial_[1], line_out_) +
           scanner_.HeldBytes();
  }
  void ReleaseIdle() override { ReleaseIfEmpty(partial_[0], partial_[1], line_out_); }

 protected:
  // Protocol-specific line handlers; a server line may start a message (scanner_ active).
  virtual void ClientLine(ParseContext& ctx, absl::string_view line) = 0;
  virtual void ServerLine(ParseContext& ctx, absl::string_view line) = 0;
  void LoginResult(ParseContext& ctx, bool ok, absl::string_view reply);
  void MessageEnd(ParseContext& ctx);
  void ExportLogin(ParseContext& ctx);
  // Tells `fact` as a mail read (event 2) with what every such fact shares: the server, the
  // login reply and result, the protocol.
  void TellMail(ParseContext& ctx, MailFact& fact);

  uint32_t protocol_;
  bool done_ = false;
  std::string starttls_tag_;  // STLS ("+") or the STARTTLS command's tag, until the reply
  bool starts_tls_ = false;
  std::string user_;
  bool awaiting_login_ = false;
  bool logged_in_ = false;
  bool login_exported_ = false;
  uint32_t login_result_ = 0;
  std::string login_reply_;
  int messages_ = 0;
  MessageScanner scanner_;
  bool in_message_ = false;
  size_t literal_left_ = 0;  // IMAP: bytes of a literal still to come (server side)
  std::string partial_[2];
  std::string line_out_;  // the line being handled
};

class Pop3Parser : public MailboxParser {
 public:
  Pop3Parser() : MailboxParser(kMailProtocolPop3) {}

 private:
  void ClientLine(ParseContext& ctx, absl::string_view line) override;
  void ServerLine(ParseContext& ctx, absl::string_view line) override;
  std::string last_command_;
  bool multiline_ = false;       // a multi-line reply is running
  bool expect_message_ = false;  // the running reply is a message (RETR/TOP)
  bool auth_plain_pending_ = false;
};

class ImapParser : public MailboxParser {
 public:
  ImapParser() : MailboxParser(kMailProtocolImap) {}

 private:
  void ClientLine(ParseContext& ctx, absl::string_view line) override;
  void ServerLine(ParseContext& ctx, absl::string_view line) override;
  std::string login_tag_;
  bool auth_plain_pending_ = false;
};

}  // namespace xsensor
