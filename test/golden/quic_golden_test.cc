// QUIC Initial decryption (v1, v2, draft-29) on real captures against the peers' oracles: the
// ClientHello's SNI as Zeek's quic.log, Suricata's EVE and ipfixprobe saw it, HOST_TYPE 4.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

struct QuicResult {
  std::vector<schema::Clickstream> clicks;
  std::vector<bool> ipv6;
  std::string counters;
};

QuicResult RunQuic(const std::string& pcap) {
  auto r = testing::RunPipeline({pcap});
  QuicResult out;
  out.counters = r.counters_text;
  out.clicks = testing::RecordsOf<schema::Clickstream>(r, "clickstream", &out.ipv6);
  return out;
}

std::string ZeekQuicName(const std::string& dir, const std::string& file = "quic.log") {
  auto rows =
      testing::ReadZeekLog(CorpusFile("zeek/oracles/testing/btest/Baseline/" + dir + "/" + file));
  if (rows.size() != 1) return "?";
  return rows[0].at("server_name");
}

void ExpectSni(const QuicResult& r, const std::string& sni) {
  ASSERT_EQ(r.clicks.size(), 1u) << r.counters;
  EXPECT_EQ(r.clicks[0].hostname(), sni);
  EXPECT_EQ(r.clicks[0].host_type(), 4u);
  EXPECT_GT(r.clicks[0].cipher_suites_len(), 0u);
  EXPECT_EQ(r.clicks[0].port_destination(), 443u);
}

TEST(QuicGoldenTest, ZeekChromiumV1) {
  std::string pcap = CorpusFile("zeek/quic_chromium-115-api-cirrus-com.pcap");
  XS_REQUIRE_FILE(pcap);
  ExpectSni(RunQuic(pcap), ZeekQuicName("scripts.base.protocols.quic.chromium"));
}

TEST(QuicGoldenTest, ZeekClientHelloOverSeveralInitialsIpv6) {
  std::string pcap = CorpusFile("zeek/quic_multiple-initial-fragmented-crypto.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunQuic(pcap);
  ExpectSni(r, ZeekQuicName("scripts.base.protocols.quic.multiple-initial-fragmented-crypto",
                            "quic.log.cut"));
  EXPECT_TRUE(r.ipv6[0]);
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.quic_initials_decrypted 3\n"));
}

TEST(QuicGoldenTest, ZeekVersion2DecryptsAndHasNoSni) {
  std::string pcap = CorpusFile("zeek/quic_quicv2-http3-443.pcap");
  XS_REQUIRE_FILE(pcap);
  EXPECT_EQ(ZeekQuicName("scripts.base.protocols.quic.quicv2-http3-443"), "-");
  auto r = RunQuic(pcap);
  EXPECT_TRUE(r.clicks.empty());
  // Decrypted with the v2 salt and labels: the ClientHello was read and has no server_name.
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.quic_initials_decrypted 1\n"));
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.tls_client_hello_without_sni 1\n"));
}

TEST(QuicGoldenTest, SuricataDraft29) {
  std::string pcap = CorpusFile("suricata-verify/quic-ietf.pcap");
  XS_REQUIRE_FILE(pcap);
  ExpectSni(RunQuic(pcap), "msquic.net");  // test.yaml: quic.extensions server_name
}

TEST(QuicGoldenTest, IpfixprobeInitialSampleIpv6) {
  std::string pcap = CorpusFile("ipfixprobe/quic_initial-sample.pcap");
  std::string csv = CorpusFile("ipfixprobe/oracles/tests/functional/outputs/quic");
  if (pcap.empty() || csv.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadCsv(csv);
  ASSERT_EQ(rows.size(), 1u);
  auto r = RunQuic(pcap);
  ExpectSni(r, rows[0].at("QUIC_SNI"));
  EXPECT_TRUE(r.ipv6[0]);
}

TEST(QuicGoldenTest, NdpiClientHelloInTwoPacketsWithoutSni) {
  std::string pcap = CorpusFile("ndpi/quic_frags_ch_in_multiple_packets.pcapng");
  XS_REQUIRE_FILE(pcap);
  auto r = RunQuic(pcap);
  EXPECT_TRUE(r.clicks.empty());  // nDPI shows no Hostname/SNI either
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.quic_initials_decrypted 2\n"));
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.tls_client_hello_without_sni 1\n"));
}

TEST(QuicGoldenTest, SnapTruncatedInitialsAreCountedNotFatal) {
  std::string pcap = CorpusFile("tcpdump/quic_handshake_truncated.pcap");
  XS_REQUIRE_FILE(pcap);
  auto r = RunQuic(pcap);
  EXPECT_TRUE(r.clicks.empty());
  EXPECT_TRUE(absl::StrContains(r.counters, "parser.quic_initials_undecryptable 2\n"));
}

}  // namespace
}  // namespace xsensor
