#include "parsers/sip/sip_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

constexpr size_t kMaxMessage = 64 << 10;
constexpr absl::string_view kMethods[] = {
    "INVITE ",    "ACK ",    "BYE ",     "CANCEL ", "REGISTER ", "OPTIONS ", "PRACK ",
    "SUBSCRIBE ", "NOTIFY ", "PUBLISH ", "INFO ",   "REFER ",    "MESSAGE ", "UPDATE "};

absl::string_view TrimCr(absl::string_view l) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

// End of the header block (index past the empty line), or npos.
size_t HeadEnd(absl::string_view s) {
  for (size_t i = s.find('\n'); i != absl::string_view::npos; i = s.find('\n', i + 1)) {
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return absl::string_view::npos;
}

// "SIP/2.0/UDP host:port;params" -> host (a view into `via`)
absl::string_view ViaHost(absl::string_view via) {
  via = absl::StripAsciiWhitespace(via);
  size_t sp = via.find_first_of(" \t");
  if (sp == absl::string_view::npos) return "";
  absl::string_view sent_by = absl::StripLeadingAsciiWhitespace(via.substr(sp));
  sent_by = sent_by.substr(0, sent_by.find_first_of(";, \t"));
  if (absl::StartsWith(sent_by, "[")) {
    size_t close = sent_by.find(']');
    return sent_by.substr(1, close == absl::string_view::npos ? close : close - 1);
  }
  return sent_by.substr(0, sent_by.find(':'));
}

}  // namespace

std::vector<absl::string_view> SipMessageStarts() {
  std::vector<absl::string_view> out(std::begin(kMethods), std::end(kMethods));
  out.push_back("SIP/2.0 ");
  return out;
}

bool LooksLikeSip(absl::string_view p) {
  if (absl::StartsWith(p, "SIP/2.0 ")) return true;
  for (auto m : kMethods) {
    if (absl::StartsWith(p, m)) return absl::StrContains(p.substr(0, 512), "SIP/2.0");
  }
  return false;
}

void SipMessage::Clear() {
  request = false;
  status = 0;
  content_length = 0;
  has_content_length = false;
  for (std::string* s : {&method, &uri, &reason, &from, &to, &call_id, &cseq_method, &user_agent,
                         &server, &content_type, &via_hosts}) {
    s->clear();
  }
}

bool ParseSipHead(absl::string_view block, SipMessage* m) {
  m->Clear();
  size_t eol = block.find('\n');
  absl::string_view first = TrimCr(block.substr(0, eol));
  if (absl::StartsWith(first, "SIP/2.0 ")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    absl::string_view rest = first.substr(8);
    if (rest.size() < 3 || !absl::SimpleAtoi(rest.substr(0, 3), &m->status)) return false;
    absl::string_view reason = absl::StripAsciiWhitespace(rest.substr(3));
    m->reason.assign(reason.data(), reason.size());
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version
    absl::string_view parts[3];
    size_t n = 0;
    for (absl::string_view part : absl::StrSplit(first, ' ', absl::SkipEmpty())) {
      if (n == 3) return false;
      parts[n++] = part;
    }
    if (n != 3 || parts[2] != "SIP/2.0") return false;
    m->request = true;
    m->method.assign(parts[0].data(), parts[0].size());
    m->uri.assign(parts[1].data(), parts[1].size());
  }
  absl::string_view rest = eol == absl::string_view::npos ? "" : block.substr(eol + 1);
  std::string* last = nullptr;
  for (absl::string_view line : absl::StrSplit(rest, '\n')) {
    line = TrimCr(line);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && last) {  // folded continuation
      absl::StrAppend(last, " ", absl::StripAsciiWhitespace(line));
      continue;
    }
    last = nullptr;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    // Header names are case-insensitive (RFC 3261 7.3.1); compared in place, not copied.
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    auto is = [&](absl::string_view a, absl::string_view compact = {}) {
      return absl::EqualsIgnoreCase(name, a) ||
             (!compact.empty() && absl::EqualsIgnoreCase(name, compact));
    };
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    auto set = [&](std::string* field) {
      if (field->empty()) {
        field->assign(value.data(), value.size());
        last = field;
      }
    };
    if (is("from", "f")) {
      set(&m->from);
    } else if (is("to", "t")) {
      set(&m->to);
    } else if (is("call-id", "i")) {
      set(&m->call_id);
    } else if (is("user-agent")) {
      set(&m->user_agent);
    } else if (is("server")) {
      set(&m->server);
    } else if (is("content-type", "c")) {
      set(&m->content_type);
    } else if (is("cseq")) {
      // CSeq = 1*DIGIT LWS Method
      absl::string_view parts[2];
      size_t n = 0;
      for (absl::string_view part : absl::StrSplit(value, ' ', absl::SkipEmpty())) {
        if (n < 2) parts[n] = part;
        ++n;
      }
      if (n == 2) m->cseq_method.assign(parts[1].data(), parts[1].size());
    } else if (is("via", "v")) {
      for (absl::string_view v : absl::StrSplit(value, ',')) {
        absl::string_view host = ViaHost(v);
        if (host.empty()) continue;
        if (!m->via_hosts.empty()) m->via_hosts += ',';
        m->via_hosts.append(host.data(), host.size());
      }
    } else if (is("content-length", "l")) {
      m->has_content_length = absl::SimpleAtoi(value, &m->content_length);
    }
  }
  return true;
}

std::unique_ptr<AppParser> MakeSipParser(const ParserOptions& options) {
  return std::make_unique<SipParser>(options);
}

void SipParser::Emit(ParseContext& ctx, const SipMessage& m) {
  ctx.counters->Inc(m.request ? ParserCounters::kSipRequests : ParserCounters::kSipResponses);
  SipMessageFact fact;
  fact.msg_code = m.request ? m.method : m.cseq_method;
  fact.status = m.status;
  fact.uri = m.uri;
  fact.from = m.from;
  fact.to = m.to;
  fact.call_id = m.call_id;
  // UAGENT is the client application: the User-Agent header. A response's Server header
  // names the server, not a user agent.
  fact.user_agent = m.user_agent;
  fact.content_type = m.content_type;
  fact.via_hosts = m.via_hosts;
  ctx.facts->SipMessage(ctx.dir, fact);
}

// One message at a time per thread, parsed and emitted before the next: its strings keep
// their capacity across messages and flows, so a warm worker parses SIP without allocating.
SipMessage& SipParser::Scratch() {
  thread_local SipMessage m;
  return m;
}

void SipParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t) {
  if (ctx.l4_proto != 6) {
    // UDP: one message per datagram (a body follows its headers).
    SipMessage& m = Scratch();
    size_t end = HeadEnd(data);
    if (!ParseSipHead(end == absl::string_view::npos ? data : data.substr(0, end), &m)) {
      ctx.counters->Inc(ParserCounters::kSipMalformed);
      return;
    }
    Emit(ctx, m);
    return;
  }
  std::string& buf = buf_[static_cast<int>(ctx.dir)];
  buf.append(data.data(), data.size());
  while (!buf.empty()) {
    // Keep-alive CRLFs between messages (RFC 5626 4.4.1).
    size_t skip = buf.find_first_not_of("\r\n");
    if (skip == std::string::npos) {
      buf.clear();
      break;
    }
    buf.erase(0, skip);
    size_t end = HeadEnd(buf);
    if (end == std::string::npos) {
      if (buf.size() > kMaxMessage) {
        ctx.counters->Inc(ParserCounters::kSipMalformed);
        buf.clear();
      }
      break;
    }
    SipMessage& m = Scratch();
    if (!ParseSipHead(absl::string_view(buf).substr(0, end), &m)) {
      // Not a start line: drop through the next empty line and look again.
      ctx.counters->Inc(ParserCounters::kSipMalformed);
      buf.erase(0, end);
      continue;
    }
    if (end + m.content_length > buf.size()) {
      if (end + m.content_length > kMaxMessage) {  // skip a huge body, keep the headers
        Emit(ctx, m);
        buf.clear();
        ctx.counters->Inc(ParserCounters::kSipMalformed);
      }
      break;  // the body is still coming
    }
    Emit(ctx, m);
    buf.erase(0, end + m.content_length);
  }
}

void SipParser::OnGap(ParseContext& ctx) {
  buf_[static_cast<int>(ctx.dir)].clear();
  ctx.counters->Inc(ParserCounters::kSipMalformed);
}

}  // namespace xsensor

namespace xsensor {

std::unique_ptr<SecretScanner> MakeSipSecrets(Dir) {
  return std::make_unique<HeaderSecretScanner>(/*set_cookie=*/false);
}

}  // namespace xsensor
