#include "parsers/mail/smtp_parser.h"

#include <iconv.h>

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
constexpr size_t kMaxHeader = 16384;
constexpr size_t kMaxBodyScan = 4 << 20;

std::string ToUtf8(absl::string_view charset, absl::string_view bytes) {
  std::string cs = absl::AsciiStrToLower(charset);
  if (cs == "utf-8" || cs == "us-ascii" || cs.empty()) return std::string(bytes);
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(bytes);
  std::string in(bytes), out(bytes.size() * 4 + 4, '\0');
  char* ip = in.data();
  char* op = out.data();
  size_t il = in.size(), ol = out.size();
  size_t rc = iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) return std::string(bytes);
  out.resize(out.size() - ol);
  return out;
}

// RFC 2047 4.2: "Q" encoding.
std::string DecodeQ(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      out.push_back(' ');
    } else if (s[i] == '=' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
               absl::ascii_isxdigit(s[i + 2])) {
      out += absl::HexStringToBytes(s.substr(i + 1, 2));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The value of a MIME parameter ("boundary", "filename", "name") in a header value.
std::string Param(absl::string_view value, absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(value);
  size_t pos = 0;
  while ((pos = lower.find(absl::AsciiStrToLower(name), pos)) != std::string::npos) {
    size_t after = pos + name.size();
    bool starts = pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ' ||
                  lower[pos - 1] == '\t';
    size_t eq = lower.find_first_not_of(" \t", after);
    if (starts && eq != std::string::npos && (lower[eq] == '=' || lower[eq] == '*')) {
      size_t v = value.find('=', eq);
      if (v == absl::string_view::npos) return "";
      absl::string_view rest = absl::StripLeadingAsciiWhitespace(value.substr(v + 1));
      if (!rest.empty() && rest[0] == '"') {
        size_t close = rest.find('"', 1);
        return std::string(rest.substr(1, close == absl::string_view::npos ? close : close - 1));
      }
      return std::string(absl::StripAsciiWhitespace(rest.substr(0, rest.find(';'))));
    }
    pos = after;
  }
  return "";
}

}  // namespace

std::string DecodeRfc2047(absl::string_view v) {
  std::string out;
  bool last_was_word = false;
  while (!v.empty()) {
    size_t start = v.find("=?");
    if (start == absl::string_view::npos) {
      out.append(v.data(), v.size());
      break;
    }
    absl::string_view before = v.substr(0, start);
    // White space between two encoded words is dropped (RFC 2047 6.2).
    if (!(last_was_word && absl::StripAsciiWhitespace(before).empty())) {
      out.append(before.data(), before.size());
    }
    absl::string_view rest = v.substr(start + 2);
    std::vector<absl::string_view> parts = absl::StrSplit(rest, absl::MaxSplits('?', 3));
    size_t end = rest.find("?=", parts.size() >= 3 ? parts[0].size() + parts[1].size() + 2 : 0);
    if (parts.size() < 4 || parts[1].size() != 1 || end == absl::string_view::npos) {
      out.append("=?");
      v = rest;
      last_was_word = false;
      continue;
    }
    absl::string_view text = rest.substr(parts[0].size() + 3, end - parts[0].size() - 3);
    std::string bytes;
    char enc = absl::ascii_toupper(parts[1][0]);
    if (enc == 'B') {
      absl::Base64Unescape(text, &bytes);
    } else {
      bytes = DecodeQ(text);
    }
    absl::string_view charset = parts[0].substr(0, parts[0].find('*'));  // RFC 2231 language
    out += ToUtf8(charset, bytes);
    v = rest.substr(end + 2);
    last_was_word = true;
  }
  return out;
}

std::vector<std::string> HeaderAddresses(absl::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  int angle = 0;
  auto finish = [&] {
    absl::string_view c = absl::StripAsciiWhitespace(cur);
    size_t lt = c.rfind('<');
    size_t gt = c.rfind('>');
    if (lt != absl::string_view::npos && gt != absl::string_view::npos && gt > lt) {
      c = c.substr(lt + 1, gt - lt - 1);
    }
    if (!c.empty() && absl::StrContains(c, '@')) out.emplace_back(c);
    cur.clear();
  };
  for (char ch : value) {
    if (ch == '"') quoted = !quoted;
    if (!quoted && ch == '<') ++angle;
    if (!quoted && ch == '>' && angle > 0) --angle;
    if (ch == ',' && !quoted && angle == 0) {
      finish();
      continue;
    }
    cur.push_back(ch);
  }
  finish();
  return out;
}

std::unique_ptr<AppParser> MakeSmtpParser(const ParserOptions& options) {
  return std::make_unique<SmtpParser>(options);
}

void SmtpParser::ResetMessage() {
  sender_.clear();
  receivers_.clear();
  cc_.clear();
  subject_.clear();
  attachment_ = false;
  data_ = Data::kNone;
  awaiting_final_reply_ = false;
  header_.clear();
  boundary_.clear();
  in_part_headers_ = false;
  body_scanned_ = 0;
}

void SmtpParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  if (done_) return;
  int d = static_cast<int>(ctx.dir);
  if (ctx.dir == Dir::kToServer) client_packet_.Take(*ctx.origin.packet);
  while (!data.empty() && !done_) {
    size_t eol = data.find('\n');
    size_t n = eol == absl::string_view::npos ? data.size() : eol + 1;
    if (line_[d].size() + n <= kMaxLine) line_[d].append(data.data(), n);
    data.remove_prefix(n);
    if (eol == absl::string_view::npos) break;
    std::string line = std::move(line_[d]);
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
  if (data_ != Data::kNone) {
    if (line == ".") {  // end of the message data
      if (!header_.empty()) OnHeader(header_);
      header_.clear();
      data_ = Data::kNone;
      awaiting_final_reply_ = true;
      return;
    }
    if (absl::StartsWith(line, "..")) line.remove_prefix(1);  // dot-stuffing
    OnDataLine(line);
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
    absl::string_view path = arg.substr(0, arg.find('>') == absl::string_view::npos
                                               ? arg.find(' ')
                                               : arg.find('>') + 1);
    path = absl::StripSuffix(absl::StripPrefix(path, "<"), ">");
    if (cmd == "MAIL") {
      if (awaiting_final_reply_) Export(ctx);
      ResetMessage();
      sender_.assign(path.data(), path.size());
    } else {
      receivers_.emplace_back(path);
    }
  } else if (cmd == "DATA") {
    data_ = Data::kHeaders;
  } else if (cmd == "STARTTLS") {
    done_ = true;
  }
}

void SmtpParser::OnDataLine(absl::string_view line) {
  if (data_ == Data::kHeaders) {
    if (line.empty()) {
      if (!header_.empty()) OnHeader(header_);
      header_.clear();
      data_ = Data::kBody;
      return;
    }
    AddHeaderLine(line);
    return;
  }
  // The body: only MIME boundaries and part headers matter, up to a limit.
  if (boundary_.empty() || body_scanned_ > kMaxBodyScan) return;
  body_scanned_ += line.size() + 2;
  if (absl::StartsWith(line, "--") && line.substr(2, boundary_.size()) == boundary_) {
    in_part_headers_ = true;
    return;
  }
  if (!in_part_headers_) return;
  if (line.empty()) {
    if (!header_.empty()) OnHeader(header_);
    header_.clear();
    in_part_headers_ = false;
    return;
  }
  AddHeaderLine(line);
}

void SmtpParser::AddHeaderLine(absl::string_view line) {
  // A folded line continues the header being collected; another line completes it.
  if ((line.front() == ' ' || line.front() == '\t') && !header_.empty()) {
    if (header_.size() < kMaxHeader) header_.append(line.data(), line.size());
    return;
  }
  if (!header_.empty()) OnHeader(header_);
  header_.assign(line.data(), std::min(line.size(), kMaxHeader));
}

void SmtpParser::OnHeader(absl::string_view header) {
  size_t colon = header.find(':');
  if (colon == absl::string_view::npos) return;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.substr(0, colon)));
  absl::string_view value = absl::StripAsciiWhitespace(header.substr(colon + 1));
  if (data_ == Data::kHeaders) {
    if (name == "subject" && subject_.empty()) {
      subject_ = DecodeRfc2047(value);
    } else if (name == "cc") {
      for (auto& a : HeaderAddresses(value)) {
        if (!cc_.empty()) cc_.push_back(',');
        cc_ += a;
      }
    }
  }
  if (name == "content-type") {
    std::string b = Param(value, "boundary");
    if (!b.empty() && boundary_.empty()) boundary_ = b;
    if (data_ != Data::kHeaders && !Param(value, "name").empty()) attachment_ = true;
  } else if (name == "content-disposition") {
    if (absl::StartsWithIgnoreCase(value, "attachment") || !Param(value, "filename").empty()) {
      attachment_ = true;
    }
  }
}

void SmtpParser::OnReply(ParseContext& ctx, uint32_t code, absl::string_view line) {
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
  if (!client_packet_.valid() || (sender_.empty() && receivers_.empty())) return;
  ctx.counters->Inc(ParserCounters::kSmtpMessages);
  RecordOrigin origin = ctx.origin;
  origin.packet = client_packet_.view();
  origin.reversed = false;
  auto* r = ctx.records->Begin<schema::Mail>(origin);
  r->set_mail_sender(sender_);
  r->set_mail_receiver(absl::StrJoin(receivers_, ","));
  r->set_mail_cc(cc_);
  r->set_mail_subject(subject_);
  r->set_mail_servers(server_name_);
  r->set_mail_reply(reply_);
  r->set_event(1);
  r->set_attachment(attachment_ ? 1 : 0);
  r->set_mail_protocol(0);
  r->set_result_code(reply_code_);
  ctx.records->Emit(*r);
  reply_.clear();
  reply_code_ = 0;
  sender_.clear();
  receivers_.clear();
}

void SmtpParser::OnGap(ParseContext& ctx) {
  // A message's data cannot be delimited again with certainty: export what is known.
  if (data_ != Data::kNone || awaiting_final_reply_) Export(ctx);
  ResetMessage();
  line_[0].clear();
  line_[1].clear();
}

void SmtpParser::OnEnd(ParseContext& ctx) {
  if (data_ != Data::kNone || awaiting_final_reply_) Export(ctx);
}

}  // namespace xsensor
