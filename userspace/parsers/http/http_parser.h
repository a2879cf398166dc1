// HTTP/1.x parsing: requests (client -> server) and, with http_parse_reply, replies, as facts.
//
// A push parser: it is fed the in-order bytes of the client's direction and keeps state across
// segments. The header block is collected (bounded by http_max_header_bytes) until its empty
// line, parsed once, exported, and then the request body is skipped by Content-Length or
// chunked framing so pipelined requests that follow are found. After a gap, or after input
// that is not a request, it resynchronises at the next line that starts a request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"

namespace xsensor {

// True when `payload` starts like an HTTP/1.x request ("GET ", "POST ", ...).
bool LooksLikeHttpRequest(absl::string_view payload);
// The request methods LooksLikeHttpRequest knows, each with its trailing space.
absl::Span<const absl::string_view> HttpRequestMethods();
// METHOD code of SPEC.md: 1 GET, 2 POST, 3 PUT, 4 DELETE, else 0.
uint32_t HttpMethodCode(absl::string_view method);
// The Host header value without a trailing ":port".
absl::string_view HttpHostWithoutPort(absl::string_view host);
// The host a request names in its target when it has no Host header: the authority of an
// absolute-form target ("http://user@host:port/path", as sent to proxies) or an
// authority-form one ("host:port", CONNECT), without userinfo; empty for an origin-form path.
absl::string_view HttpHostFromTarget(absl::string_view method, absl::string_view target);

std::unique_ptr<AppParser> MakeHttpParser(const ParserOptions& options);
// Raw records' secrets of HTTP (a feed's exchange, Zello's requests, any raw protocol over
// HTTP): Cookie, Set-Cookie, Authorization, Proxy-Authorization, a target's user:password@.
std::unique_ptr<SecretScanner> MakeHttpSecrets(Dir dir);

// The parsed request head; views alias the parser's buffer or the packet (valid during the
// call that produced them).
struct HttpRequestHead {
  absl::string_view method, target, version, host, referer, user_agent;
  std::string cookie;  // several Cookie headers are joined with "; "
  uint64_t content_length = 0;
  bool has_content_length = false;
  bool chunked = false;
};
// Parses a header block (request line + header lines, with or without the final empty line).
// Returns false when the first line is not a request line.
bool ParseHttpRequestHead(absl::string_view block, HttpRequestHead* head);

// The parsed status line and headers of a reply.
struct HttpReplyHead {
  uint32_t status = 0;
  absl::string_view content_type, location;
  uint64_t content_length = 0;
  bool has_content_length = false;
  bool chunked = false;
};
// Parses a reply header block ("HTTP/1.1 200 OK" + header lines). False if the first line is
// not a status line.
bool ParseHttpReplyHead(absl::string_view block, HttpReplyHead* head);

// Whether a reply is an RSS or Atom feed, by its Content-Type: kYes for application/rss+xml
// and application/atom+xml; kSniff when the type allows an XML body whose root then decides
// (none, text/xml, application/xml, any other +xml, text/plain, application/octet-stream);
// kNo for any other type.
enum class FeedVerdict { kNo, kYes, kSniff };
FeedVerdict FeedByContentType(absl::string_view content_type);
// Whether a reply body starting with `head` is a feed: its root element (after a byte order
// mark, the XML declaration, processing instructions, comments, a DOCTYPE and white space) is
// <rss>, <feed> (Atom) or <rdf:RDF> (RSS 1.0). kSniff: `head` ends before the root's name does.
FeedVerdict FeedByXmlRoot(absl::string_view head);

class HttpParser : public AppParser {
 public:
  explicit HttpParser(const ParserOptions& options) : options_(options) {}
  void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) override;
  void OnGap(ParseContext& ctx) override;
  // Without reply parsing, nothing the server sends is needed once a request was exported;
  // requests that follow on the connection still are.
  // With it, once a reply runs to the connection's end. Reply bodies of known length (by
  // Content-Length, or a chunk's size) may be skipped.
  bool WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const override;
  bool WantsSkip(Dir* dir, uint64_t* bytes) const override;
  uint8_t FoundMetaProto() const override {
    return found_ ? found_ : feed_ == Feed::kYes ? kMetaProtoRss : 0;
  }
  bool HoldsRaw() const override { return feed_ == Feed::kUndecided || feed_ == Feed::kSniffing; }
  void OnSkipped(ParseContext& ctx, uint64_t bytes) override;

  size_t HeldBytes() const override {
    return HeldBytesOf(streams_[0].buf, streams_[0].line, streams_[1].buf, streams_[1].line,
                       request_head_.cookie, sniff_);
  }
  void ReleaseIdle() override {
    ReleaseIfEmpty(streams_[0].buf, streams_[0].line, streams_[1].buf, streams_[1].line, sniff_);
  }

 private:
  enum class State {
    kHead,
    kBody,
    kBodyToClose,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kChunkTrailer,
    kResync,
    kDone
  };
  // One direction: requests (client -> server) or replies (server -> client).
  struct Stream {
    explicit Stream(bool is_requests) : requests(is_requests) {}
    bool requests;
    State state = State::kHead;
    std::string buf;   // header block collected across segments
    std::string line;  // a partial line (chunk size, trailer)
    uint32_t head_seq = 0;
    uint64_t body_left = 0;
    bool first_line_ok = false;  // the head being collected starts with a valid first line
    bool tentative = false;      // trying a line while resynchronising: a miss is not counted
    bool at_line_start = false;  // resync: the next byte starts a line
  };

  // Each returns the number of bytes of `data` consumed.
  size_t ConsumeHead(ParseContext& ctx, Stream& s, absl::string_view data, uint32_t seq);
  size_t ConsumeLine(Stream& s, absl::string_view data, bool* complete);  // bounded
  size_t ConsumeChunked(ParseContext& ctx, Stream& s, absl::string_view data);
  size_t ConsumeResync(Stream& s, absl::string_view data);
  void FinishHead(ParseContext& ctx, Stream& s, absl::string_view block);
  void FinishRequest(ParseContext& ctx, Stream& s, absl::string_view block);
  void FinishReply(ParseContext& ctx, Stream& s, absl::string_view block);
  void BadFirstLine(ParseContext& ctx, Stream& s);
  // Reply heads are read: for http_reply records, or to find feeds.
  bool ReadsReplies() const { return options_.http_parse_reply || options_.detect_feeds; }
  // Body bytes of the reply being sniffed for a feed's root element; `end`: the body ends here.
  void SniffBody(absl::string_view part, bool end);
  bool FirstLineOk(const Stream& s, absl::string_view line, bool* http09) const;

  ParserOptions options_;
  Stream streams_[2] = {Stream(true), Stream(false)};  // by Dir
  // Requests waiting for their reply (at most 64), oldest in bit 0: 1 for HEAD (its reply has
  // no body). A bit set, not a container: an HTTP flow allocates nothing for it.
  uint64_t pending_heads_ = 0;
  uint8_t pending_count_ = 0;
  bool exported_ = false;  // a request was exported
  uint8_t found_ = 0;      // kMetaProtoZello once a request names Zello in its Host
  // With detect_feeds, whether the current exchange (from its request's first byte to the next
  // request's) is a feed: undecided until its reply head, sniffing while the head left it to
  // the body's root element.
  enum class Feed : uint8_t { kNone, kUndecided, kSniffing, kYes };
  Feed feed_ = Feed::kNone;
  std::string sniff_;             // the body's first bytes while sniffing
  HttpRequestHead request_head_;  // reused for every request
};

}  // namespace xsensor
