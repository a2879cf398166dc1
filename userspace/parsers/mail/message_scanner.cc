#include "parsers/mail/message_scanner.h"

#include <iconv.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

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
    bool starts =
        pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ' || lower[pos - 1] == '\t';
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

void AppendHeaderAddresses(absl::string_view value, std::vector<std::string>* out) {
  // Entries are cut at commas outside quotes and angle brackets, as views: nothing is copied
  // but the addresses kept.
  bool quoted = false;
  int angle = 0;
  size_t start = 0;
  auto finish = [&](size_t end) {
    absl::string_view c = absl::StripAsciiWhitespace(value.substr(start, end - start));
    size_t lt = c.rfind('<');
    size_t gt = c.rfind('>');
    if (lt != absl::string_view::npos && gt != absl::string_view::npos && gt > lt) {
      c = c.substr(lt + 1, gt - lt - 1);
    }
    if (!c.empty() && absl::StrContains(c, '@')) out->emplace_back(c);
    start = end + 1;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const char ch = value[i];
    if (ch == '"') quoted = !quoted;
    if (!quoted && ch == '<') ++angle;
    if (!quoted && ch == '>' && angle > 0) --angle;
    if (ch == ',' && !quoted && angle == 0) finish(i);
  }
  finish(value.size());
}

std::vector<std::string> HeaderAddresses(absl::string_view value) {
  std::vector<std::string> out;
  AppendHeaderAddresses(value, &out);
  return out;
}

void MessageScanner::Line(absl::string_view line) {
  if (!in_body_) {
    if (line.empty()) {
      End();
      in_body_ = true;
      return;
    }
    saw_headers_ = true;
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
    End();
    in_part_headers_ = false;
    return;
  }
  AddHeaderLine(line);
}

void MessageScanner::End() {
  if (!header_.empty()) OnHeader(header_);
  header_.clear();
}

void MessageScanner::AddHeaderLine(absl::string_view line) {
  // A folded line continues the header being collected; another line completes it.
  if ((line.front() == ' ' || line.front() == '\t') && !header_.empty()) {
    if (header_.size() < kMaxHeader) header_.append(line.data(), line.size());
    return;
  }
  if (!header_.empty()) OnHeader(header_);
  header_.assign(line.data(), std::min(line.size(), kMaxHeader));
}

void MessageScanner::OnHeader(absl::string_view header) {
  size_t colon = header.find(':');
  if (colon == absl::string_view::npos) return;
  // Names are case-insensitive (RFC 5322 1.2.2): compared in place, not copied.
  const absl::string_view name = absl::StripAsciiWhitespace(header.substr(0, colon));
  auto is = [&](absl::string_view want) { return absl::EqualsIgnoreCase(name, want); };
  absl::string_view value = absl::StripAsciiWhitespace(header.substr(colon + 1));
  if (!in_body_) {
    if (is("subject") && !subject_set_) {
      subject_ = DecodeRfc2047(value);
      subject_set_ = true;
    } else if (is("from")) {
      AppendHeaderAddresses(value, &from_);
    } else if (is("to")) {
      AppendHeaderAddresses(value, &to_);
    } else if (is("cc")) {
      AppendHeaderAddresses(value, &cc_);
    }
  }
  if (is("content-type")) {
    std::string b = Param(value, "boundary");
    if (!b.empty() && boundary_.empty()) boundary_ = b;
    if (in_body_ && !Param(value, "name").empty()) attachment_ = true;
  } else if (is("content-disposition")) {
    if (absl::StartsWithIgnoreCase(value, "attachment") || !Param(value, "filename").empty()) {
      attachment_ = true;
    }
  }
}

}  // namespace xsensor
