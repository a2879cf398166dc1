#include "parsers/xmpp/xmpp_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

constexpr size_t kMaxBuffer = 64 << 10;

// The value of attribute `name` in a start tag's text ('...' or "...").
std::string Attr(absl::string_view tag, absl::string_view name) {
  for (size_t pos = 0; (pos = tag.find(name, pos)) != absl::string_view::npos; pos += name.size()) {
    bool starts = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t' || tag[pos - 1] == '\n');
    size_t eq = pos + name.size();
    if (!starts || eq + 1 >= tag.size() || tag[eq] != '=') continue;
    char q = tag[eq + 1];
    if (q != '\'' && q != '"') continue;
    size_t end = tag.find(q, eq + 2);
    if (end == absl::string_view::npos) return "";
    return std::string(tag.substr(eq + 2, end - eq - 2));
  }
  return "";
}

// The text content of the first <name ...>text</name> in `s` at or after `from`.
bool Element(absl::string_view s, absl::string_view name, std::string* tag, std::string* text) {
  std::string open = absl::StrCat("<", name);
  size_t p = s.find(open);
  while (p != absl::string_view::npos) {
    char after = p + open.size() < s.size() ? s[p + open.size()] : '\0';
    if (after == ' ' || after == '>' || after == '/' || after == '\t' || after == '\n') break;
    p = s.find(open, p + 1);
  }
  if (p == absl::string_view::npos) return false;
  size_t gt = s.find('>', p);
  if (gt == absl::string_view::npos) return false;
  *tag = std::string(s.substr(p, gt - p + 1));
  text->clear();
  if (s[gt - 1] == '/') return true;  // empty element
  size_t close = s.find(absl::StrCat("</", name, ">"), gt);
  if (close == absl::string_view::npos) return false;
  *text = std::string(s.substr(gt + 1, close - gt - 1));
  return true;
}

}  // namespace

bool LooksLikeXmppStream(absl::string_view p) {
  if (absl::StrContains(p.substr(0, 256), "<stream:stream")) return true;
  // RFC 6120 4.2: the stream header may be preceded by an XML declaration, which some clients
  // send in a segment of its own ("<?xml version='1.0' ?>" then "<stream:stream ...>").
  if (!absl::StartsWith(p, "<?xml")) return false;
  size_t end = p.find("?>");
  return end != absl::string_view::npos && end < 128 &&
         absl::StripAsciiWhitespace(p.substr(end + 2)).empty();
}

std::string DigestMd5User(absl::string_view base64) {
  std::string raw;
  if (!absl::Base64Unescape(base64, &raw)) return "";
  size_t p = raw.find("username=");
  if (p == std::string::npos) return "";
  absl::string_view v = absl::string_view(raw).substr(p + 9);
  if (!v.empty() && v[0] == '"') {
    size_t end = v.find('"', 1);
    return std::string(v.substr(1, end == absl::string_view::npos ? end : end - 1));
  }
  return std::string(v.substr(0, v.find(',')));
}

std::unique_ptr<AppParser> MakeXmppParser(const ParserOptions& options) {
  return std::make_unique<XmppParser>(options);
}

void XmppParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  if (done_) return;
  int d = static_cast<int>(ctx.dir);
  if (ctx.dir == Dir::kToServer) client_spoke_ = true;
  buf_[d].append(data.data(), std::min(data.size(), kMaxBuffer));
  Scan(ctx, ctx.dir);
  if (buf_[d].size() > kMaxBuffer) buf_[d].erase(0, buf_[d].size() - kMaxBuffer / 2);
}

void XmppParser::Scan(ParseContext& ctx, Dir dir) {
  std::string& b = buf_[static_cast<int>(dir)];
  std::string tag, text;
  // Process complete elements one at a time, consuming the buffer up to each.
  while (true) {
    size_t lt = b.find('<');
    if (lt == std::string::npos) {
      b.clear();
      return;
    }
    size_t gt = b.find('>', lt);
    if (gt == std::string::npos) {
      b.erase(0, lt);
      return;
    }
    absl::string_view start(b.data() + lt, gt - lt + 1);
    // The element's name; "/name" for an end tag.
    size_t name_end = start.find_first_of(" \t\n/>", start[1] == '/' ? 2 : 1);
    std::string name(start.substr(1, name_end - 1));
    size_t consumed = gt + 1;
    if (name == "stream:stream" && dir == Dir::kToServer && server_.empty()) {
      server_ = Attr(start, "to");
    } else if (name == "auth" || name == "response" || name == "jid" || name == "username" ||
               name == "password") {
      // Elements with text: wait for the closing tag.
      if (!Element(absl::string_view(b).substr(lt), name, &tag, &text)) {
        if (b.size() - lt > kMaxBuffer / 2) {
          b.clear();  // never closes within bounds
        } else {
          b.erase(0, lt);
        }
        return;
      }
      consumed = b.find('>', lt + tag.size() - 1) + 1;
      if (!text.empty()) consumed = b.find("</" + name + ">", lt) + name.size() + 3;
      text = std::string(absl::StripAsciiWhitespace(text));
      if (name == "auth" && dir == Dir::kToServer) {
        std::string mech = Attr(tag, "mechanism");
        std::string raw;
        if (mech == "PLAIN" && absl::Base64Unescape(text, &raw)) {
          std::vector<std::string> parts = absl::StrSplit(raw, '\0');
          if (parts.size() >= 3) {
            login_ = parts[1];
            password_ = parts[2];
          }
        } else if (absl::StartsWith(mech, "SCRAM") && absl::Base64Unescape(text, &raw)) {
          size_t n = raw.find("n=");
          if (n != std::string::npos) login_ = raw.substr(n + 2, raw.find(',', n) - n - 2);
        }
      } else if (name == "response" && dir == Dir::kToServer && login_.empty()) {
        login_ = DigestMd5User(text);
      } else if (name == "jid" && dir == Dir::kToClient) {
        jid_ = text;
      } else if (name == "username" && dir == Dir::kToServer) {
        login_ = text;  // legacy jabber:iq:auth
      } else if (name == "password" && dir == Dir::kToServer) {
        password_ = text;
      }
    } else if (name == "success" && dir == Dir::kToClient) {
      result_ = 0;
    } else if (name == "failure" && dir == Dir::kToClient) {
      result_ = 1;
    } else if (name == "message" && dir == Dir::kToServer) {
      std::string to = Attr(start, "to");
      if (!to.empty() && receivers_.size() < 64 &&
          std::find(receivers_.begin(), receivers_.end(), to) == receivers_.end()) {
        receivers_.push_back(to);
      }
    } else if (name == "starttls" && dir == Dir::kToServer) {
      starttls_asked_ = true;
    } else if (name == "proceed" && dir == Dir::kToClient && starttls_asked_) {
      Export(ctx);
      starts_tls_ = done_ = true;  // RFC 6120 5.4.3.3: the TLS negotiation follows
      return;
    } else if (name == "/stream:stream") {
      Export(ctx);
    }
    b.erase(0, std::min(consumed, b.size()));
  }
}

void XmppParser::Export(ParseContext& ctx) {
  if (exported_ || !client_spoke_) return;
  exported_ = true;
  // A stream seen without any of these (e.g. picked up mid-stream between stanzas of
  // presence) says nothing worth a record.
  if (server_.empty() && login_.empty() && jid_.empty() && receivers_.empty()) return;
  ctx.counters->Inc(ParserCounters::kXmppSessions);
  const std::string receivers = absl::StrJoin(receivers_, ",");
  ImSessionFact fact;
  fact.login = login_;
  fact.password = password_;
  fact.screen_name = jid_.empty() ? server_ : jid_;
  fact.protocol = kImProtocolXmpp;
  fact.receivers = receivers;
  fact.result = result_ < 0 ? 0 : static_cast<uint32_t>(result_);
  ctx.facts->ImSession(fact);
}

void XmppParser::OnGap(ParseContext& ctx) { buf_[static_cast<int>(ctx.dir)].clear(); }

void XmppParser::OnEnd(ParseContext& ctx) { Export(ctx); }

}  // namespace xsensor

namespace xsensor {
namespace {

// The client's stream, byte by byte: text, a tag (its name read to decide), or the content of
// a secret element up to the next '<' (text content holds no raw '<').
class XmppSecrets final : public SecretScanner {
 public:
  void Scan(absl::string_view d, std::vector<SecretSpan>* out) override {
    SecretRun run(out);
    for (size_t i = 0; i < d.size(); ++i) {
      const char c = d[i];
      switch (state_) {
        case kText:
          if (c == '<') StartTag();
          break;
        case kTag:
          if (c == '>') {
            state_ = !closing_ && last_ != '/' && SecretElement() ? kSecret : kText;
          } else {
            if (!name_done_) {
              if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/') {
                name_done_ = !name_.empty() || c != '/';
                if (c == '/' && name_.empty()) closing_ = true;
              } else if (name_.size() < 32) {
                name_ += c;
              }
            }
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') last_ = c;
          }
          break;
        case kSecret:
          if (c == '<') {
            run.End(i, true);
            StartTag();
          } else {
            run.Secret(i);
          }
          break;
      }
    }
    run.Finish(d.size());
  }

 private:
  void StartTag() {
    state_ = kTag;
    name_.clear();
    name_done_ = closing_ = false;
    last_ = 0;
  }
  bool SecretElement() const {
    absl::string_view local = name_;
    if (size_t colon = local.rfind(':'); colon != absl::string_view::npos) {
      local.remove_prefix(colon + 1);
    }
    return local == "auth" || local == "response" || local == "password" || local == "digest";
  }

  enum State { kText, kTag, kSecret } state_ = kText;
  std::string name_;
  bool name_done_ = false, closing_ = false;
  char last_ = 0;
};

}  // namespace

std::unique_ptr<SecretScanner> MakeXmppSecrets(Dir dir) {
  if (dir != Dir::kToServer) return MakeNoSecrets(dir);
  return std::make_unique<XmppSecrets>();
}

}  // namespace xsensor
