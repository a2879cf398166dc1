#include "records/login_map.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "testing/corpus.h"
#include "testing/pipeline.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

std::string V4(const char* a, const char* b, const char* c, const char* d) {
  return std::string{static_cast<char>(atoi(a)), static_cast<char>(atoi(b)),
                     static_cast<char>(atoi(c)), static_cast<char>(atoi(d))};
}

TEST(LoginTableTest, LongestPrefixWinsForBothFamilies) {
  auto t = LoginTable::Parse("m.txt",
                             "# comment\n"
                             "10.0.0.0/8 isp-pool   # trailing comment\n"
                             "10.1.2.0/24 branch\n"
                             "10.1.2.3 alice\n"
                             "2001:db8::/32 v6pool\n"
                             "2001:db8::5/128 bob\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->size(), 5u);
  EXPECT_EQ(*(*t)->Find(V4("10", "1", "2", "3")), "alice");
  EXPECT_EQ(*(*t)->Find(V4("10", "1", "2", "4")), "branch");
  EXPECT_EQ(*(*t)->Find(V4("10", "200", "0", "1")), "isp-pool");
  EXPECT_EQ((*t)->Find(V4("11", "0", "0", "1")), nullptr);
  std::string v6(16, '\0');
  v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = static_cast<char>(0xb8);
  v6[15] = 5;
  EXPECT_EQ(*(*t)->Find(v6), "bob");
  v6[15] = 6;
  EXPECT_EQ(*(*t)->Find(v6), "v6pool");
}

TEST(LoginTableTest, ErrorsNameFileAndLine) {
  auto a = LoginTable::Parse("m.txt", "10.0.0.1 a\nnot-an-address b\n");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(absl::StrContains(a.status().message(), "m.txt:2: 'not-an-address'"));
  auto b = LoginTable::Parse("m.txt", "10.0.0.0/33 a\n");
  EXPECT_TRUE(absl::StrContains(b.status().message(), "m.txt:1: prefix /33 is too long"));
  auto c = LoginTable::Parse("m.txt", "10.0.0.1\n");
  EXPECT_TRUE(absl::StrContains(c.status().message(), "m.txt:1: expected"));
}

// The login a record of source `a` and destination `b` gets from the map, as the workers ask.
std::string LoginOf(const LoginMap& m, absl::string_view a, absl::string_view b) {
  Subscribers s;
  s.logins = &m;
  std::string login;
  s.Find(a, b, &login);
  return login;
}

TEST(LoginMapTest, ReloadReplacesTheTableAndKeepsItOnError) {
  std::string path = ::testing::TempDir() + "/logins_reload.txt";
  std::ofstream(path) << "192.0.2.10 first\n";
  LoginMap m;
  ASSERT_TRUE(m.Load(path).ok());
  std::string addr = V4("192", "0", "2", "10");
  EXPECT_EQ(LoginOf(m, addr, ""), "first");
  std::ofstream(path) << "192.0.2.0/24 second\n";
  ASSERT_TRUE(m.Reload().ok());
  EXPECT_EQ(LoginOf(m, addr, ""), "second");
  std::ofstream(path) << "garbage\n";
  EXPECT_FALSE(m.Reload().ok());
  EXPECT_EQ(LoginOf(m, addr, ""), "second");  // the previous table stays
  EXPECT_EQ(LoginOf(m, "", addr), "second");  // the destination when the source has none
}

TEST(LoginMapTest, EveryRecordTypeGetsItsLogin) {
  std::string http = testing::CorpusFile("zeek/http_pipelined-requests.pcap");
  std::string dns = testing::CorpusFile("suricata-verify/cond-log-dns-dig.pcap");
  if (http.empty() || dns.empty()) GTEST_SKIP() << "corpus not found";
  std::string path = ::testing::TempDir() + "/logins_records.txt";
  std::ofstream(path) << "192.168.1.0/24 office\n192.168.1.104 alice\n";
  Config c = DefaultConfig();
  c.login_map_file = path;
  auto r = testing::RunPipeline({http, dns}, c);
  auto clicks = testing::RecordsOf<schema::Clickstream>(r, "clickstream");
  ASSERT_EQ(clicks.size(), 5u);
  for (const auto& k : clicks) EXPECT_EQ(k.login(), "alice");  // the client 192.168.1.104
  auto answers = testing::RecordsOf<schema::Dns>(r, "dns");
  ASSERT_FALSE(answers.empty());
  for (const auto& d : answers) EXPECT_EQ(d.login(), "");  // 10.16.1.11: no prefix covers it
}

}  // namespace
}  // namespace xsensor
