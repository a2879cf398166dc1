#include "parsers/http/http_parser.h"

#include <gtest/gtest.h>

#include "testing/packet_builder.h"
#include "testing/parse_harness.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class CollectingSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    order += m.GetDescriptor()->name() == "HttpReply" ? "R" : "Q";
    if (m.GetDescriptor()->name() == "HttpReply") {
      schema::HttpReply r;
      r.CopyFrom(m);
      replies.push_back(r);
      return;
    }
    schema::Clickstream c;
    c.CopyFrom(m);
    records.push_back(c);
  }
  std::vector<schema::Clickstream> records;
  std::vector<schema::HttpReply> replies;
  std::string order;  // Q request, R reply, in emission order
};

class HttpParserTest : public ::testing::Test {
 protected:
  HttpParserTest() : parser_(std::make_unique<HttpParser>(options_)) {
    frame_ = testing::PacketBuilder().Eth().Ipv4("10.0.0.2", "10.0.0.1").Tcp(4000, 80, 1).Build();
    DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(frame_.data()),
                 frame_.size(), frame_.size(), &packet_);
    harness_ =
        std::make_unique<testing::ParseHarness>(&sink_, &options_, &counters_, packet_, 42, 3);
  }
  void Feed(absl::string_view data, Dir dir = Dir::kToServer) {
    ParseContext ctx = harness_->Context(dir, 1700000000'000000);
    uint32_t& seq = dir == Dir::kToServer ? seq_ : reply_seq_;
    parser_->OnData(ctx, data, seq);
    seq += static_cast<uint32_t>(data.size());
  }
  void Gap(uint32_t lost) {
    ParseContext ctx = harness_->Context(Dir::kToServer, 0);
    parser_->OnGap(ctx);
    seq_ += lost;
  }

  ParserOptions options_;
  CollectingSink sink_;
  ParserCounters counters_;
  std::unique_ptr<testing::ParseHarness> harness_;
  std::unique_ptr<HttpParser> parser_;
  std::string frame_;
  PacketView packet_;
  uint32_t seq_ = 1000;
  uint32_t reply_seq_ = 9000;
};

TEST_F(HttpParserTest, OneRequestAllFields) {
  Feed(
      "GET /a/b?c=1 HTTP/1.1\r\nHost: www.example.com:8080\r\nReferer: http://r/\r\n"
      "User-Agent: curl/8.0\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 1u);
  const auto& r = sink_.records[0];
  EXPECT_EQ(r.hostname(), "www.example.com");
  EXPECT_EQ(r.path(), "/a/b?c=1");
  EXPECT_EQ(r.referer(), "http://r/");
  EXPECT_EQ(r.user_agent(), "curl/8.0");
  EXPECT_EQ(r.cookie(), "a=1; b=2");
  EXPECT_EQ(r.method(), 1u);
  EXPECT_EQ(r.host_type(), 1u);
  EXPECT_EQ(r.session_id(), 42u);
  EXPECT_EQ(r.tcp_sequence(), 1000u);
  EXPECT_EQ(r.time_stamp(), 1700000000u);
  EXPECT_EQ(r.port_source(), 4000u);
  EXPECT_EQ(r.port_destination(), 80u);
  EXPECT_EQ(r.bridge_channel_num(), 3u);
  EXPECT_EQ(r.ip_source(), std::string("\x0a\x00\x00\x02", 4));
  EXPECT_EQ(r.login(), "");
}

TEST_F(HttpParserTest, HeaderSplitAcrossSegmentsAtEveryByte) {
  const std::string req =
      "POST /form HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nContent-Length: 5\r\n\r\nhello"
      "DELETE /x HTTP/1.1\r\nHost: h2\r\n\r\n";
  for (size_t cut = 1; cut < req.size(); ++cut) {
    sink_.records.clear();
    parser_ = std::make_unique<HttpParser>(options_);
    seq_ = 1000;
    Feed(absl::string_view(req).substr(0, cut));
    Feed(absl::string_view(req).substr(cut));
    ASSERT_EQ(sink_.records.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(sink_.records[0].method(), 2u);
    EXPECT_EQ(sink_.records[0].user_agent(), "ua");
    EXPECT_EQ(sink_.records[1].method(), 4u);
    EXPECT_EQ(sink_.records[1].hostname(), "h2");
    EXPECT_EQ(sink_.records[1].tcp_sequence(), 1000u + 72u) << "cut at " << cut;
  }
}

TEST_F(HttpParserTest, PipelinedRequestsWithChunkedBodyInOneSegment) {
  Feed(
      "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nGET /\r\n0\r\nX-Trailer: y\r\n\r\n"
      "HEAD /h HTTP/1.1\r\nHost: b\r\n\r\n"
      "OPTIONS * HTTP/1.1\r\nHost: c\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 3u);
  EXPECT_EQ(sink_.records[0].method(), 3u);
  EXPECT_EQ(sink_.records[1].path(), "/h");
  EXPECT_EQ(sink_.records[1].method(), 0u);  // HEAD has no METHOD code
  EXPECT_EQ(sink_.records[2].path(), "*");
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpBadRequestLine), 0u);
}

TEST_F(HttpParserTest, Http09AndBareLf) {
  Feed("GET /old\n");
  Feed("GET /lf HTTP/1.0\nHost: lf\n\n");
  ASSERT_EQ(sink_.records.size(), 2u);
  EXPECT_EQ(sink_.records[0].path(), "/old");
  EXPECT_EQ(sink_.records[0].hostname(), "");
  EXPECT_EQ(sink_.records[1].hostname(), "lf");
}

TEST_F(HttpParserTest, ResynchronisesAfterGapAndGarbage) {
  Feed("GET /1 HTTP/1.1\r\nHost: a\r\nCont");
  Gap(100);
  Feed("inued-garbage\r\nmore garbage\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].path(), "/2");
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpResyncs), 1u);
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpBadRequestLine), 0u);

  Feed("\x16\x03\x01 binary\r\nGET /3 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 2u);
  EXPECT_EQ(sink_.records[1].path(), "/3");
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpBadRequestLine), 1u);
}

TEST_F(HttpParserTest, OverlongHeaderGivesPartialRecordThenRecovers) {
  options_.http_max_header_bytes = 256;
  parser_ = std::make_unique<HttpParser>(options_);
  Feed("GET /big HTTP/1.1\r\nHost: big\r\nCookie: " + std::string(1000, 'c') + "\r\n\r\n");
  Feed("GET /next HTTP/1.1\r\nHost: n\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 2u);
  EXPECT_EQ(sink_.records[0].hostname(), "big");
  EXPECT_LE(sink_.records[0].cookie().size(), 256u);
  EXPECT_EQ(sink_.records[1].path(), "/next");
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpHeaderTooLong), 1u);
}

TEST_F(HttpParserTest, ServerDirectionIsNotARequest) {
  Feed("GET /x HTTP/1.1\r\n\r\n", Dir::kToClient);
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(HttpParserTest, RepliesPairWithRequestsInOrder) {
  options_.http_parse_reply = true;
  parser_ = std::make_unique<HttpParser>(options_);
  // Pipelined: a HEAD, a POST with a body, a GET; then the replies: 100 Continue (interim),
  // the HEAD's reply (Content-Length but no body), a chunked reply, a redirect without body.
  Feed(
      "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "GET /g HTTP/1.1\r\nHost: a\r\n\r\n");
  Feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nContent-Type: text/html\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
      "\r\n4\r\n{}{}\r\n0\r\n\r\n"
      "HTTP/1.1 302 Found\r\nLocation: http://b/x\r\nContent-Length: 0\r\n\r\n",
      Dir::kToClient);
  ASSERT_EQ(sink_.replies.size(), 3u);
  EXPECT_EQ(sink_.order, "QQQRRR");
  EXPECT_EQ(sink_.replies[0].result_code(), 200u);
  EXPECT_EQ(sink_.replies[0].content_length(), 5000u);
  EXPECT_EQ(sink_.replies[0].content_type(), "text/html");
  EXPECT_EQ(sink_.replies[1].result_code(), 201u);
  EXPECT_EQ(sink_.replies[1].content_type(), "application/json");
  EXPECT_EQ(sink_.replies[2].result_code(), 302u);
  EXPECT_EQ(sink_.replies[2].location(), "http://b/x");
  EXPECT_EQ(sink_.replies[2].session_id(), 42u);
  EXPECT_EQ(counters_.Get(ParserCounters::kHttpReplyWithoutRequest), 0u);
}

TEST_F(HttpParserTest, ReplyBodyWithLengthIsSkippedAcrossSegments) {
  options_.http_parse_reply = true;
  parser_ = std::make_unique<HttpParser>(options_);
  Feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string body(3000, 'H');  // looks like nothing, must not be read as a reply
  const std::string fake = "HTTP/1.1 500 Bad\r\n";
  body.replace(100, fake.size(), fake);
  Feed("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + body.substr(0, 1000), Dir::kToClient);
  Feed(body.substr(1000), Dir::kToClient);
  Feed("HTTP/1.0 404 Not Found\r\n\r\nno length: the body runs to the close", Dir::kToClient);
  ASSERT_EQ(sink_.replies.size(), 2u);
  EXPECT_EQ(sink_.replies[0].result_code(), 200u);
  EXPECT_EQ(sink_.replies[1].result_code(), 404u);
}

TEST_F(HttpParserTest, RepliesNotParsedUnlessConfigured) {
  Feed("GET / HTTP/1.1\r\n\r\n");
  Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Dir::kToClient);
  EXPECT_TRUE(sink_.replies.empty());
  bool to_client = false, to_server = true;
  EXPECT_TRUE(parser_->WantsBypass(&to_client, &to_server));
  EXPECT_TRUE(to_client);
  EXPECT_FALSE(to_server);
}

TEST_F(HttpParserTest, ProxyRequestsWithoutHostTakeTheTargetsAuthority) {
  Feed(
      "GET http://user:pw@www.example.org:8080/x?y=1 HTTP/1.0\r\nUser-Agent: old/1\r\n\r\n"
      "CONNECT mail.example.net:443 HTTP/1.1\r\n\r\n"
      "GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
  ASSERT_EQ(sink_.records.size(), 3u);
  EXPECT_EQ(sink_.records[0].hostname(), "www.example.org");
  EXPECT_EQ(sink_.records[0].path(), "http://user:pw@www.example.org:8080/x?y=1");  // as sent
  EXPECT_EQ(sink_.records[0].host_type(), 1u);
  EXPECT_EQ(sink_.records[1].hostname(), "mail.example.net");
  EXPECT_EQ(sink_.records[1].path(), "mail.example.net:443");
  EXPECT_EQ(sink_.records[2].hostname(), "b.example");  // a Host header is taken as given
}

// With raw export on, reply heads are read (without http_reply records unless configured) to
// tell each exchange that is a feed: undecided from its request's first byte, a feed by the
// reply's type or its body's root element, until the next request starts.
TEST_F(HttpParserTest, FeedExchangesAreToldFromTheReply) {
  options_.detect_feeds = true;
  parser_ = std::make_unique<HttpParser>(options_);
  EXPECT_FALSE(parser_->HoldsRaw());
  Feed("GET /a.rss HTTP/1.1\r\nHo");
  EXPECT_TRUE(parser_->HoldsRaw());  // a request started: its reply will tell
  EXPECT_EQ(parser_->FoundMetaProto(), 0);
  Feed("st: h\r\n\r\n");
  bool to_client = false, to_server = false;
  EXPECT_FALSE(parser_->WantsBypass(&to_client, &to_server));  // replies are still needed
  Feed("HTTP/1.1 200 OK\r\nContent-Type: Application/RSS+XML\r\nContent-Length: 5\r\n\r\n<rss",
       Dir::kToClient);
  EXPECT_FALSE(parser_->HoldsRaw());
  EXPECT_EQ(parser_->FoundMetaProto(), kMetaProtoRss);
  Feed(">", Dir::kToClient);
  EXPECT_EQ(parser_->FoundMetaProto(), kMetaProtoRss);  // the exchange lasts until the next request
  Feed("GET /x.xml HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(parser_->HoldsRaw());
  EXPECT_EQ(parser_->FoundMetaProto(), 0);
  // text/xml: the body decides, here from a root name split between segments.
  Feed(
      "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 44\r\n\r\n<?xml "
      "version='1.0'?><fe",
      Dir::kToClient);
  EXPECT_TRUE(parser_->HoldsRaw());
  Dir dir;
  uint64_t bytes = 0;
  EXPECT_FALSE(parser_->WantsSkip(&dir, &bytes));  // the body is needed while it decides
  Feed("ed xmlns='a'></feed>", Dir::kToClient);
  EXPECT_FALSE(parser_->HoldsRaw());
  EXPECT_EQ(parser_->FoundMetaProto(), kMetaProtoRss);
  // An XML document with another root, then a page: no feed, and the page's body may be
  // skipped as with replies parsed.
  Feed("GET /note HTTP/1.1\r\n\r\n");
  Feed("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 6\r\n\r\n<note>",
       Dir::kToClient);
  EXPECT_FALSE(parser_->HoldsRaw());
  EXPECT_EQ(parser_->FoundMetaProto(), 0);
  Feed("GET /page HTTP/1.1\r\n\r\n");
  Feed("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 90000\r\n\r\n<html>",
       Dir::kToClient);
  EXPECT_FALSE(parser_->HoldsRaw());
  EXPECT_EQ(parser_->FoundMetaProto(), 0);
  ASSERT_TRUE(parser_->WantsSkip(&dir, &bytes));
  EXPECT_EQ(bytes, 90000u - 6);
  EXPECT_EQ(sink_.records.size(), 4u);
  EXPECT_TRUE(sink_.replies.empty());  // read, not exported: http_parse_reply is off
}

TEST(HttpHelpersTest, FeedsByTypeAndRootElement) {
  EXPECT_EQ(FeedByContentType("application/rss+xml"), FeedVerdict::kYes);
  EXPECT_EQ(FeedByContentType(" application/atom+xml ; charset=utf-8"), FeedVerdict::kYes);
  EXPECT_EQ(FeedByContentType("text/xml; charset=utf-8"), FeedVerdict::kSniff);
  EXPECT_EQ(FeedByContentType("application/rdf+xml"), FeedVerdict::kSniff);
  EXPECT_EQ(FeedByContentType(""), FeedVerdict::kSniff);
  EXPECT_EQ(FeedByContentType("text/html"), FeedVerdict::kNo);
  EXPECT_EQ(FeedByContentType("image/png"), FeedVerdict::kNo);
  EXPECT_EQ(FeedByContentType("application/rss+xmlx"), FeedVerdict::kNo);

  const std::string atom =
      "\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<!-- a <feed> in a comment -->"
      "<!DOCTYPE feed [<!ENTITY a \"<b>\">]>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">";
  const size_t decided = atom.find("<feed xmlns") + 5;  // the name ends at the space after it
  for (size_t n = 0; n <= atom.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(FeedByXmlRoot(absl::string_view(atom).substr(0, n)),
              n <= decided ? FeedVerdict::kSniff : FeedVerdict::kYes);
  }
  EXPECT_EQ(FeedByXmlRoot("<rss version=\"2.0\">"), FeedVerdict::kYes);
  EXPECT_EQ(FeedByXmlRoot("\n <rdf:RDF xmlns:rdf=\"x\">"), FeedVerdict::kYes);
  EXPECT_EQ(FeedByXmlRoot("<feed>"), FeedVerdict::kYes);
  EXPECT_EQ(FeedByXmlRoot("<rssx>"), FeedVerdict::kNo);
  EXPECT_EQ(FeedByXmlRoot("<html><rss>"), FeedVerdict::kNo);
  EXPECT_EQ(FeedByXmlRoot("rss"), FeedVerdict::kNo);
  EXPECT_EQ(FeedByXmlRoot("\x1f\x8b\x08"), FeedVerdict::kNo);  // compressed
  EXPECT_EQ(FeedByXmlRoot("<![CDATA[x]]>"), FeedVerdict::kNo);
}

TEST(HttpHelpersTest, HostFromTarget) {
  EXPECT_EQ(HttpHostFromTarget("GET", "http://h.example/p"), "h.example");
  EXPECT_EQ(HttpHostFromTarget("GET", "https://[2001:db8::1]:8443/"), "[2001:db8::1]");
  EXPECT_EQ(HttpHostFromTarget("GET", "http://h.example?q"), "h.example");
  EXPECT_EQ(HttpHostFromTarget("CONNECT", "h.example:443"), "h.example");
  EXPECT_EQ(HttpHostFromTarget("GET", "/p?u=http://x/"), "");
  EXPECT_EQ(HttpHostFromTarget("GET", "*"), "");
  EXPECT_EQ(HttpHostFromTarget("GET", "/a://b/"), "");
}

TEST(HttpHelpersTest, HostWithoutPortAndMethods) {
  EXPECT_EQ(HttpHostWithoutPort("a.b:8080"), "a.b");
  EXPECT_EQ(HttpHostWithoutPort("[::1]:80"), "[::1]");
  EXPECT_EQ(HttpHostWithoutPort("[::1]"), "[::1]");
  EXPECT_EQ(HttpHostWithoutPort("::1"), "::1");
  EXPECT_EQ(HttpHostWithoutPort("a.b:x"), "a.b:x");
  EXPECT_EQ(HttpMethodCode("GET"), 1u);
  EXPECT_EQ(HttpMethodCode("POST"), 2u);
  EXPECT_EQ(HttpMethodCode("PUT"), 3u);
  EXPECT_EQ(HttpMethodCode("DELETE"), 4u);
  EXPECT_EQ(HttpMethodCode("PATCH"), 0u);
  EXPECT_TRUE(LooksLikeHttpRequest("GET / HTTP/1.1"));
  EXPECT_FALSE(LooksLikeHttpRequest("\x16\x03\x01"));
}

}  // namespace
}  // namespace xsensor
