#include "records/dns_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "testing/corpus.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

namespace fs = std::filesystem;

schema::Dns Record(uint32_t i) {
  schema::Dns r;
  r.set_time_stamp(1700000000 + i);
  r.set_session_id(1000 + i);
  r.set_ip_source(std::string("\xc0\x00\x02\x0a", 4));
  r.set_ip_destination(std::string(15, '\0') + "\x01");
  r.set_port_source(40000);
  r.set_port_destination(53);
  r.set_transport(0);
  r.set_domain("host" + std::to_string(i) + ".example");
  r.set_rrtype(1);
  r.set_rrclass(1);
  r.set_ttl(300);
  r.set_rdata(std::string("\x0a\x00\x00\x01", 4));
  return r;
}

class DnsLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("dnslog_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.path = (dir_ / "dns.log").string();
    options_.fields = DefaultConfig().ajb_save_dns_format;
  }
  void TearDown() override { fs::remove_all(dir_); }
  // All lines of all files in the folder, and the files.
  std::vector<std::string> Lines(std::vector<fs::path>* files = nullptr) {
    std::vector<std::string> lines;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (files) files->push_back(e.path());
      std::string text = testing::ReadFile(e.path());
      EXPECT_TRUE(text.empty() || text.back() == '\n') << e.path();  // no split line
      for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
        lines.emplace_back(l);
      }
    }
    return lines;
  }
  fs::path dir_;
  DnsLogOptions options_;
};

TEST_F(DnsLogTest, DefaultFormat) {
  EXPECT_EQ(FormatDnsLogLine(Record(7), options_.fields),
            "1700000007:1007::192.0.2.10:[::1]:40000:53:udp:host7.example:A:IN:300:4:10.0.0.1");
}

TEST_F(DnsLogTest, CustomFormat) {
  EXPECT_EQ(FormatDnsLogLine(Record(1), {"host", "rdata", "ttl"}), "host1.example:10.0.0.1:300");
}

// The specification: host is "the name that was asked about", not the answer's owner (a
// question for mail.patriots.in answered by a record of patriots.in).
TEST_F(DnsLogTest, HostIsTheNameAsked) {
  schema::Dns r = Record(1);
  r.set_domain("patriots.in");
  EXPECT_EQ(FormatDnsLogLine(r, {"host", "ttl"}, "mail.patriots.in"), "mail.patriots.in:300");
  EXPECT_EQ(FormatDnsLogLine(r, {"host"}), "patriots.in");  // no question known
}

TEST_F(DnsLogTest, RotationBySizeLosesNothing) {
  options_.max_bytes = 600;
  options_.buffer_bytes = 256;
  {
    auto log = DnsTextLog::Start(options_);
    ASSERT_TRUE(log.ok());
    for (uint32_t i = 0; i < 200; ++i) (*log)->Add(Record(i));
    (*log)->Stop();
    EXPECT_EQ((*log)->stats().lines_written, 200u);
    EXPECT_EQ((*log)->stats().lines_dropped, 0u);
    EXPECT_GT((*log)->stats().files_closed, 10u);
  }
  std::vector<fs::path> files;
  auto lines = Lines(&files);
  ASSERT_EQ(lines.size(), 200u);
  std::set<std::string> hosts;
  // host is the ninth field; the [::1] before it holds two more ':'.
  for (const auto& l : lines) hosts.insert(std::vector<std::string>(absl::StrSplit(l, ':'))[10]);
  EXPECT_EQ(hosts.size(), 200u);
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), 600u) << f;
    EXPECT_NE(f.filename(), "dns.log");  // all closed off and renamed at Stop
  }
}

TEST_F(DnsLogTest, RotationByTime) {
  options_.timeout_us = 1'000'000;
  auto log = DnsTextLog::Start(options_);
  ASSERT_TRUE(log.ok());
  (*log)->Add(Record(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  // The first file was non-empty for longer than the timeout: it is closed off already.
  EXPECT_EQ((*log)->stats().files_closed, 1u);
  (*log)->Add(Record(2));
  (*log)->Stop();
  EXPECT_EQ((*log)->stats().files_closed, 2u);
  std::vector<fs::path> files;
  EXPECT_EQ(Lines(&files).size(), 2u);
  EXPECT_EQ(files.size(), 2u);
}

TEST_F(DnsLogTest, NothingIsOverwritten) {
  std::ofstream(options_.path) << "from an earlier run\n";
  options_.max_bytes = 150;  // one line per file: several switches within one second
  auto log = DnsTextLog::Start(options_);
  ASSERT_TRUE(log.ok());
  for (uint32_t i = 0; i < 5; ++i) (*log)->Add(Record(i));
  (*log)->Stop();
  std::vector<fs::path> files;
  auto lines = Lines(&files);
  EXPECT_EQ(lines.size(), 6u);
  EXPECT_EQ(files.size(), 6u);  // PATH.STAMP, PATH.STAMP.1, ...
  EXPECT_NE(std::find(lines.begin(), lines.end(), "from an earlier run"), lines.end());
}

TEST_F(DnsLogTest, UnwritablePathIsCountedNotFatal) {
  options_.path = (dir_ / "missing" / "dns.log").string();
  auto log = DnsTextLog::Start(options_);
  ASSERT_TRUE(log.ok());
  for (uint32_t i = 0; i < 10; ++i) (*log)->Add(Record(i));
  (*log)->Stop();
  EXPECT_EQ((*log)->stats().lines_written, 0u);
  EXPECT_EQ((*log)->stats().lines_dropped, 10u);
  EXPECT_GE((*log)->stats().write_errors, 1u);
}

}  // namespace
}  // namespace xsensor
