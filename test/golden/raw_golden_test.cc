// Raw records round-trip: the payload bytes exported equal the bytes in the capture (read by
// tshark), packet by packet, with their ports, TCP flags and sequence numbers.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

TEST(RawGoldenTest, FtpControlPayloadRoundTrips) {
  std::string pcap = testing::CorpusFile("zeek/ftp_ipv4.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -Y 'tcp.port==21 && tcp.len>0' -T fields -E separator=/t "
      "-e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw -e tcp.payload 2>/dev/null");
  Config c = DefaultConfig();
  c.raw_export = true;
  auto raws = testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}, c), "raw");
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(raws.size(), lines.size());
  ASSERT_GT(raws.size(), 20u);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    ASSERT_EQ(f.size(), 5u);
    const schema::Raw& r = raws[i];
    EXPECT_EQ(r.raw_data(), absl::HexStringToBytes(f[4])) << i;
    EXPECT_EQ(std::to_string(r.source_transport_port()), f[0]);
    EXPECT_EQ(std::to_string(r.destination_transport_port()), f[1]);
    uint32_t flags = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(f[2].substr(2), &flags));
    EXPECT_EQ(r.tcp_control_bits(), flags & 0xff);
    EXPECT_EQ(std::to_string(r.tcp_sequence()), f[3]);
    EXPECT_EQ(r.meta_proto(), 4u);  // FTP (the spec's numbering)
    EXPECT_EQ(r.vdpi_proto(), 6u);  // FTP (xsensor's classification numbering, README)
    EXPECT_EQ(r.protocol_identifier(), 6u);
    // The client (the side talking to port 21) is the subscriber.
    uint32_t from_server = f[0] == "21" ? 1 : 0;
    EXPECT_EQ(r.dir_data(), from_server);
    EXPECT_EQ(r.flw_dir(), from_server);
  }
  // Off by default.
  EXPECT_TRUE(testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}), "raw").empty());
}

// FLW_DIR counts from the subscriber: with subscriber_nets covering the FTP server (as if the
// capture were taken at a hosting provider's edge), the server's packets go "subscriber ->
// internet" (0), the client's come back (1): the opposite of DIR_DATA. Covering the client, it
// equals DIR_DATA.
TEST(RawGoldenTest, FlwDirCountsFromTheSubscriberNets) {
  std::string pcap = testing::CorpusFile("zeek/ftp_ipv4.pcap");
  XS_REQUIRE_FILE(pcap);
  for (const char* nets : {"199.233.217.0/24", "141.142.220.235"}) {
    Config c = DefaultConfig();
    c.raw_export = true;
    c.subscriber_nets = {nets};
    bool server_side = std::string(nets) == "199.233.217.0/24";
    auto raws = testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}, c), "raw");
    ASSERT_GT(raws.size(), 20u);
    for (const schema::Raw& r : raws) {
      uint32_t from_server = r.source_transport_port() == 21 ? 1 : 0;
      EXPECT_EQ(r.dir_data(), from_server);
      EXPECT_EQ(r.flw_dir(), server_side ? 1 - from_server : from_server) << nets;
      EXPECT_EQ(r.login(), "");  // subscriber_nets give no login
    }
  }
}

// UDP: whoever sent the flow's first packet seen is the client (DIR_DATA 0), even when it sends
// from the service port (a scanner's INVITEs from 5060 to other ports), checked against the
// capture's packet order read by tshark.
TEST(RawGoldenTest, UdpDirDataFollowsTheFirstSender) {
  std::string pcap = testing::CorpusFile("ipfixprobe/sip.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -Y 'udp && sip' -T fields -E separator=/t -e ip.src -e udp.srcport -e ip.dst "
      "-e udp.dstport -e udp.payload 2>/dev/null");
  std::map<std::string, std::string> first_sender;  // flow -> "addr:port" of its first packet
  std::map<std::string, uint32_t> want;             // payload -> DIR_DATA
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 5u);
    std::string a = f[0] + ":" + f[1], b = f[2] + ":" + f[3];
    std::string flow = std::min(a, b) + "-" + std::max(a, b);
    first_sender.emplace(flow, a);
    want[absl::HexStringToBytes(f[4])] = first_sender[flow] == a ? 0 : 1;
  }
  Config c = DefaultConfig();
  c.raw_export = true;
  auto raws = testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}, c), "raw");
  ASSERT_GT(raws.size(), 10u);
  int server_port_senders = 0;
  for (const schema::Raw& r : raws) {
    ASSERT_TRUE(want.count(r.raw_data()));
    EXPECT_EQ(r.dir_data(), want[r.raw_data()]) << r.raw_data().substr(0, 40);
    EXPECT_EQ(r.meta_proto(), 3u);  // SIP
    EXPECT_EQ(r.vdpi_proto(), 5u);
    EXPECT_EQ(r.protocol_identifier(), 17u);
    if (r.dir_data() == 0 && r.source_transport_port() == 5060 &&
        r.destination_transport_port() != 5060) {
      ++server_port_senders;  // the case the port rule would have called the server
    }
  }
  EXPECT_GT(server_port_senders, 0);
}

// NNTP (a Leafnode reader session): recognised by the server's 200 greeting and the client's
// MODE READER; every payload packet is a raw record with META_PROTO 11, in capture order,
// byte for byte as tshark reads it.
TEST(RawGoldenTest, NntpPacketsAreRawRecords) {
  std::string pcap = testing::CorpusFile("ndpi/nntp.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand("tshark -r '" + pcap +
                                        "' -Y 'tcp.len>0' -T fields -E separator=/t "
                                        "-e tcp.srcport -e tcp.payload 2>/dev/null");
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  Config c = DefaultConfig();
  c.raw_export = true;
  auto raws = testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}, c), "raw");
  ASSERT_EQ(raws.size(), lines.size());
  ASSERT_GT(raws.size(), 10u);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], '\t');
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(raws[i].raw_data(), absl::HexStringToBytes(f[1])) << i;
    EXPECT_EQ(raws[i].meta_proto(), 11u);
    EXPECT_EQ(raws[i].vdpi_proto(), 11u);
    EXPECT_EQ(raws[i].dir_data(), f[0] == "119" ? 1u : 0u);
  }
}

// H.323: RAS over UDP, Q.931/H.225.0 call signalling on 1720 and H.245 on a port the call
// chose, recognised by their structure. Every packet tshark decodes as h225, q931 or h245 is
// a raw record with META_PROTO 12, and every raw record is one of the capture's packets of
// those flows.
TEST(RawGoldenTest, H323PacketsAreRawRecords) {
  std::string pcap = testing::CorpusFile("ndpi/h323.pcap");
  XS_REQUIRE_FILE(pcap);
  if (!testing::HaveCommand("tshark")) GTEST_SKIP() << "tshark not installed";
  std::string out = testing::RunCommand(
      "tshark -r '" + pcap +
      "' -Y 'tcp.len>0 || udp' -T fields -E separator=/t -e frame.protocols -e tcp.payload "
      "-e udp.payload 2>/dev/null");
  std::map<std::string, bool> payloads;  // payload -> tshark calls it H.323
  int h323 = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 3u);
    bool is = absl::StrContains(f[0], "h225") || absl::StrContains(f[0], "q931") ||
              absl::StrContains(f[0], "h245");
    payloads[absl::HexStringToBytes(f[1] + f[2])] |= is;
    h323 += is;
  }
  Config c = DefaultConfig();
  c.raw_export = true;
  auto raws = testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}, c), "raw");
  std::set<std::string> exported;
  int tcp = 0, udp = 0;
  for (const schema::Raw& r : raws) {
    EXPECT_TRUE(payloads.count(r.raw_data())) << "not a packet of the capture";
    EXPECT_EQ(r.meta_proto(), 12u);
    EXPECT_EQ(r.vdpi_proto(), 12u);
    exported.insert(r.raw_data());
    (r.protocol_identifier() == 6 ? tcp : udp)++;
  }
  ASSERT_GT(h323, 20);
  for (const auto& [payload, is] : payloads) {
    if (is) {
      EXPECT_TRUE(exported.count(payload)) << "an H.323 packet tshark decodes is missing";
    }
  }
  EXPECT_GT(tcp, 0);
  EXPECT_GT(udp, 0);
}

}  // namespace
}  // namespace xsensor
