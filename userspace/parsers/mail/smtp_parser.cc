#include "parsers/mail/smtp_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

constexpr size_t kMaxLine = 8192;

}  // namespace

std::unique_ptr<AppParser> MakeSmtpParser(const ParserOptions& options) {
  return std::make_unique<SmtpParser>(options);
}

void SmtpParser::ResetMessage() {
  sender_.clear();
  receivers_.clear();
  message_.Reset();
  in_data_ = false;
  awaiting_final_reply_ = false;
}

void SmtpParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  if (done_) return;
  int d = static_cast<int>(ctx.dir);
  while (!data.empty() && !done_) {
    size_t eol = data.find('\n');
    size_t n = eol == absl::string_view::npos ? data.size() : eol + 1;
    if (line_[d].size() + n <= kMaxLine) line_[d].append(data.data(), n);
    data.remove_prefix(n);
    if (eol == absl::string_view::npos) break;
    std::string& line = line_out_;
    line.swap(line_[d]);  // both buffers keep their capacity
    line_[d].clear();
    absl::string_view l = line;
    if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (ctx.dir == Dir::kToServer) {
      OnClientLine(ctx, l);
      continue;
    }
    uint32_t code = 0;
    if (l.size() < 3 || !absl::SimpleAtoi(l.substr(0, 3), &code)) continue;
    if (l.size() > 3 && l[3] == '-') {
      if (!multiline_code_ && server_name_.empty() && (code == 220 || code == 250)) {
        OnReply(ctx, code, l);  // the first line names the server
      }
      multiline_code_ = code;
      continue;
    }
    multiline_code_ = 0;
    OnReply(ctx, code, l);
  }
}

void SmtpParser::OnClientLine(ParseContext& ctx, absl::string_view line) {
  if (in_data_) {
    if (line == ".") {  // end of the message data
      message_.End();
      in_data_ = false;
      awaiting_final_reply_ = true;
      return;
    }
    if (absl::StartsWith(line, "..")) line.remove_prefix(1);  // dot-stuffing
    message_.Line(line);
    return;
  }
  size_t sp = line.find_first_of(" :");
  std::string cmd = absl::AsciiStrToUpper(line.substr(0, sp));
  if (cmd == "MAIL" || cmd == "RCPT") {
    size_t colon = line.find(':');
    absl::string_view arg = colon == absl::string_view::npos
                                ? absl::string_view()
                                : absl::StripAsciiWhitespace(line.substr(colon + 1));
    // "<a@b> SIZE=123": the path, without its angle brackets.
    absl::string_view path =
        arg.substr(0, arg.find('>') == absl::string_view::npos ? arg.find(' ') : arg.find('>') + 1);
    path = absl::StripSuffix(absl::StripPrefix(path, "<"), ">");
    if (cmd == "MAIL") {
      if (awaiting_final_reply_) Export(ctx);
      ResetMessage();
      sender_.assign(path.data(), path.size());
    } else {
      receivers_.emplace_back(path);
    }
  } else if (cmd == "DATA") {
    in_data_ = true;
  } else if (cmd == "STARTTLS") {
    starttls_asked_ = true;  // the reply says whether TLS follows (220) or not (454, 502)
  }
}

void SmtpParser::OnReply(ParseContext& ctx, uint32_t code, absl::string_view line) {
  if (starttls_asked_) {
    starttls_asked_ = false;
    if (code == 220) {  // RFC 3207: the TLS handshake follows
      starts_tls_ = done_ = true;
      return;
    }
  }
  if ((code == 220 || code == 250) && server_name_.empty() && line.size() > 4) {
    absl::string_view name = line.substr(4);
    name = name.substr(0, name.find(' '));
    if (absl::StrContains(name, '.') || code == 220) server_name_.assign(name.data(), name.size());
  }
  if (awaiting_final_reply_) {
    awaiting_final_reply_ = false;
    reply_.assign(line.data(), line.size());
    reply_code_ = code;
    Export(ctx);
  }
}

void SmtpParser::Export(ParseContext& ctx) {
  awaiting_final_reply_ = false;
  if (sender_.empty() && receivers_.empty()) return;
  ctx.counters->Inc(ParserCounters::kSmtpMessages);
  const std::string receivers = absl::StrJoin(receivers_, ",");
  const std::string cc = absl::StrJoin(message_.cc(), ",");
  MailFact fact;
  fact.sender = sender_;
  fact.receivers = receivers;
  fact.cc = cc;
  fact.subject = message_.subject();
  fact.servers = server_name_;
  fact.reply = reply_;
  fact.event = 1;
  fact.attachment = message_.attachment();
  fact.protocol = kMailProtocolSmtp;
  fact.result = reply_code_;
  ctx.facts->Mail(Dir::kToServer, fact);
  reply_.clear();
  reply_code_ = 0;
  sender_.clear();
  receivers_.clear();
}

void SmtpParser::OnGap(ParseContext& ctx) {
  // A message's data cannot be delimited again with certainty: export what is known.
  if (in_data_ || awaiting_final_reply_) Export(ctx);
  ResetMessage();
  line_[0].clear();
  line_[1].clear();
}

void SmtpParser::OnEnd(ParseContext& ctx) {
  if (in_data_ || awaiting_final_reply_) Export(ctx);
}

}  // namespace xsensor
