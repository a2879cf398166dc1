// HTTP clickstream on real captures, checked against what other projects' test suites expect
// (Zeek http.log, ipfixprobe records, Suricata EVE checks) and against tshark's reading of the
// frames' VLAN and MPLS headers. Records travel the real path: worker -> IPFIX over TCP ->
// receiver.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "parsers/http/http_parser.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

std::vector<schema::Clickstream> Clicks(const testing::PipelineResult& r) {
  return testing::RecordsOf<schema::Clickstream>(r, "clickstream");
}

std::string Opt(const std::string& zeek_value) { return zeek_value == "-" ? "" : zeek_value; }

std::string Oracle(const std::string& rel) { return CorpusFile(rel); }

// Every request of a Zeek http.log (with a method) appears with the same host, URI,
// referrer and user agent, from the same client port, in the log's order per connection.
void ExpectMatchesZeekHttpLog(const std::string& pcap_rel, const std::string& log_rel,
                              size_t expect_rows) {
  std::string pcap = CorpusFile(pcap_rel), log = Oracle(log_rel);
  if (pcap.empty() || log.empty()) GTEST_SKIP() << "corpus not found: " << pcap_rel;
  auto rows = testing::ReadZeekLog(log);
  auto result = testing::RunPipeline({pcap});
  auto clicks = Clicks(result);
  size_t requests = 0;
  std::vector<bool> used(clicks.size(), false);
  for (const auto& row : rows) {
    if (row.at("method") == "-") continue;  // Zeek saw no request line
    ++requests;
    uint32_t port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("id.orig_p"), &port));
    bool found = false;
    for (size_t i = 0; i < clicks.size() && !found; ++i) {
      const auto& c = clicks[i];
      if (used[i] || c.port_source() != port || c.path() != Opt(row.at("uri"))) continue;
      EXPECT_EQ(c.hostname(), Opt(row.at("host"))) << row.at("uri");
      EXPECT_EQ(c.referer(), Opt(row.at("referrer"))) << row.at("uri");
      EXPECT_EQ(c.user_agent(), Opt(row.at("user_agent"))) << row.at("uri");
      EXPECT_EQ(c.host_type(), 1u);
      const std::string& m = row.at("method");
      uint32_t code = m == "GET" ? 1 : m == "POST" ? 2 : m == "PUT" ? 3 : m == "DELETE" ? 4 : 0;
      EXPECT_EQ(c.method(), code) << m;
      used[i] = true;
      found = true;
    }
    EXPECT_TRUE(found) << "missing: port " << port << " " << row.at("method") << " "
                       << row.at("host") << " " << row.at("uri");
  }
  EXPECT_EQ(requests, expect_rows);
  EXPECT_EQ(clicks.size(), requests) << "records Zeek does not list as requests";
  EXPECT_EQ(result.receiver_stats.missing_template, 0u);
  EXPECT_EQ(result.receiver_stats.sequence_gaps, 0u);
}

constexpr char kZeek[] = "zeek/oracles/testing/btest/Baseline/";

TEST(HttpGoldenTest, ZeekGet) {
  ExpectMatchesZeekHttpLog("zeek/http_get.pcap",
                           absl::StrCat(kZeek, "core.tcp.reassembly-known-ports/http.log"), 1);
}

TEST(HttpGoldenTest, ZeekPipelinedRequests) {
  ExpectMatchesZeekHttpLog(
      "zeek/http_pipelined-requests.pcap",
      absl::StrCat(kZeek, "scripts.base.protocols.http.http-pipelining/http.log"), 5);
}

TEST(HttpGoldenTest, ZeekMethods) {
  ExpectMatchesZeekHttpLog("zeek/http_methods.pcap",
                           absl::StrCat(kZeek, "scripts.base.protocols.http.http-methods/http.log"),
                           26);
}

TEST(HttpGoldenTest, ZeekVlanMplsIncludingHttp09) {
  ExpectMatchesZeekHttpLog("zeek/mixed-vlan-mpls.pcap",
                           absl::StrCat(kZeek, "core.vlan-mpls/http.log"), 2);
}

TEST(HttpGoldenTest, SuricataIpv6UsesTheIpv6Template) {
  std::string pcap = CorpusFile("suricata-verify/http-ipv6.pcap");
  XS_REQUIRE_FILE(pcap);
  auto result = testing::RunPipeline({pcap});
  auto clicks = Clicks(result);
  ASSERT_EQ(clicks.size(), 1u);  // test.yaml: one http event, hostname "[::1]"
  EXPECT_EQ(clicks[0].hostname(), "[::1]");
  EXPECT_EQ(clicks[0].ip_source().size(), 16u);
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].record.template_id, 257);
  EXPECT_TRUE(result.records[0].record.spec->ipv6);
}

TEST(HttpGoldenTest, IpfixprobeHttpRecords) {
  std::string pcap = CorpusFile("ipfixprobe/http.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/http");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadCsv(csv);
  auto clicks = Clicks(testing::RunPipeline({pcap}));
  ASSERT_FALSE(rows.empty());
  size_t with_request = 0;
  for (const auto& row : rows) {
    if (row.at("HTTP_REQUEST_HOST").empty()) continue;
    ++with_request;
    uint32_t port;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("SRC_PORT"), &port));
    bool found = false;
    for (const auto& c : clicks) {
      if (c.port_source() != port) continue;
      found = true;
      EXPECT_EQ(c.hostname(), row.at("HTTP_REQUEST_HOST"));
      EXPECT_EQ(c.path(), row.at("HTTP_REQUEST_URL"));
      EXPECT_EQ(c.user_agent(), row.at("HTTP_REQUEST_AGENT"));
      EXPECT_EQ(c.referer(), row.at("HTTP_REQUEST_REFERER"));
    }
    EXPECT_TRUE(found) << "port " << port;
  }
  EXPECT_GE(with_request, 9u);
  EXPECT_EQ(clicks.size(), with_request);
}

// VLAN ids and MPLS labels as tshark reads them from the same frames.
void ExpectL2MatchesTshark(const std::string& pcap_rel, size_t expect_requests) {
  std::string pcap = CorpusFile(pcap_rel);
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out =
      testing::RunCommand("tshark -r '" + pcap +
                          "' -Y http.request -T fields -E separator=';' -e tcp.srcport "
                          "-e vlan.id -e mpls.label 2>/dev/null");
  auto clicks = Clicks(testing::RunPipeline({pcap}));
  size_t lines = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ';');
    ASSERT_GE(f.size(), 3u) << line;
    ++lines;
    uint32_t port;
    ASSERT_TRUE(absl::SimpleAtoi(f[0], &port));
    std::vector<std::string> vlans = absl::StrSplit(f[1], ',', absl::SkipEmpty());
    std::vector<std::string> labels = absl::StrSplit(f[2], ',', absl::SkipEmpty());
    bool found = false;
    for (const auto& c : clicks) {
      if (c.port_source() != port) continue;
      found = true;
      uint32_t outer = 0, inner = 0;
      if (!vlans.empty()) {
        ASSERT_TRUE(absl::SimpleAtoi(vlans.front(), &outer));
      }
      if (vlans.size() > 1) {
        ASSERT_TRUE(absl::SimpleAtoi(vlans.back(), &inner));
      }
      EXPECT_EQ(c.vlan_id(), outer) << line;
      EXPECT_EQ(c.post_vlan_id(), inner) << line;
      // MPLS_LABELS carries the raw label stack entries; their 20-bit labels match tshark's.
      ASSERT_EQ(c.mpls_labels().size(), labels.size() * 4) << line;
      for (size_t i = 0; i < labels.size(); ++i) {
        const auto* e = reinterpret_cast<const uint8_t*>(c.mpls_labels().data()) + 4 * i;
        uint32_t label = (uint32_t{e[0]} << 12) | (e[1] << 4) | (e[2] >> 4);
        EXPECT_EQ(std::to_string(label), labels[i]) << line;
      }
    }
    EXPECT_TRUE(found) << line;
  }
  EXPECT_EQ(lines, expect_requests);
  EXPECT_EQ(clicks.size(), expect_requests);
}

TEST(HttpGoldenTest, VlanQinQ0) { ExpectL2MatchesTshark("zeek/http-qinq-0.pcap", 1); }
TEST(HttpGoldenTest, VlanTripleTagged) { ExpectL2MatchesTshark("zeek/vlan-qinqinq.pcap", 1); }
TEST(HttpGoldenTest, VlanZero) { ExpectL2MatchesTshark("zeek/http-vlan-0.pcap", 1); }
TEST(HttpGoldenTest, MplsInVlan) { ExpectL2MatchesTshark("zeek/mpls-in-vlan.pcap", 2); }
TEST(HttpGoldenTest, MixedVlanMpls) { ExpectL2MatchesTshark("zeek/mixed-vlan-mpls.pcap", 2); }

TEST(HttpGoldenTest, HeaderLinesSplitAcrossSegments) {
  // nDPI http-lines-split: the request's header lines arrive in separate segments.
  std::string pcap = CorpusFile("ndpi/http-lines-split.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string expect =
      testing::RunCommand("tshark -r '" + pcap +
                          "' -o tcp.desegment_tcp_streams:TRUE -Y http.request -T fields "
                          "-e http.host -e http.request.uri -e http.user_agent 2>/dev/null");
  auto clicks = Clicks(testing::RunPipeline({pcap}));
  ASSERT_EQ(clicks.size(), 1u);
  std::vector<std::string> f = absl::StrSplit(absl::StripTrailingAsciiWhitespace(expect), '\t');
  ASSERT_EQ(f.size(), 3u) << expect;
  EXPECT_EQ(clicks[0].hostname(), HttpHostWithoutPort(f[0]));  // HOSTNAME carries no port
  EXPECT_EQ(clicks[0].path(), f[1]);
  EXPECT_EQ(clicks[0].user_agent(), f[2]);
}

}  // namespace
}  // namespace xsensor

namespace xsensor {
namespace {

// The same HTTP session as zeek/http_get.pcap with its handshake reordered: reassembly must
// give the same record (SESSION_ID and time aside).
TEST(HttpGoldenTest, ReorderedHandshakeGivesTheCleanRecords) {
  std::string clean = CorpusFile("zeek/http_get.pcap");
  std::string reordered = CorpusFile("zeek/tcp_handshake-reorder.pcap");
  if (clean.empty() || reordered.empty()) GTEST_SKIP() << "corpus not found";
  auto a = Clicks(testing::RunPipeline({clean}));
  auto b = Clicks(testing::RunPipeline({reordered}));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  a[0].clear_session_id();
  b[0].clear_session_id();
  EXPECT_EQ(a[0].DebugString(), b[0].DebugString());
  EXPECT_EQ(b[0].hostname(), "bro.org");
}

}  // namespace
}  // namespace xsensor

namespace xsensor {
namespace {

std::vector<schema::HttpReply> Replies(const testing::PipelineResult& r) {
  return testing::RecordsOf<schema::HttpReply>(r, "http_reply");
}

testing::PipelineResult RunWithReplies(const std::string& pcap) {
  Config c = DefaultConfig();
  c.http_parse_reply = true;
  return testing::RunPipeline({pcap}, c);
}

TEST(HttpReplyGoldenTest, ZeekStatusCodesInRequestOrder) {
  std::string pcap = CorpusFile("zeek/http_pipelined-requests.pcap");
  std::string log = CorpusFile(
      "zeek/oracles/testing/btest/Baseline/scripts.base.protocols.http.http-pipelining/http.log");
  if (pcap.empty() || log.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadZeekLog(log);
  auto result = RunWithReplies(pcap);
  auto replies = Replies(result);
  ASSERT_EQ(replies.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(std::to_string(replies[i].result_code()), rows[i].at("status_code"));
  }
  // Each reply follows its request and shares its session.
  std::string order;
  for (const auto& rec : result.records) order += rec.record.spec->name == "http_reply" ? "R" : "Q";
  int balance = 0;  // requests exported minus replies exported, never below zero
  for (char c : order) {
    balance += c == 'Q' ? 1 : -1;
    EXPECT_GE(balance, 0) << order;
  }
  EXPECT_EQ(replies[0].session_id(), Clicks(result)[0].session_id());
}

TEST(HttpReplyGoldenTest, IpfixprobeStatusAndContentType) {
  std::string pcap = CorpusFile("ipfixprobe/http.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/http");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto result = RunWithReplies(pcap);
  auto clicks = Clicks(result);
  auto replies = Replies(result);
  size_t checked = 0;
  for (const auto& row : testing::ReadCsv(csv)) {
    if (row.at("HTTP_RESPONSE_STATUS_CODE") == "0") continue;  // no reply seen
    uint32_t port;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("SRC_PORT"), &port));
    uint64_t session = 0;
    for (const auto& c : clicks) {
      if (c.port_source() == port) session = c.session_id();
    }
    ASSERT_NE(session, 0u) << port;
    bool found = false;
    for (const auto& r : replies) {
      if (r.session_id() != session) continue;
      found = true;
      EXPECT_EQ(std::to_string(r.result_code()), row.at("HTTP_RESPONSE_STATUS_CODE"));
      EXPECT_EQ(r.content_type(), row.at("HTTP_RESPONSE_CONTENT_TYPE"));
    }
    EXPECT_TRUE(found) << "no reply for port " << port;
    ++checked;
  }
  EXPECT_GE(checked, 8u);
}

// Replies with Location and zero-length bodies, with segments lost in both directions: every
// request and reply tshark finds is found, with the same status, Location and Content-Type.
TEST(HttpReplyGoldenTest, ZeroLengthBodiesWithDropsMatchTshark) {
  std::string pcap = CorpusFile("zeek/http_zero-length-bodies-with-drops.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -Y http.response -T fields -E separator=/t "
      "-e http.response.code -e http.location -e http.content_type 2>/dev/null");
  std::string reqs = testing::RunCommand(
      "tshark -r '" + pcap + "' -Y http.request -T fields -e http.request.uri 2>/dev/null");
  auto result = RunWithReplies(pcap);
  auto replies = Replies(result);
  auto clicks = Clicks(result);
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(replies.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    f.resize(3);
    EXPECT_EQ(std::to_string(replies[i].result_code()), f[0]);
    EXPECT_EQ(replies[i].location(), f[1]);
    EXPECT_EQ(replies[i].content_type(), f[2]);
    EXPECT_EQ(replies[i].content_length(), 0u);
  }
  std::vector<std::string> uris = absl::StrSplit(reqs, '\n', absl::SkipEmpty());
  ASSERT_EQ(clicks.size(), uris.size());
  for (size_t i = 0; i < uris.size(); ++i) EXPECT_EQ(clicks[i].path(), uris[i]);
}

}  // namespace
}  // namespace xsensor
