// Raw records round-trip: the payload bytes exported equal the bytes in the capture (read by
// tshark), packet by packet, with their ports, TCP flags and sequence numbers.
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
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
    EXPECT_EQ(r.meta_proto(), 4u);  // FTP
    EXPECT_EQ(r.protocol_identifier(), 6u);
    // The client (the side talking to port 21) is the subscriber.
    uint32_t from_server = f[0] == "21" ? 1 : 0;
    EXPECT_EQ(r.dir_data(), from_server);
    EXPECT_EQ(r.flw_dir(), from_server);
  }
  // Off by default.
  EXPECT_TRUE(testing::RecordsOf<schema::Raw>(testing::RunPipeline({pcap}), "raw").empty());
}

}  // namespace
}  // namespace xsensor
