#include <gtest/gtest.h>

#include "common/byte_reader.h"
#include "parsers/dns/dns_message.h"
#include "parsers/dns/name_cache.h"
#include "testing/packet_builder.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::PacketBuilder;

using testing::DnsWireName;

// A response to `qname` A with the given answers (owner, type, ttl, rdata) appended raw.
std::string Response(const std::string& qname_wire, const std::vector<std::string>& answers) {
  std::string m;
  PutU16(&m, 0x1234);
  PutU16(&m, 0x8180);
  PutU16(&m, 1);
  PutU16(&m, static_cast<uint16_t>(answers.size()));
  PutU16(&m, 0);
  PutU16(&m, 0);
  m += qname_wire;
  PutU16(&m, 1);
  PutU16(&m, 1);
  for (const auto& a : answers) m += a;
  return m;
}

std::string Rr(const std::string& owner_wire, uint16_t type, uint32_t ttl,
               const std::string& rdata) {
  std::string r = owner_wire;
  PutU16(&r, type);
  PutU16(&r, 1);
  PutU32(&r, ttl);
  PutU16(&r, static_cast<uint16_t>(rdata.size()));
  return r + rdata;
}

TEST(DnsMessageTest, CompressionIsExpandedInRdataAndOwners) {
  // Answer owner = pointer to the question name (offset 12); CNAME target = "cdn" + pointer.
  std::string q = DnsWireName({"www", "example", "com"});
  std::string ptr_q("\xc0\x0c", 2);
  std::string cname_rdata = std::string(
                                "\x03"
                                "cdn",
                                4) +
                            std::string("\xc0\x10", 2);  // cdn.example.com
  std::string msg = Response(q, {Rr(ptr_q, 5, 60, cname_rdata)});
  DnsMessage m;
  ASSERT_EQ(ParseDnsMessage(msg, &m), DnsError::kOk);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].name, "www.example.com");
  EXPECT_EQ(m.answers[0].rdata, DnsWireName({"cdn", "example", "com"}));
  EXPECT_EQ(DnsRdataText(5, m.answers[0].rdata), "cdn.example.com");
}

TEST(DnsMessageTest, PointerLoopsAndBadLabelsAreRejected) {
  std::string self("\xc0\x0c", 2);  // the question name points at itself
  std::string msg = Response(self, {});
  DnsMessage m;
  EXPECT_EQ(ParseDnsMessage(msg, &m), DnsError::kPointerLoop);
  std::string too_long(1, '\x40');  // 64-byte label: an obsolete label type
  EXPECT_EQ(ParseDnsMessage(Response(too_long + std::string(64, 'a') + '\0', {}), &m),
            DnsError::kBadName);
  EXPECT_EQ(ParseDnsMessage(std::string(5, '\0'), &m), DnsError::kTruncatedHeader);
  // Every prefix of a valid message parses without reading out of bounds.
  std::string good =
      Response(DnsWireName({"a", "b"}), {Rr(DnsWireName({"a", "b"}), 1, 5, "\x01\x02\x03\x04")});
  for (size_t n = 0; n < good.size(); ++n) {
    DnsMessage p;
    ParseDnsMessage(good.substr(0, n), &p);
  }
}

TEST(DnsMessageTest, PresentationForms) {
  std::string mx;
  PutU16(&mx, 10);
  mx += DnsWireName({"mail", "example", "org"});
  EXPECT_EQ(DnsRdataText(15, mx), "10 mail.example.org");
  std::string srv;
  PutU16(&srv, 1);
  PutU16(&srv, 5);
  PutU16(&srv, 5060);
  srv += DnsWireName({"sip", "example", "org"});
  EXPECT_EQ(DnsRdataText(33, srv), "1 5 5060 sip.example.org");
  EXPECT_EQ(DnsRdataText(16, std::string("\x03"
                                         "abc\x02"
                                         "de",
                                         7)),
            "\"abc\" \"de\"");
  EXPECT_EQ(DnsRdataText(28, std::string(15, '\0') + "\x01"), "::1");
  EXPECT_EQ(DnsRdataText(99, "\xab\xcd"), "\\# 2 abcd");
  std::string name_with_dot = std::string(
      "\x03"
      "a.b\x00",
      5);
  std::string text;
  size_t used;
  ASSERT_TRUE(DnsWireNameToText(name_with_dot, &text, &used));
  EXPECT_EQ(text, "a\\.b");
}

TEST(DnsNameCacheTest, ExpiresByTtlAndEvicts) {
  DnsNameCache cache(32);
  cache.Put("\x01\x02\x03\x04", "a.example", 10, 1000);
  std::string name;
  EXPECT_TRUE(cache.Get("\x01\x02\x03\x04", 1005, &name));
  EXPECT_EQ(name, "a.example");
  EXPECT_FALSE(cache.Get("\x01\x02\x03\x04", 1011, &name));
  for (uint32_t i = 0; i < 1000; ++i) {
    std::string addr;
    PutU32(&addr, i);
    cache.Put(addr, "x", 100, 1000);
  }
  EXPECT_LE(cache.size(), 32u);
}

// A DNS answer (with a CNAME chain) teaches the sensor a name; a TLS flow without SNI and an
// HTTP request without Host to the answered addresses then get it, with HOST_TYPE 2.
TEST(NamesFromDnsTest, TlsWithoutSniAndHttpWithoutHost) {
  std::string q = DnsWireName({"www", "shop", "example"});
  std::string edge = DnsWireName({"edge", "cdn", "example"});
  std::string answer = Response(q, {Rr(q, 5, 300, edge), Rr(edge, 1, 300, "\xc6\x33\x64\x07")});
  std::vector<std::string> frames;
  frames.push_back(PacketBuilder()
                       .Eth()
                       .Ipv4("192.0.2.53", "192.0.2.10")
                       .Udp(53, 40000)
                       .Payload(answer)
                       .Build());
  // ClientHello without extensions.
  std::string hello;
  PutU16(&hello, 0x0303);
  hello.append(32, '\x01');
  PutU8(&hello, 0);
  PutU16(&hello, 4);
  PutU16(&hello, 0x1301);
  PutU16(&hello, 0x1302);
  PutU8(&hello, 1);
  PutU8(&hello, 0);
  std::string hs;
  PutU8(&hs, 1);
  PutU8(&hs, 0);
  PutU16(&hs, static_cast<uint16_t>(hello.size()));
  hs += hello;
  std::string rec;
  PutU8(&rec, 22);
  PutU16(&rec, 0x0301);
  PutU16(&rec, static_cast<uint16_t>(hs.size()));
  rec += hs;
  frames.push_back(PacketBuilder()
                       .Eth()
                       .Ipv4("192.0.2.10", "198.51.100.7")
                       .Tcp(40001, 443, 1)
                       .Payload(rec)
                       .Build());
  frames.push_back(PacketBuilder()
                       .Eth()
                       .Ipv4("192.0.2.10", "198.51.100.7")
                       .Tcp(40002, 80, 1)
                       .Payload("GET /cart HTTP/1.0\r\n\r\n")
                       .Build());
  frames.push_back(PacketBuilder()
                       .Eth()
                       .Ipv4("192.0.2.10", "198.51.100.99")
                       .Tcp(40003, 443, 1)
                       .Payload(rec)
                       .Build());  // an address DNS never gave: no record
  std::string path = ::testing::TempDir() + "/names_from_dns.pcap";
  testing::WritePcap(path, frames);
  auto r = testing::RunPipeline({path});
  std::vector<schema::Clickstream> clicks;
  int dns = 0;
  for (const auto& rr : r.records) {
    if (rr.record.spec->name == "dns") ++dns;
    if (rr.record.spec->name != "clickstream") continue;
    schema::Clickstream c;
    c.CopyFrom(*rr.record.message);
    clicks.push_back(c);
  }
  EXPECT_EQ(dns, 2);
  ASSERT_EQ(clicks.size(), 2u) << r.counters_text;
  EXPECT_EQ(clicks[0].hostname(), "www.shop.example");  // the name asked, not the CDN's
  EXPECT_EQ(clicks[0].host_type(), 2u);
  EXPECT_EQ(clicks[0].cipher_suites_len(), 4u);
  EXPECT_EQ(clicks[1].hostname(), "www.shop.example");
  EXPECT_EQ(clicks[1].host_type(), 2u);
  EXPECT_EQ(clicks[1].path(), "/cart");
}

// One response with 3000 answers (48 KB, as a resolver may return over TCP or EDNS) would
// make 3000 records: dns_max_records bounds them and counts the rest.
TEST(DnsParserTest, AnswersPastMaxRecordsAreCountedNotExported) {
  std::string q = DnsWireName({"many", "example"});
  std::vector<std::string> answers;
  for (int i = 0; i < 3000; ++i) {
    std::string a = {10, static_cast<char>(i >> 16), static_cast<char>(i >> 8),
                     static_cast<char>(i)};
    answers.push_back(Rr(std::string("\xc0\x0c", 2), 1, 60, a));
  }
  std::string path = ::testing::TempDir() + "/dns_many_answers.pcap";
  testing::WritePcap(path, {PacketBuilder()
                                .Eth()
                                .Ipv4("192.0.2.53", "192.0.2.10")
                                .Udp(53, 40000)
                                .Payload(Response(q, answers))
                                .Build()});
  for (uint32_t max : {128u, 5000u}) {
    Config c = DefaultConfig();
    c.dns_max_records = max;
    auto r = testing::RunPipeline({path}, c);
    size_t dns = 0;
    for (const auto& rr : r.records) dns += rr.record.spec->name == "dns";
    EXPECT_EQ(dns, std::min<size_t>(max, 3000)) << r.counters_text;
    EXPECT_NE(r.counters_text.find("parser.dns_answers_over_max_records " +
                                   std::to_string(3000 - std::min<size_t>(max, 3000)) + "\n"),
              std::string::npos)
        << r.counters_text;
  }
}

}  // namespace
}  // namespace xsensor
