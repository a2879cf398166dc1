// DNS on real captures against the peers' oracles: every answer Zeek, Suricata, ipfixprobe and
// tcpdump report appears as a `dns` record with the same name, type, TTL and data; malformed
// captures give counted anomalies, never a crash.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/net_address.h"
#include "parsers/dns/dns_message.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

struct DnsResult {
  std::vector<schema::Dns> records;
  std::string counters;
};

DnsResult RunDns(const std::string& pcap) {
  auto r = testing::RunPipeline({pcap});
  DnsResult out;
  out.counters = r.counters_text;
  out.records = testing::RecordsOf<schema::Dns>(r, "dns");
  return out;
}

const schema::Dns* Find(const DnsResult& r, const std::string& name, uint32_t type,
                        const std::string& rdata_text) {
  for (const auto& d : r.records) {
    if (d.domain() == name && d.rrtype() == type && DnsRdataText(type, d.rdata()) == rdata_text) {
      return &d;
    }
  }
  return nullptr;
}

TEST(DnsGoldenTest, SuricataCnameChainAndTwoAddresses) {
  std::string pcap = CorpusFile("suricata-verify/cond-log-dns-dig.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunDns(pcap);
  ASSERT_EQ(r.records.size(), 3u);
  // test.yaml: answers[0..2]
  const auto* cname = Find(r, "www.suricata-ids.org", 5, "suricata-ids.org");
  ASSERT_NE(cname, nullptr);
  EXPECT_EQ(cname->ttl(), 3544u);
  for (const char* a : {"192.0.78.24", "192.0.78.25"}) {
    const auto* rec = Find(r, "suricata-ids.org", 1, a);
    ASSERT_NE(rec, nullptr) << a;
    EXPECT_EQ(rec->ttl(), 244u);
    EXPECT_EQ(rec->rrclass(), 1u);
    EXPECT_EQ(rec->transport(), 0u);
    EXPECT_EQ(rec->port_destination(), 53u);  // the question's direction
  }
  // CNAME RDATA is the name in uncompressed wire form.
  EXPECT_EQ(cname->rdata(), std::string("\x0csuricata-ids\x03org\x00", 18));
}

TEST(DnsGoldenTest, ZeekTxtWithMultipleStringsAndCnames) {
  std::string pcap = CorpusFile("zeek/dns-txt-multiple.pcap");
  std::string log = CorpusFile(
      "zeek/oracles/testing/btest/Baseline/scripts.base.protocols.dns.multiple-txt-strings/"
      "dns.log");
  if (pcap.empty() || log.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadZeekLog(log);
  ASSERT_EQ(rows.size(), 1u);
  std::vector<std::string> answers = absl::StrSplit(rows[0].at("answers"), ',');
  std::vector<std::string> ttls = absl::StrSplit(rows[0].at("TTLs"), ',');
  auto r = RunDns(pcap);
  ASSERT_EQ(r.records.size(), answers.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    double ttl;
    ASSERT_TRUE(absl::SimpleAtod(ttls[i], &ttl));
    EXPECT_EQ(r.records[i].ttl(), static_cast<uint32_t>(ttl));
    if (r.records[i].rrtype() == 16) {
      // Zeek: "TXT <len> <string>" for each string.
      std::string expect;
      absl::string_view z = answers[i];
      while (absl::ConsumePrefix(&z, "TXT ")) {
        size_t sp = z.find(' ');
        size_t len = std::stoul(std::string(z.substr(0, sp)));
        absl::StrAppend(&expect, expect.empty() ? "" : " ", "\"", z.substr(sp + 1, len), "\"");
        z.remove_prefix(std::min(z.size(), sp + 1 + len + 1));
      }
      EXPECT_EQ(DnsRdataText(16, r.records[i].rdata()), expect);
    } else {
      EXPECT_EQ(DnsRdataText(r.records[i].rrtype(), r.records[i].rdata()), answers[i]);
    }
  }
}

TEST(DnsGoldenTest, IpfixprobeFirstAnswerOfEveryResponse) {
  std::string pcap = CorpusFile("ipfixprobe/dns.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/dns");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto r = RunDns(pcap);
  size_t checked = 0;
  for (const auto& row : testing::ReadCsv(csv)) {
    std::string rdata = absl::HexStringToBytes(row.at("DNS_RDATA"));
    if (rdata.empty()) continue;
    uint32_t port;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("DST_PORT"), &port));  // the client's port
    bool found = false;
    for (const auto& d : r.records) {
      if (d.port_source() != port) continue;
      // ipfixprobe prints the data in presentation form; TXT without quotes; RRSIG's fixed
      // fields followed by "<key>" instead of signer and signature.
      std::string text = DnsRdataText(d.rrtype(), d.rdata());
      if (d.rrtype() == 16)
        text = std::string(absl::StripPrefix(absl::StripSuffix(text, "\""), "\""));
      if (text == rdata) found = true;
      if (d.rrtype() == 46 && absl::EndsWith(rdata, " <key>")) {
        found |= absl::StartsWith(text, rdata.substr(0, rdata.size() - 5));
      }
    }
    EXPECT_TRUE(found) << row.at("DNS_NAME") << " " << rdata;
    ++checked;
  }
  EXPECT_GE(checked, 6u);
}

TEST(DnsGoldenTest, IpfixprobePassiveDnsAddresses) {
  std::string pcap = CorpusFile("ipfixprobe/dns.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/passivedns");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto r = RunDns(pcap);
  auto rows = testing::ReadCsv(csv);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    uint32_t type, ttl;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("DNS_ATYPE"), &type));
    ASSERT_TRUE(absl::SimpleAtoi(row.at("DNS_RR_TTL"), &ttl));
    bool found = false;
    for (const auto& d : r.records) {
      if (d.rrtype() != type || d.ttl() != ttl) continue;
      if (type == 12) {  // PTR: DNS_IP is the address asked about, DNS_NAME the answer
        found |= DnsRdataText(12, d.rdata()) == row.at("DNS_NAME");
      } else {
        found |= d.domain() == row.at("DNS_NAME") && FormatIp(d.rdata()) == row.at("DNS_IP");
      }
    }
    EXPECT_TRUE(found) << row.at("DNS_NAME") << " " << row.at("DNS_IP");
  }
}

TEST(DnsGoldenTest, SuricataAAaaaMx) {
  std::string pcap = CorpusFile("suricata-verify/dns-udp-google.com-a-aaaa-mx.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  // Suricata's checks count events; the values come from tshark's reading of the answers.
  std::string out = testing::RunCommand("tshark -r '" + pcap +
                                        "' -Y 'dns.flags.response==1' -T fields -E separator=/t "
                                        "-e dns.resp.name -e dns.resp.type -e dns.resp.ttl -e "
                                        "dns.a -e dns.aaaa -e dns.mx.mail_exchange "
                                        "2>/dev/null");
  auto r = RunDns(pcap);
  size_t expected = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    f.resize(6);
    std::vector<std::string> values;
    for (int k = 3; k < 6; ++k) {
      for (auto& v : absl::StrSplit(f[k], ',', absl::SkipEmpty())) values.emplace_back(v);
    }
    for (const auto& v : values) {
      ++expected;
      bool found = false;
      for (const auto& d : r.records) {
        std::string text = DnsRdataText(d.rrtype(), d.rdata());
        found |= text == v || absl::EndsWith(text, " " + v);  // MX: "pref exchange"
      }
      EXPECT_TRUE(found) << v;
    }
  }
  EXPECT_GE(expected, 3u);
  std::set<uint32_t> types;
  for (const auto& d : r.records) types.insert(d.rrtype());
  EXPECT_EQ(types, (std::set<uint32_t>{1, 15, 28}));
}

TEST(DnsGoldenTest, TcpdumpDnsOverTcp) {
  std::string pcap = CorpusFile("tcpdump/dns_tcp.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunDns(pcap);
  // tcpdump: "17177*- 2/2/5 A 192.139.46.66, A 198.199.88.104"
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_NE(Find(r, "www.tcpdump.org", 1, "192.139.46.66"), nullptr);
  EXPECT_NE(Find(r, "www.tcpdump.org", 1, "198.199.88.104"), nullptr);
  EXPECT_EQ(r.records[0].transport(), 1u);
}

TEST(DnsGoldenTest, IpfixprobeVlanTags) {
  std::string pcap = CorpusFile("ipfixprobe/vlan.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/vlan");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  std::set<uint32_t> want;
  for (const auto& row : testing::ReadCsv(csv)) want.insert(std::stoul(row.at("VLAN_ID")));
  std::set<uint32_t> got;
  for (const auto& d : RunDns(pcap).records) got.insert(d.vlan_id());
  EXPECT_EQ(got, want);
}

TEST(DnsGoldenTest, MalformedCapturesAreCounted) {
  struct Case {
    const char* file;
    const char* counter;
  } cases[] = {
      {"ndpi/malformed_dns.pcap", "parser.dns_malformed_bad_name"},
      {"tcpdump/dns-badlabel.pcap", "parser.dns_malformed_bad_name"},
      {"ndpi/badpackets.pcap", "decode.malformed_bad_ip_length"},
  };
  for (const auto& c : cases) {
    std::string pcap = CorpusFile(c.file);
    if (pcap.empty()) GTEST_SKIP() << "corpus not found";
    auto r = RunDns(pcap);
    bool counted = false;
    for (absl::string_view line : absl::StrSplit(r.counters, '\n')) {
      if (absl::StartsWith(line, std::string(c.counter) + " ") && !absl::EndsWith(line, " 0")) {
        counted = true;
      }
    }
    EXPECT_TRUE(counted) << c.file << "\n" << r.counters;
  }
  // Scrambled UDP checksums: the sensor does not verify them (a passive sensor takes what
  // the wire carried), so the answers are still exported.
  std::string corrupt = CorpusFile("zeek/dns_dns-corrupt.pcap");
  if (!corrupt.empty()) {
    EXPECT_EQ(RunDns(corrupt).records.size(), 2u);
  }
}

}  // namespace
}  // namespace xsensor
