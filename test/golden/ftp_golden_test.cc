// FTP on real captures against Zeek's ftp.log (user, password, data channel mode), Suricata's
// EVE checks (completion code of the login) and tshark's reading of the login reply.
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "testing/corpus.h"
#include "testing/oracles.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

using testing::CorpusFile;

std::vector<schema::Ftp> RunFtp(const std::string& pcap, std::vector<bool>* ipv6 = nullptr) {
  return testing::RecordsOf<schema::Ftp>(testing::RunPipeline({pcap}), "ftp", ipv6);
}

// The reply code tshark sees right after the PASS command.
std::string TsharkLoginReply(const std::string& pcap) {
  std::string out = testing::RunCommand("tshark -r '" + pcap +
                                        "' -Y 'ftp' -T fields -e ftp.request.command -e "
                                        "ftp.response.code 2>/dev/null");
  bool after_pass = false;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    f.resize(2);
    if (f[0] == "PASS") after_pass = true;
    if (after_pass && !f[1].empty()) return f[1];
  }
  return "";
}

void ExpectMatchesZeek(const std::string& pcap_rel, const std::string& dir, bool v6) {
  std::string pcap = CorpusFile(pcap_rel);
  std::string log = CorpusFile("zeek/oracles/testing/btest/Baseline/" + dir + "/ftp.log");
  if (pcap.empty() || log.empty()) GTEST_SKIP() << "corpus not found";
  auto rows = testing::ReadZeekLog(log);
  ASSERT_FALSE(rows.empty());
  std::vector<bool> ipv6;
  auto ftp = RunFtp(pcap, &ipv6);
  ASSERT_EQ(ftp.size(), 1u);  // one login on the control connection
  EXPECT_EQ(ftp[0].user(), rows[0].at("user"));
  EXPECT_EQ(ftp[0].password(), rows[0].at("password"));
  // The first data channel command after the login, as Zeek's data_channel.passive says.
  std::string first_passive;
  for (const auto& row : rows) {
    if (row.at("data_channel.passive") != "-") {
      first_passive = row.at("data_channel.passive");
      break;
    }
  }
  EXPECT_EQ(ftp[0].mode(), first_passive == "T" ? 1u : 0u);
  if (testing::HaveCommand("tshark")) {
    EXPECT_EQ(std::to_string(ftp[0].result_code()), TsharkLoginReply(pcap));
  }
  EXPECT_EQ(ipv6[0], v6);
  EXPECT_FALSE(ftp[0].server_name().empty());
}

TEST(FtpGoldenTest, ZeekIpv4PassiveLogin) {
  ExpectMatchesZeek("zeek/ftp_ipv4.pcap", "scripts.base.protocols.ftp.ftp-ipv4", false);
}
TEST(FtpGoldenTest, ZeekIpv6ExtendedPassive) {
  ExpectMatchesZeek("zeek/ftp_ipv6.pcap", "scripts.base.protocols.ftp.ftp-ipv6", true);
}

TEST(FtpGoldenTest, SuricataActiveModeLogin) {
  std::string pcap = CorpusFile("suricata-verify/ftp-bug-3519.pcap");
  XS_REQUIRE_FILE(pcap);
  auto ftp = RunFtp(pcap);
  ASSERT_EQ(ftp.size(), 1u);
  // test.yaml: USER anonymous (command_data), PASS -> completion code 230, then PORT.
  EXPECT_EQ(ftp[0].user(), "anonymous");
  EXPECT_EQ(ftp[0].result_code(), 230u);
  EXPECT_EQ(ftp[0].mode(), 0u);
}

}  // namespace
}  // namespace xsensor
