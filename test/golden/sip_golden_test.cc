// SIP on real captures against the peers' oracles: requests and responses of Zeek's sip.log
// (method, URI, From, To, Call-ID, User-Agent, Via hosts, status), ipfixprobe's SIP records
// and Suricata's SIP-over-TCP transactions.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

struct SipResult {
  std::vector<schema::Sip> records;
  std::vector<bool> ipv6;
  std::string counters;
};

SipResult RunSip(const std::string& pcap) {
  auto r = testing::RunPipeline({pcap});
  SipResult out;
  out.counters = r.counters_text;
  out.records = testing::RecordsOf<schema::Sip>(r, "sip", &out.ipv6);
  return out;
}

// The distinct hosts of Via values: "SIP/2.0/UDP 192.168.1.2;received=...,..." -> {host}.
// (Zeek's request_path/response_path collect the Via values of every message of the
// transaction, retransmissions included; a record carries its own message's.)
std::set<std::string> ViaHosts(const std::string& path) {
  std::set<std::string> hosts;
  for (absl::string_view v : absl::StrSplit(path, ',', absl::SkipEmpty())) {
    absl::string_view sent_by = v.substr(v.find(' ') + 1);
    hosts.emplace(sent_by.substr(0, sent_by.find_first_of(";:")));
  }
  return hosts;
}
std::set<std::string> Gateways(const schema::Sip& s) {
  std::set<std::string> hosts;
  for (absl::string_view h : absl::StrSplit(s.gateways(), ',', absl::SkipEmpty())) {
    hosts.emplace(h);
  }
  return hosts;
}

// Zeek strips the tag from From ("the tag= value ... is stripped off and not logged"); the
// sensor exports the header as sent.
std::string WithoutTag(const std::string& from) {
  size_t tag = from.find(";tag=");
  return tag == std::string::npos ? from : from.substr(0, tag);
}

TEST(SipGoldenTest, ZeekWiresharkSample) {
  std::string pcap = CorpusFile("zeek/sip_wireshark.pcap");
  std::string log = CorpusFile(
      "zeek/oracles/testing/btest/Baseline/scripts.base.protocols.sip.wireshark/sip.log");
  if (pcap.empty() || log.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadZeekLog(log);
  ASSERT_GE(rows.size(), 30u);
  auto r = RunSip(pcap);
  auto opt = [](const std::string& v) { return v == "-" ? std::string() : v; };
  for (const auto& row : rows) {
    bool request = false;
    for (const auto& s : r.records) {
      request |= s.status_code() == 0 && s.msg_code() == row.at("method") &&
                 s.uri() == row.at("uri") && WithoutTag(s.from()) == opt(row.at("request_from")) &&
                 s.to() == opt(row.at("request_to")) && s.callid() == row.at("call_id") &&
                 s.uagent() == opt(row.at("user_agent")) &&
                 Gateways(s) == ViaHosts(row.at("request_path"));
    }
    EXPECT_TRUE(request) << row.at("method") << " " << row.at("call_id") << " "
                         << row.at("request_path");
    // Without a CSeq Zeek did not see the transaction whole (its From/To are then unreliable).
    if (row.at("status_code") == "-" || row.at("seq") == "-") continue;
    uint32_t status;
    ASSERT_TRUE(absl::SimpleAtoi(row.at("status_code"), &status));
    // MSG_CODE of a response is the method of its own CSeq; Zeek's `seq` is its transaction's
    // request's (it pairs a 408 answering an INVITE with the CANCEL), so it is not compared.
    bool response = false;
    for (const auto& s : r.records) {
      response |= s.status_code() == status && !s.msg_code().empty() && s.uri().empty() &&
                  WithoutTag(s.from()) == opt(row.at("response_from")) &&
                  s.to() == opt(row.at("response_to")) && s.callid() == row.at("call_id") &&
                  Gateways(s) == ViaHosts(row.at("response_path"));
    }
    EXPECT_TRUE(response) << status << " " << row.at("call_id");
  }
}

TEST(SipGoldenTest, Ipfixprobe) {
  std::string pcap = CorpusFile("ipfixprobe/sip.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/sip");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto r = RunSip(pcap);
  auto rows = testing::ReadCsv(csv);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    bool found = false;
    for (const auto& s : r.records) {
      found |= s.callid() == row.at("SIP_CALL_ID") &&
               (row.at("SIP_REQUEST_URI").empty() || s.uri() == row.at("SIP_REQUEST_URI")) &&
               absl::StrContains(s.from(), row.at("SIP_CALLING_PARTY")) &&
               absl::StrContains(s.to(), row.at("SIP_CALLED_PARTY")) &&
               (row.at("SIP_USER_AGENT").empty() || s.uagent() == row.at("SIP_USER_AGENT"));
    }
    EXPECT_TRUE(found) << row.at("SIP_CALL_ID");
  }
  // The capture's IPv6 packets are DHCPv6, not SIP: every SIP record is IPv4 here.
  for (bool b : r.ipv6) EXPECT_FALSE(b);
}

TEST(SipGoldenTest, SuricataSipOverTcp) {
  std::string pcap = CorpusFile("suricata-verify/sip-tcp-method.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunSip(pcap);
  ASSERT_EQ(r.records.size(), 2u);  // test.yaml: two SIP transactions over TCP
  EXPECT_EQ(r.records[0].msg_code(), "REGISTER");
  EXPECT_EQ(r.records[0].status_code(), 0u);
  EXPECT_EQ(r.records[1].status_code(), 200u);
  EXPECT_EQ(r.records[1].msg_code(), "REGISTER");
  EXPECT_EQ(r.records[0].callid(), r.records[1].callid());
}

TEST(SipGoldenTest, WiresharkFuzzCaptureIsCountedNotFatal) {
  std::string pcap = CorpusFile("ndpi/fuzz-2006-06-26-2594.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunSip(pcap);
  EXPECT_GT(r.records.size(), 20u);
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.sip_malformed ")) << r.counters;
  EXPECT_FALSE(absl::StrContains(r.counters, "parser.sip_malformed 0\n"));
}

}  // namespace
}  // namespace xsensor

namespace xsensor {
namespace {

// UAGENT is the client application (the spec's "Клиентское приложение"): the User-Agent
// header of the message, as tshark reads it. The responses of this capture carry a Server
// header and no User-Agent: their UAGENT is empty, not the server's name.
TEST(SipGoldenTest, UagentIsTheUserAgentHeaderAsTsharkReadsIt) {
  std::string pcap = CorpusFile("zeek/sip_wireshark.pcap");
  if (pcap.empty()) GTEST_SKIP() << "corpus not found";
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -Y sip -T fields -E separator=/t -E occurrence=f "
      "-e sip.Call-ID -e sip.Status-Code -e sip.CSeq.method -e sip.User-Agent -e sip.Server");
  // (call id, status, cseq method) -> user agent
  std::map<std::tuple<std::string, uint32_t, std::string>, std::string> expected;
  size_t responses_with_server = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    f.resize(5);
    uint32_t status = 0;
    if (!f[1].empty() && !absl::SimpleAtoi(f[1], &status)) continue;
    if (status && !f[4].empty() && f[3].empty()) ++responses_with_server;
    expected[{f[0], status, f[2]}] = f[3];
  }
  ASSERT_GE(responses_with_server, 10u);
  auto r = RunSip(pcap);
  size_t checked = 0, responses_checked = 0;
  for (const auto& s : r.records) {
    auto it = expected.find({s.callid(), s.status_code(), s.status_code() ? s.msg_code() : ""});
    if (it == expected.end() && s.status_code() == 0) {
      // Requests: tshark's CSeq method is the request's method.
      it = expected.find({s.callid(), 0, s.msg_code()});
    }
    if (it == expected.end()) continue;
    EXPECT_EQ(s.uagent(), it->second) << s.callid() << " " << s.status_code();
    ++checked;
    responses_checked += s.status_code() != 0;
  }
  EXPECT_GE(checked, 30u);
  EXPECT_GE(responses_checked, 10u);
}

}  // namespace
}  // namespace xsensor
