// RSS (META_PROTO 10): the packets of the HTTP exchanges whose reply is an RSS or Atom feed —
// by Content-Type, or by an XML body whose root is <rss>/<feed> — are raw records, besides the
// clickstream. Three connections are built as a capture: keep-alive exchanges of pages and
// feeds (Content-Length and chunked bodies, a root element split across segments, an XML
// document that is no feed, a HEAD), a close-delimited HTTP/1.0 feed without a Content-Type,
// and a request split over two segments. tshark says which frames make up each exchange
// (request_in, reassembled segments) and what the reply's type and body are; the raw records
// must be exactly the payload frames of the feeds' exchanges.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "testing/oracles.h"
#include "testing/packet_builder.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

// One TCP connection from 10.0.0.9:cport to 198.51.100.20:80 carrying `segments` in order.
void Connection(std::vector<std::string>* frames, uint16_t cport,
                const std::vector<testing::TcpSegment>& segments) {
  testing::AppendTcpConnection(frames, "10.0.0.9", cport, "198.51.100.20", 80, segments, 5000,
                               70000);
}

std::string Get(const std::string& path, const std::string& method = "GET") {
  return method + " " + path +
         " HTTP/1.1\r\nHost: news.example.test\r\nUser-Agent: feedreader\r\n\r\n";
}

std::string Reply(const std::string& type, const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string kRss =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>News</title>"
    "<item><title>One</title><link>http://news.example.test/1</link></item></channel></rss>\n";
const std::string kAtom =
    "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n<!-- an Atom feed "
    "-->\n"
    "<!DOCTYPE feed [ <!ENTITY x \"y\"> ]>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    "<title>Log</title><entry><title>Two</title></entry></feed>\n";

std::vector<std::string> BuildFrames() {
  std::vector<std::string> frames;
  const std::string page = "<html><body>" + std::string(1800, 'p') + "</body></html>";
  const std::string rss_reply = Reply("application/rss+xml; charset=utf-8", kRss);
  // The Atom document, chunked, its root element's name split between two segments.
  const size_t split = kAtom.find("<feed") + 3;
  const std::string atom_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk1 = absl::StrCat(absl::Hex(split), "\r\n", kAtom.substr(0, split), "\r\n");
  const std::string chunk2 =
      absl::StrCat(absl::Hex(kAtom.size() - split), "\r\n", kAtom.substr(split), "\r\n0\r\n\r\n");
  Connection(&frames, 42000,
             {{true, Get("/index.html")},
              {false, Reply("text/html", page).substr(0, 1000)},
              {false, Reply("text/html", page).substr(1000)},
              {true, Get("/news.rss")},
              {false, rss_reply.substr(0, 90)},
              {false, rss_reply.substr(90, 60)},
              {false, rss_reply.substr(150)},
              {true, Get("/page")},
              {false, Reply("text/html", "<html>small</html>")},
              {true, Get("/atom")},
              {false, atom_head + chunk1},
              {false, chunk2},
              {true, Get("/note.xml")},
              {false, Reply("application/xml", "<?xml version=\"1.0\"?><note>rss</note>")},
              {true, Get("/log.atom", "HEAD")},
              {false,
               "HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n"
               "Content-Length: 300\r\n\r\n"},
              {true, Get("/after")},
              {false, Reply("text/plain", "not a feed")}});
  // HTTP/1.0, no Content-Type and no length: the body runs to the connection's end.
  Connection(&frames, 42001,
             {{true, "GET /old.rss HTTP/1.0\r\nHost: news.example.test\r\n\r\n"},
              {false, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\n" + kRss.substr(0, 70)},
              {false, kRss.substr(70)}});
  // A request in two segments; an Atom reply by its type.
  const std::string req = Get("/split.atom");
  Connection(&frames, 42002,
             {{true, req.substr(0, 20)},
              {true, req.substr(20)},
              {false, Reply("application/atom+xml", kAtom)}});
  return frames;
}

TEST(RssGoldenTest, FeedExchangesAreRawRecords) {
  std::string pcap = ::testing::TempDir() + "/rss_built.pcap";
  testing::WritePcap(pcap, BuildFrames());
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";

  // tshark's reading: each frame's ports, sequence number and payload; for each reply, the
  // frames of its request and of itself, its type and its body.
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -o tcp.analyze_sequence_numbers:FALSE -T fields -E separator=/t -E occurrence=a "
      "-e frame.number -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.payload -e "
      "http.response "
      "-e http.request_in -e tcp.segment -e http.content_type -e http.file_data 2>/dev/null");
  std::map<int, std::string> key_of;              // frame -> "port/seq"
  std::map<std::string, std::string> payload_of;  // "port/seq" -> payload
  std::map<int, std::vector<int>> segments_of;    // a message's last frame -> its frames
  std::set<int> feed_frames;
  int feeds = 0, replies = 0;
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 10u) << line;
    int frame = 0;
    ASSERT_TRUE(absl::SimpleAtoi(f[0], &frame));
    key_of[frame] = f[1] + "/" + f[2] + "/" + f[3];  // ports and sequence number
    payload_of[key_of[frame]] = absl::HexStringToBytes(f[4]);
    f.erase(f.begin() + 1, f.begin() + 5);  // frame, response, request_in, segments, type, body
    std::vector<int>& seg = segments_of[frame];
    for (absl::string_view n : absl::StrSplit(f[3], ',', absl::SkipEmpty())) {
      int s = 0;
      ASSERT_TRUE(absl::SimpleAtoi(n, &s));
      seg.push_back(s);
    }
    if (seg.empty()) seg.push_back(frame);
    rows.push_back(std::move(f));
  }
  for (const auto& f : rows) {
    if (f[1].empty()) continue;  // not a reply
    ++replies;
    const std::string& type = f[4];
    const std::string& body = f[5];
    const bool feed = absl::StrContains(type, "rss+xml") || absl::StrContains(type, "atom+xml") ||
                      ((type.empty() || absl::StrContains(type, "xml")) &&
                       (absl::StrContains(body, "<rss") || absl::StrContains(body, "<feed")));
    if (!feed) continue;
    ++feeds;
    int frame = 0, request = 0;
    ASSERT_TRUE(absl::SimpleAtoi(f[0], &frame));
    ASSERT_TRUE(absl::SimpleAtoi(f[2], &request));
    for (int s : segments_of[request]) feed_frames.insert(s);
    for (int s : segments_of[frame]) feed_frames.insert(s);
  }
  ASSERT_EQ(replies, 9);
  ASSERT_EQ(feeds, 5);  // news.rss, the chunked Atom, HEAD log.atom, old.rss, split.atom
  std::set<std::string> want;
  for (int frame : feed_frames) {
    if (!payload_of[key_of[frame]].empty()) want.insert(key_of[frame]);
  }
  // news.rss 1 + 3, the Atom 1 + 2, the HEAD 1 + 1, old.rss 1 + 2, split.atom 2 + 1.
  ASSERT_EQ(want.size(), 15u);

  for (bool replies_on : {false, true}) {
    SCOPED_TRACE(replies_on ? "http_parse_reply=1" : "http_parse_reply=0");
    Config c = DefaultConfig();
    c.raw_export = true;
    c.http_parse_reply = replies_on;
    auto result = testing::RunPipeline({pcap}, c);
    std::set<std::string> got;
    for (const auto& r : testing::RecordsOf<schema::Raw>(result, "raw")) {
      const std::string key = absl::StrCat(r.source_transport_port(), "/",
                                           r.destination_transport_port(), "/", r.tcp_sequence());
      EXPECT_TRUE(got.insert(key).second) << "twice: " << key;
      EXPECT_EQ(r.raw_data(), payload_of[key]) << key;
      EXPECT_EQ(r.meta_proto(), 10u);
      EXPECT_EQ(r.vdpi_proto(), 1u);  // HTTP, the sensor's classification
      EXPECT_EQ(r.dir_data(), r.source_transport_port() == 80 ? 1u : 0u);
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(testing::RecordsOf<schema::Clickstream>(result, "clickstream").size(), 9u);
    EXPECT_EQ(testing::RecordsOf<schema::HttpReply>(result, "http_reply").size(),
              replies_on ? 9u : 0u);
  }
  // Without raw export, no reply is read for feeds.
  EXPECT_TRUE(testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}), "raw").empty());
  if (!getenv("XS_KEEP_PCAP")) std::remove(pcap.c_str());
}

}  // namespace
}  // namespace xsensor
