#include "parsers/http/http_parser.h"

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

constexpr absl::string_view kMethods[] = {
    "GET ",        "POST ",      "HEAD ",   "PUT ",      "DELETE ",    "OPTIONS ",
    "CONNECT ",    "TRACE ",     "PATCH ",  "PROPFIND ", "PROPPATCH ", "MKCOL ",
    "COPY ",       "MOVE ",      "LOCK ",   "UNLOCK ",   "SEARCH ",    "REPORT ",
    "MKCALENDAR ", "SUBSCRIBE ", "NOTIFY ", "PURGE ",    "LINK ",      "UNLINK "};
constexpr size_t kMaxLine = 8192;
// A feed's root element must start within the body's first bytes (after its prolog).
constexpr size_t kMaxFeedSniff = 1024;

// tchar (RFC 9110 5.6.2), as a table.
constexpr auto kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : absl::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool IsTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

// The end of the header block (index just past its empty line) searching from `from`, or npos.
size_t FindHeadEnd(absl::string_view s, size_t from) {
  for (size_t i = s.find('\n', from); i != absl::string_view::npos; i = s.find('\n', i + 1)) {
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return absl::string_view::npos;
}

// Whether a Transfer-Encoding value names "chunked" (any case).
bool HasChunked(absl::string_view v) {
  for (size_t i = 0; i + 7 <= v.size(); ++i) {
    if (absl::EqualsIgnoreCase(v.substr(i, 7), "chunked")) return true;
  }
  return false;
}

absl::string_view TrimLine(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// A request line: METHOD SP target SP HTTP/x.y. Tolerated like other passive analysers do:
// a missing target ("OPTIONS HTTP/1.1") and a missing version ("GET /path", HTTP/0.9 style;
// then the target must start with '/' so that stray text is not taken for a request).
bool SplitRequestLine(absl::string_view line, absl::string_view* method, absl::string_view* target,
                      absl::string_view* version) {
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == absl::string_view::npos || sp1 > 32) return false;
  for (size_t i = 0; i < sp1; ++i) {
    if (!IsTokenChar(line[i])) return false;
  }
  *method = line.substr(0, sp1);
  absl::string_view rest = absl::StripAsciiWhitespace(line.substr(sp1 + 1));
  size_t sp2 = rest.rfind(' ');
  absl::string_view last = sp2 == absl::string_view::npos ? rest : rest.substr(sp2 + 1);
  if (absl::StartsWith(last, "HTTP/")) {
    *version = last;
    *target = sp2 == absl::string_view::npos
                  ? absl::string_view()
                  : absl::StripTrailingAsciiWhitespace(rest.substr(0, sp2));
    return true;
  }
  if (rest.empty() || rest.front() != '/' || rest.find(' ') != absl::string_view::npos) {
    return false;
  }
  *target = rest;
  *version = {};
  return true;
}

}  // namespace

absl::Span<const absl::string_view> HttpRequestMethods() { return kMethods; }

bool LooksLikeHttpRequest(absl::string_view payload) {
  for (auto m : kMethods) {
    if (absl::StartsWith(payload, m)) return true;
  }
  return false;
}

uint32_t HttpMethodCode(absl::string_view m) {
  if (m == "GET") return 1;
  if (m == "POST") return 2;
  if (m == "PUT") return 3;
  if (m == "DELETE") return 4;
  return 0;
}

absl::string_view HttpHostWithoutPort(absl::string_view host) {
  size_t colon = host.rfind(':');
  if (colon == absl::string_view::npos) return host;
  // "[v6]:port" or "name:port"; a bare IPv6 literal without brackets has no port.
  size_t bracket = host.rfind(']');
  if (bracket != absl::string_view::npos ? colon < bracket : host.find(':') != colon) return host;
  absl::string_view port = host.substr(colon + 1);
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return host;
  }
  return host.substr(0, colon);
}

absl::string_view HttpHostFromTarget(absl::string_view method, absl::string_view target) {
  absl::string_view authority;
  size_t scheme_end = target.find("://");
  if (scheme_end != absl::string_view::npos && scheme_end > 0 && scheme_end <= 8 &&
      absl::ascii_isalpha(static_cast<unsigned char>(target[0]))) {
    authority = target.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
  } else if (method == "CONNECT") {
    authority = target;
  } else {
    return {};
  }
  size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority = authority.substr(at + 1);
  return HttpHostWithoutPort(authority);
}

bool ParseHttpRequestHead(absl::string_view block, HttpRequestHead* h) {
  // Reset field by field: the cookie buffer keeps its capacity when `h` is reused.
  h->method = h->target = h->version = h->host = h->referer = h->user_agent = {};
  h->cookie.clear();
  h->content_length = 0;
  h->has_content_length = h->chunked = false;
  size_t eol = block.find('\n');
  absl::string_view first = TrimLine(block.substr(0, eol));
  if (!SplitRequestLine(first, &h->method, &h->target, &h->version)) return false;
  if (eol == absl::string_view::npos) return true;
  absl::string_view* last = nullptr;  // the value continuation lines extend (views only)
  // Lines are found with memchr directly: absl::string_view's find is an out-of-line call.
  const char* p = block.data() + eol + 1;
  const char* const end = block.data() + block.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl ? nl : end;
    if (line_end > p && line_end[-1] == '\r') --line_end;
    absl::string_view line(p, line_end - p);
    p = nl ? nl + 1 : end;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      // obs-fold continuation: extend the previous view over the fold, which is contiguous.
      if (last && !last->empty()) {
        const char* fold_end = line.data() + line.size();
        *last = absl::string_view(last->data(), fold_end - last->data());
      }
      continue;
    }
    last = nullptr;
    const char* c = static_cast<const char*>(std::memchr(line.data(), ':', line.size()));
    if (!c) continue;
    size_t colon = static_cast<size_t>(c - line.data());
    absl::string_view name = absl::StripTrailingAsciiWhitespace(line.substr(0, colon));
    // Most header lines are none of the few wanted here: their names are told apart by
    // length first, compared (case-insensitively) only when the length matches.
    auto value = [&] { return absl::StripAsciiWhitespace(line.substr(colon + 1)); };
    switch (name.size()) {
      case 4:
        if (absl::EqualsIgnoreCase(name, "host") && h->host.empty()) {
          h->host = value();
          last = &h->host;
        }
        break;
      case 6:
        if (absl::EqualsIgnoreCase(name, "cookie")) {
          absl::string_view v = value();
          if (!h->cookie.empty()) h->cookie.append("; ");
          h->cookie.append(v.data(), v.size());
        }
        break;
      case 7:
        if (absl::EqualsIgnoreCase(name, "referer")) {
          h->referer = value();
          last = &h->referer;
        }
        break;
      case 10:
        if (absl::EqualsIgnoreCase(name, "user-agent")) {
          h->user_agent = value();
          last = &h->user_agent;
        }
        break;
      case 14:
        if (absl::EqualsIgnoreCase(name, "content-length")) {
          uint64_t n;
          if (absl::SimpleAtoi(value(), &n)) {
            h->content_length = n;
            h->has_content_length = true;
          }
        }
        break;
      case 17:
        if (absl::EqualsIgnoreCase(name, "transfer-encoding") && HasChunked(value())) {
          h->chunked = true;
        }
        break;
    }
  }
  return true;
}

std::unique_ptr<AppParser> MakeHttpParser(const ParserOptions& options) {
  return std::make_unique<HttpParser>(options);
}

bool ParseHttpReplyHead(absl::string_view block, HttpReplyHead* h) {
  *h = HttpReplyHead();
  size_t eol = block.find('\n');
  absl::string_view first = TrimLine(block.substr(0, eol));
  // HTTP-version SP 3DIGIT [SP reason]
  if (!absl::StartsWith(first, "HTTP/") || first.size() < 12 || first[8] != ' ') return false;
  absl::string_view code = first.substr(9, 3);
  if (!absl::SimpleAtoi(code, &h->status) || h->status < 100 || h->status > 999 ||
      (first.size() > 12 && first[12] != ' ')) {
    return false;
  }
  if (eol == absl::string_view::npos) return true;
  absl::string_view rest = block.substr(eol + 1);
  while (!rest.empty()) {
    eol = rest.find('\n');
    absl::string_view line = TrimLine(rest.substr(0, eol));
    rest = eol == absl::string_view::npos ? absl::string_view() : rest.substr(eol + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || line.front() == ' ' || line.front() == '\t') continue;
    absl::string_view name = absl::StripTrailingAsciiWhitespace(line.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-type")) {
      h->content_type = value;
    } else if (absl::EqualsIgnoreCase(name, "location")) {
      h->location = value;
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      h->has_content_length = absl::SimpleAtoi(value, &h->content_length);
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      if (absl::StrContains(absl::AsciiStrToLower(value), "chunked")) h->chunked = true;
    }
  }
  return true;
}

void HttpParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) {
  Stream& s = streams_[static_cast<int>(ctx.dir)];
  if (!s.requests && !ReadsReplies()) return;
  while (!data.empty()) {
    size_t n = 0;
    switch (s.state) {
      case State::kHead:
        n = ConsumeHead(ctx, s, data, seq);
        break;
      case State::kBody:
        n = static_cast<size_t>(std::min<uint64_t>(s.body_left, data.size()));
        s.body_left -= n;
        if (!s.requests && feed_ == Feed::kSniffing) SniffBody(data.substr(0, n), s.body_left == 0);
        if (s.body_left == 0) s.state = State::kHead;
        break;
      case State::kBodyToClose:
        n = data.size();
        if (!s.requests && feed_ == Feed::kSniffing) SniffBody(data, false);
        break;
      case State::kDone:
        n = data.size();
        break;
      case State::kChunkSize:
      case State::kChunkData:
      case State::kChunkDataEnd:
      case State::kChunkTrailer:
        n = ConsumeChunked(ctx, s, data);
        break;
      case State::kResync:
        n = ConsumeResync(s, data);
        break;
    }
    data.remove_prefix(n);
    seq += static_cast<uint32_t>(n);
  }
}

void HttpParser::OnGap(ParseContext& ctx) {
  Stream& s = streams_[static_cast<int>(ctx.dir)];
  if (!s.requests && feed_ == Feed::kSniffing) feed_ = Feed::kNone;  // the body's start is lost
  if (s.state == State::kBodyToClose || s.state == State::kDone) return;
  // Framing is lost: drop partial state and look for the next first line. (The pairing queue
  // stays: a lost reply leaves one request unpaired, which only matters for HEAD.)
  ctx.counters->Inc(ParserCounters::kHttpResyncs);
  s.buf.clear();
  s.line.clear();
  s.first_line_ok = false;
  // Lost segments usually end where a segment, often a message, starts: try the next bytes
  // as a first line (tentatively) before skipping to the next line.
  s.at_line_start = true;
  s.state = State::kResync;
}

bool HttpParser::WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const {
  if (!exported_ || feed_ == Feed::kSniffing) return false;
  // With replies read, a reply whose body runs to the connection's end is the last thing the
  // server sends.
  if (ReadsReplies() && streams_[1].state != State::kBodyToClose) return false;
  *skip_to_client = true;
  *skip_to_server_data = false;
  return true;
}

bool HttpParser::WantsSkip(Dir* dir, uint64_t* bytes) const {
  const Stream& s = streams_[static_cast<int>(Dir::kToClient)];
  if (!ReadsReplies() || feed_ == Feed::kSniffing ||
      (s.state != State::kBody && s.state != State::kChunkData)) {
    return false;
  }
  *dir = Dir::kToClient;
  *bytes = s.body_left;
  return true;
}

void HttpParser::OnSkipped(ParseContext& ctx, uint64_t bytes) {
  Stream& s = streams_[static_cast<int>(ctx.dir)];
  if ((s.state == State::kBody || s.state == State::kChunkData) && bytes <= s.body_left) {
    // As OnData would have read them.
    s.body_left -= bytes;
    if (s.body_left == 0) s.state = s.state == State::kBody ? State::kHead : State::kChunkDataEnd;
    return;
  }
  OnGap(ctx);
}

bool HttpParser::FirstLineOk(const Stream& s, absl::string_view line, bool* http09) const {
  *http09 = false;
  if (!s.requests) {
    HttpReplyHead h;
    return ParseHttpReplyHead(line, &h);
  }
  absl::string_view m, t, v;
  if (!SplitRequestLine(line, &m, &t, &v)) return false;
  *http09 = v.empty();
  return true;
}

void HttpParser::BadFirstLine(ParseContext& ctx, Stream& s) {
  if (!s.tentative) {
    ctx.counters->Inc(s.requests ? ParserCounters::kHttpBadRequestLine
                                 : ParserCounters::kHttpBadStatusLine);
  }
  s.buf.clear();
  s.first_line_ok = false;
  s.tentative = false;
  s.at_line_start = true;  // the bad line was consumed through its '\n'
  s.state = State::kResync;
}

size_t HttpParser::ConsumeHead(ParseContext& ctx, Stream& s, absl::string_view data, uint32_t seq) {
  if (s.buf.empty() && !s.first_line_ok) {
    // Blank lines between messages are allowed (RFC 9112 2.2).
    size_t skip = 0;
    while (skip < data.size() && (data[skip] == '\r' || data[skip] == '\n')) ++skip;
    if (skip) return skip;
    s.head_seq = seq;
    // A request starts an exchange: whether it is a feed's, its reply will tell.
    if (s.requests && options_.detect_feeds) feed_ = Feed::kUndecided;
  }
  if (!s.first_line_ok) {
    // Check the first line as soon as it is complete, consuming no byte past it if bad.
    size_t eol = data.find('\n');
    if (eol == absl::string_view::npos) {
      s.buf.append(data.data(), data.size());
      if (s.buf.size() > kMaxLine) {
        BadFirstLine(ctx, s);
        s.at_line_start = false;
      }
      return data.size();
    }
    std::string joined;
    absl::string_view line = data.substr(0, eol + 1);
    if (!s.buf.empty()) {
      joined = s.buf;
      joined.append(line.data(), line.size());
      line = joined;
    }
    bool http09 = false;
    if (!FirstLineOk(s, TrimLine(line.substr(0, line.size() - 1)), &http09)) {
      BadFirstLine(ctx, s);
      return eol + 1;
    }
    if (http09 && eol + 1 == data.size()) {
      // HTTP/0.9: the line alone is the request. (When more follows in the same segment,
      // it is read as header lines, as other analysers do.)
      std::string block(line);
      s.buf.clear();
      FinishHead(ctx, s, block);
      return eol + 1;
    }
    s.first_line_ok = true;
    if (!s.buf.empty()) {
      s.buf.append(data.data(), eol + 1);
      return eol + 1;
    }
  }
  if (s.buf.empty()) {
    size_t end = FindHeadEnd(data, 0);
    if (end != absl::string_view::npos && end <= options_.http_max_header_bytes) {
      FinishHead(ctx, s, data.substr(0, end));
      return end;
    }
  }
  size_t old = s.buf.size();
  size_t room =
      options_.http_max_header_bytes - std::min<size_t>(old, options_.http_max_header_bytes);
  size_t take = std::min(room, data.size());
  s.buf.append(data.data(), take);
  size_t end = FindHeadEnd(s.buf, old >= 2 ? old - 2 : 0);
  if (end != std::string::npos) {
    std::string block = std::move(s.buf);
    s.buf.clear();
    FinishHead(ctx, s, absl::string_view(block).substr(0, end));
    return end - old;
  }
  if (s.buf.size() >= options_.http_max_header_bytes) {
    // Export what the head holds so far, then look for the next message.
    ctx.counters->Inc(ParserCounters::kHttpHeaderTooLong);
    std::string block = std::move(s.buf);
    s.buf.clear();
    FinishHead(ctx, s, block);
    s.at_line_start = false;
    s.state = State::kResync;
  }
  return take;
}

void HttpParser::FinishHead(ParseContext& ctx, Stream& s, absl::string_view block) {
  s.first_line_ok = false;
  s.tentative = false;
  s.state = State::kHead;
  if (s.requests) {
    FinishRequest(ctx, s, block);
  } else {
    FinishReply(ctx, s, block);
  }
}

void HttpParser::FinishRequest(ParseContext& ctx, Stream& s, absl::string_view block) {
  HttpRequestHead& h = request_head_;  // reused: no allocation per request
  if (!ParseHttpRequestHead(block, &h)) {
    ctx.counters->Inc(ParserCounters::kHttpBadRequestLine);
    s.state = State::kResync;
    return;
  }
  ctx.counters->Inc(ParserCounters::kHttpRequests);
  HttpRequestFact fact;
  fact.host = HttpHostWithoutPort(h.host);
  // No Host header (an HTTP/1.0 request to a proxy, a bare CONNECT): the target's authority.
  if (fact.host.empty()) fact.host = HttpHostFromTarget(h.method, h.target);
  std::string dns_name;
  if (fact.host.empty() && ServerNameFromDns(ctx, &dns_name)) {
    fact.host = dns_name;  // no Host header: the name DNS gave (HOST_TYPE 2)
    fact.source = NameSource::kDns;
  }
  fact.target = h.target;
  fact.referer = h.referer;
  fact.user_agent = h.user_agent;
  fact.cookie = h.cookie;
  fact.method = HttpMethodCode(h.method);
  fact.tcp_sequence = s.head_seq;
  ctx.facts->HttpRequest(fact);
  exported_ = true;
  if (!found_ && IsZelloServerName(fact.host)) {  // Zello's WebSocket, in clear
    found_ = kMetaProtoZello;
    TellZelloSession(ctx, fact.host);
  }
  if (ReadsReplies() && pending_count_ < 64) {
    pending_heads_ |= uint64_t{h.method == "HEAD"} << pending_count_++;
  }

  if (h.chunked) {
    s.state = State::kChunkSize;
    s.line.clear();
  } else if (h.has_content_length && h.content_length > 0) {
    s.state = State::kBody;
    s.body_left = h.content_length;
  }
}

void HttpParser::FinishReply(ParseContext& ctx, Stream& s, absl::string_view block) {
  HttpReplyHead h;
  if (!ParseHttpReplyHead(block, &h)) {
    ctx.counters->Inc(ParserCounters::kHttpBadStatusLine);
    s.state = State::kResync;
    return;
  }
  // 1xx replies are interim: the final reply to the same request follows (101 switches the
  // connection to another protocol: nothing more to read).
  if (h.status == 101) {
    s.state = State::kDone;
    if (feed_ != Feed::kYes) feed_ = Feed::kNone;
    return;
  }
  if (h.status < 200) return;
  bool head = false;
  if (pending_count_ == 0) {
    ctx.counters->Inc(ParserCounters::kHttpReplyWithoutRequest);
  } else {
    head = pending_heads_ & 1;
    pending_heads_ >>= 1;
    --pending_count_;
  }
  ctx.counters->Inc(ParserCounters::kHttpReplies);
  if (options_.http_parse_reply) {
    HttpReplyFact fact;
    fact.status = h.status;
    fact.content_length = h.content_length;
    fact.content_type = h.content_type;
    fact.location = h.location;
    ctx.facts->HttpReply(fact);
  }
  // RFC 9112 6.3: the reply's body length.
  const bool no_body = head || h.status == 204 || h.status == 304 ||
                       (h.has_content_length && h.content_length == 0 && !h.chunked);
  if (options_.detect_feeds) {
    const FeedVerdict v = FeedByContentType(h.content_type);
    feed_ = v == FeedVerdict::kYes                 ? Feed::kYes
            : v == FeedVerdict::kSniff && !no_body ? Feed::kSniffing
                                                   : Feed::kNone;
    sniff_.clear();
  }
  if (head || h.status == 204 || h.status == 304) return;
  if (h.chunked) {
    s.state = State::kChunkSize;
    s.line.clear();
  } else if (h.has_content_length) {
    if (h.content_length > 0) {
      s.state = State::kBody;
      s.body_left = h.content_length;
    }
  } else {
    s.state = State::kBodyToClose;  // delimited by the connection's end
  }
}

void HttpParser::SniffBody(absl::string_view part, bool end) {
  FeedVerdict v;
  if (sniff_.empty()) {
    v = FeedByXmlRoot(part.substr(0, kMaxFeedSniff));  // mostly decided here, without a copy
    if (v == FeedVerdict::kSniff && !end && part.size() < kMaxFeedSniff) {
      sniff_.assign(part.data(), part.size());  // the prolog goes on in the next bytes
      return;
    }
  } else {
    sniff_.append(part.data(), std::min(part.size(), kMaxFeedSniff - sniff_.size()));
    v = FeedByXmlRoot(sniff_);
    if (v == FeedVerdict::kSniff && !end && sniff_.size() < kMaxFeedSniff) return;
  }
  feed_ = v == FeedVerdict::kYes ? Feed::kYes : Feed::kNone;
  sniff_.clear();
}

size_t HttpParser::ConsumeLine(Stream& s, absl::string_view data, bool* complete) {
  size_t eol = data.find('\n');
  size_t n = eol == absl::string_view::npos ? data.size() : eol + 1;
  size_t keep = std::min(n, kMaxLine - std::min(kMaxLine, s.line.size()));
  s.line.append(data.data(), keep);
  *complete = eol != absl::string_view::npos;
  return n;
}

size_t HttpParser::ConsumeChunked(ParseContext& ctx, Stream& s, absl::string_view data) {
  if (s.state == State::kChunkData) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.body_left, data.size()));
    s.body_left -= n;
    if (!s.requests && feed_ == Feed::kSniffing) SniffBody(data.substr(0, n), false);
    if (s.body_left == 0) s.state = State::kChunkDataEnd;
    return n;
  }
  bool complete = false;
  size_t n = ConsumeLine(s, data, &complete);
  if (!complete) return n;
  absl::string_view line = absl::StripAsciiWhitespace(s.line);
  switch (s.state) {
    case State::kChunkSize: {
      absl::string_view hex = line.substr(0, line.find(';'));  // chunk extensions
      uint64_t size = 0;
      if (hex.empty() || hex.size() > 15 ||
          !absl::SimpleHexAtoi(absl::StripAsciiWhitespace(hex), &size)) {
        ctx.counters->Inc(ParserCounters::kHttpBadChunk);
        s.state = State::kResync;
        s.at_line_start = true;
        break;
      }
      if (size == 0) {
        s.state = State::kChunkTrailer;
        if (!s.requests && feed_ == Feed::kSniffing) SniffBody({}, true);
      } else {
        s.body_left = size;
        s.state = State::kChunkData;
      }
      break;
    }
    case State::kChunkDataEnd:
      s.state = State::kChunkSize;  // the CRLF after the chunk's data
      break;
    case State::kChunkTrailer:
      if (line.empty()) s.state = State::kHead;
      break;
    default:
      break;
  }
  s.line.clear();
  return n;
}

size_t HttpParser::ConsumeResync(Stream& s, absl::string_view data) {
  if (s.at_line_start) {
    // Try this line as a first line; the head logic falls back here if it is not.
    s.state = State::kHead;
    s.tentative = true;
    s.at_line_start = false;
    return 0;
  }
  size_t eol = data.find('\n');
  if (eol == absl::string_view::npos) return data.size();
  s.at_line_start = true;
  return eol + 1;
}

FeedVerdict FeedByContentType(absl::string_view content_type) {
  absl::string_view t = absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';')));
  if (absl::EqualsIgnoreCase(t, "application/rss+xml") ||
      absl::EqualsIgnoreCase(t, "application/atom+xml")) {
    return FeedVerdict::kYes;
  }
  if (t.empty() || absl::EqualsIgnoreCase(t, "text/xml") ||
      absl::EqualsIgnoreCase(t, "application/xml") || absl::EndsWithIgnoreCase(t, "+xml") ||
      absl::EqualsIgnoreCase(t, "text/plain") ||
      absl::EqualsIgnoreCase(t, "application/octet-stream")) {
    return FeedVerdict::kSniff;
  }
  return FeedVerdict::kNo;
}

FeedVerdict FeedByXmlRoot(absl::string_view b) {
  constexpr absl::string_view kBom = "\xEF\xBB\xBF";
  if (b.size() < kBom.size() && absl::StartsWith(kBom, b)) return FeedVerdict::kSniff;
  absl::ConsumePrefix(&b, kBom);
  // Whether `b` starts with `what`, may still (it is shorter), or does not.
  auto starts = [&b](absl::string_view what) {
    return b.size() >= what.size() ? absl::StartsWith(b, what) : absl::StartsWith(what, b);
  };
  for (;;) {
    b = absl::StripLeadingAsciiWhitespace(b);
    if (b.empty()) return FeedVerdict::kSniff;
    if (b[0] != '<') return FeedVerdict::kNo;
    if (b.size() < 2) return FeedVerdict::kSniff;
    size_t end = absl::string_view::npos;
    if (b[1] == '?') {  // the XML declaration, a processing instruction
      end = b.find("?>", 2);
      if (end == absl::string_view::npos) return FeedVerdict::kSniff;
      b.remove_prefix(end + 2);
      continue;
    }
    if (b[1] == '!') {
      if (starts("<!--")) {
        if (b.size() < 4) return FeedVerdict::kSniff;
        end = b.find("-->", 4);
        if (end == absl::string_view::npos) return FeedVerdict::kSniff;
        b.remove_prefix(end + 3);
        continue;
      }
      if (!starts("<!DOCTYPE")) return FeedVerdict::kNo;
      // Up to its '>', past an internal subset in brackets.
      int depth = 0;
      for (size_t i = 2; i < b.size() && end == absl::string_view::npos; ++i) {
        if (b[i] == '[') ++depth;
        if (b[i] == ']') --depth;
        if (b[i] == '>' && depth <= 0) end = i;
      }
      if (end == absl::string_view::npos) return FeedVerdict::kSniff;
      b.remove_prefix(end + 1);
      continue;
    }
    // The root element: its name ends at white space, '>' or '/'.
    size_t n = 1;
    while (n < b.size() && !absl::ascii_isspace(static_cast<unsigned char>(b[n])) && b[n] != '>' &&
           b[n] != '/') {
      ++n;
    }
    if (n == b.size()) return FeedVerdict::kSniff;
    absl::string_view name = b.substr(1, n - 1);
    return name == "rss" || name == "feed" || name == "rdf:RDF" ? FeedVerdict::kYes
                                                                : FeedVerdict::kNo;
  }
}

}  // namespace xsensor

namespace xsensor {

std::unique_ptr<SecretScanner> MakeHttpSecrets(Dir dir) {
  return std::make_unique<HeaderSecretScanner>(/*set_cookie=*/dir == Dir::kToClient);
}

}  // namespace xsensor
