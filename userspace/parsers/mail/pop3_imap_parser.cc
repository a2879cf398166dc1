#include "parsers/mail/pop3_imap_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/net_address.h"

namespace xsensor {
namespace {

constexpr size_t kMaxLine = 8192;

// An IMAP astring: "quoted" (with \\ escapes) or an atom; advances *s past it.
std::string ImapString(absl::string_view* s) {
  *s = absl::StripLeadingAsciiWhitespace(*s);
  std::string out;
  if (!s->empty() && s->front() == '"') {
    size_t i = 1;
    for (; i < s->size() && (*s)[i] != '"'; ++i) {
      if ((*s)[i] == '\\' && i + 1 < s->size()) ++i;
      out.push_back((*s)[i]);
    }
    s->remove_prefix(std::min(i + 1, s->size()));
    return out;
  }
  size_t sp = s->find(' ');
  out = std::string(s->substr(0, sp));
  s->remove_prefix(sp == absl::string_view::npos ? s->size() : sp);
  return out;
}

}  // namespace

std::string SaslPlainUser(absl::string_view base64) {
  std::string raw;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(base64), &raw)) return "";
  std::vector<std::string> parts = absl::StrSplit(raw, '\0');
  return parts.size() >= 2 ? parts[1] : "";
}

std::unique_ptr<AppParser> MakePop3Parser(const ParserOptions&) {
  return std::make_unique<Pop3Parser>();
}
std::unique_ptr<AppParser> MakeImapParser(const ParserOptions&) {
  return std::make_unique<ImapParser>();
}

void MailboxParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  if (done_) return;
  int d = static_cast<int>(ctx.dir);
  while (!data.empty() && !done_) {
    if (ctx.dir == Dir::kToClient && literal_left_ > 0) {
      // IMAP literal bytes: message lines, whatever they look like. A line the previous
      // segment cut is in partial_ and continues here (a literal starts only after its
      // announcing line was handled, with partial_ empty).
      size_t n = std::min(literal_left_, data.size());
      absl::string_view chunk = data.substr(0, n);
      literal_left_ -= n;
      data.remove_prefix(n);
      for (absl::string_view l : absl::StrSplit(chunk, '\n')) {
        // A line longer than the limit keeps its first kMaxLine bytes, however many segments
        // it spans (a literal without line ends grew the buffer by a segment each).
        partial_[d].append(l.data(),
                           std::min(l.size(), kMaxLine - std::min(kMaxLine, partial_[d].size())));
        if (l.data() + l.size() < chunk.data() + chunk.size()) {  // a complete line
          absl::string_view line = absl::StripSuffix(partial_[d], "\r");
          scanner_.Line(line);
          partial_[d].clear();
        }
      }
      if (literal_left_ == 0) {
        if (!partial_[d].empty()) scanner_.Line(absl::StripSuffix(partial_[d], "\r"));
        partial_[d].clear();
        MessageEnd(ctx);
      }
      continue;
    }
    size_t eol = data.find('\n');
    size_t n = eol == absl::string_view::npos ? data.size() : eol + 1;
    if (partial_[d].size() + n <= kMaxLine) partial_[d].append(data.data(), n);
    data.remove_prefix(n);
    if (eol == absl::string_view::npos) break;
    std::string& line = line_out_;
    line.swap(partial_[d]);  // both buffers keep their capacity
    partial_[d].clear();
    absl::string_view l = absl::StripSuffix(absl::StripSuffix(line, "\n"), "\r");
    if (ctx.dir == Dir::kToServer) {
      ClientLine(ctx, l);
    } else {
      ServerLine(ctx, l);
    }
  }
}

void MailboxParser::LoginResult(ParseContext& ctx, bool ok, absl::string_view reply) {
  awaiting_login_ = false;
  logged_in_ = ok;
  login_result_ = ok ? 0 : 1;
  login_reply_.assign(reply.data(), reply.size());
  ctx.counters->Inc(ParserCounters::kMailLogins);
  if (!ok) ExportLogin(ctx);
}

void MailboxParser::MessageEnd(ParseContext& ctx) {
  in_message_ = false;
  scanner_.End();
  if (scanner_.saw_headers()) {
    ++messages_;
    ctx.counters->Inc(ParserCounters::kMailMessagesRead);
    const std::string sender = absl::StrJoin(scanner_.from(), ",");
    const std::string receivers = absl::StrJoin(scanner_.to(), ",");
    const std::string cc = absl::StrJoin(scanner_.cc(), ",");
    MailFact fact;
    fact.sender = sender;
    fact.receivers = receivers;
    fact.cc = cc;
    fact.subject = scanner_.subject();
    fact.attachment = scanner_.attachment();
    TellMail(ctx, fact);
  }
  scanner_.Reset();
}

void MailboxParser::TellMail(ParseContext& ctx, MailFact& fact) {
  // The reader is the client: the mailbox record is the server's side, named by its address.
  const std::string server = FormatIp(ctx.server);
  fact.servers = server;
  fact.reply = login_reply_;
  fact.event = 2;
  fact.protocol = protocol_;
  fact.result = login_result_;
  ctx.facts->Mail(Dir::kToClient, fact);
}

void MailboxParser::ExportLogin(ParseContext& ctx) {
  if (login_exported_ || user_.empty()) return;
  login_exported_ = true;
  MailFact fact;
  fact.receivers = user_;
  TellMail(ctx, fact);
}

void MailboxParser::OnGap(ParseContext& ctx) {
  partial_[static_cast<int>(ctx.dir)].clear();
  if (ctx.dir == Dir::kToClient) {
    if (in_message_) MessageEnd(ctx);
    literal_left_ = 0;
  }
}

void MailboxParser::OnEnd(ParseContext& ctx) {
  if (in_message_) MessageEnd(ctx);
  // A successful login after which no message was read is exported once.
  if (logged_in_ && messages_ == 0) ExportLogin(ctx);
}

void Pop3Parser::ClientLine(ParseContext& ctx, absl::string_view line) {
  if (auth_plain_pending_) {
    auth_plain_pending_ = false;
    user_ = SaslPlainUser(line);
    awaiting_login_ = true;
    return;
  }
  size_t sp = line.find(' ');
  std::string cmd = absl::AsciiStrToUpper(line.substr(0, sp));
  absl::string_view arg = sp == absl::string_view::npos ? "" : line.substr(sp + 1);
  last_command_ = cmd;
  if (cmd == "USER") {
    user_ = std::string(absl::StripAsciiWhitespace(arg));
  } else if (cmd == "PASS") {
    awaiting_login_ = true;
  } else if (cmd == "APOP") {
    user_ = std::string(arg.substr(0, arg.find(' ')));
    awaiting_login_ = true;
  } else if (cmd == "AUTH" && absl::StartsWithIgnoreCase(arg, "PLAIN")) {
    absl::string_view initial = absl::StripAsciiWhitespace(arg.substr(5));
    if (initial.empty()) {
      auth_plain_pending_ = true;  // the response follows the server's "+ "
    } else {
      user_ = SaslPlainUser(initial);
      awaiting_login_ = true;
    }
  } else if (cmd == "STLS") {
    starttls_tag_.assign(1, '+');  // RFC 2595 4: "+OK" and the TLS handshake follows
  }
}

void Pop3Parser::ServerLine(ParseContext& ctx, absl::string_view line) {
  if (!starttls_tag_.empty() && !multiline_) {
    starttls_tag_.clear();
    if (absl::StartsWith(line, "+OK")) {
      starts_tls_ = done_ = true;
      return;
    }
  }
  if (multiline_) {
    if (line == ".") {
      multiline_ = false;
      if (expect_message_) MessageEnd(ctx);
      expect_message_ = false;
      return;
    }
    if (expect_message_) {
      if (absl::StartsWith(line, "..")) line.remove_prefix(1);
      scanner_.Line(line);
    }
    return;
  }
  bool ok = absl::StartsWith(line, "+OK");
  bool err = absl::StartsWith(line, "-ERR");
  if (!ok && !err) return;  // "+ " continuation, or noise
  if (awaiting_login_) LoginResult(ctx, ok, line);
  if (!ok) return;
  if (last_command_ == "RETR" || last_command_ == "TOP") {
    multiline_ = true;
    expect_message_ = true;
    in_message_ = true;
    scanner_.Reset();
  } else if (last_command_ == "LIST" || last_command_ == "UIDL" || last_command_ == "CAPA") {
    multiline_ = !absl::StrContains(line, " ") || last_command_ == "CAPA" ||
                 line.size() <= 4;  // LIST with an argument answers on one line
  }
}

void ImapParser::ClientLine(ParseContext& ctx, absl::string_view line) {
  if (auth_plain_pending_) {
    auth_plain_pending_ = false;
    user_ = SaslPlainUser(line);
    awaiting_login_ = true;
    return;
  }
  absl::string_view rest = line;
  std::string tag = ImapString(&rest);
  std::string cmd = absl::AsciiStrToUpper(ImapString(&rest));
  if (cmd == "LOGIN") {
    user_ = ImapString(&rest);
    login_tag_ = tag;
    awaiting_login_ = true;
  } else if (cmd == "AUTHENTICATE" &&
             absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(rest), "PLAIN")) {
    login_tag_ = tag;
    absl::string_view initial =
        absl::StripAsciiWhitespace(absl::StripLeadingAsciiWhitespace(rest).substr(5));
    if (initial.empty()) {
      auth_plain_pending_ = true;
    } else {
      user_ = SaslPlainUser(initial);
      awaiting_login_ = true;
    }
  } else if (cmd == "STARTTLS") {
    starttls_tag_ = tag;  // RFC 3501 6.2.1: "<tag> OK" and the TLS handshake follows
  }
}

void ImapParser::ServerLine(ParseContext& ctx, absl::string_view line) {
  if (!starttls_tag_.empty() && absl::StartsWith(line, starttls_tag_ + " ")) {
    bool ok = absl::StartsWithIgnoreCase(line.substr(starttls_tag_.size() + 1), "OK");
    starttls_tag_.clear();
    if (ok) {
      starts_tls_ = done_ = true;
      return;
    }
  }
  if (awaiting_login_ && !login_tag_.empty() && absl::StartsWith(line, login_tag_ + " ")) {
    absl::string_view status = line.substr(login_tag_.size() + 1);
    LoginResult(ctx, absl::StartsWith(status, "OK"), line);
    return;
  }
  // "* 1 FETCH (... BODY[HEADER] {342}": the literal that follows is (part of) a message.
  if (absl::StartsWith(line, "* ") && absl::StrContains(line, "FETCH") &&
      absl::EndsWith(line, "}")) {
    size_t open = line.rfind('{');
    uint64_t n = 0;
    if (open != absl::string_view::npos &&
        absl::SimpleAtoi(absl::StripSuffix(line.substr(open + 1, line.size() - open - 2), "+"),
                         &n) &&
        n > 0) {
      literal_left_ = static_cast<size_t>(n);
      in_message_ = true;
      scanner_.Reset();
    }
  }
}

}  // namespace xsensor
