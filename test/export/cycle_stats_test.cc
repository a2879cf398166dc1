// The export statistics line of SPEC.md, exactly; cycles from a real exporter ticking.
#include "export/cycle_stats.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "common/time_util.h"
#include "export/exporter.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

class CycleStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(CycleStatsTest, LineHasTheSpecFormat) {
  CycleStats s;
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(s.Record(1200 + i, 30'000'000, 30'000'000));
  EXPECT_FALSE(s.Record(45297, 30'008'163, 30'000'000));
  // The spec's own example, at its own time: the header, then {a/b/c%/d/e} on the next line.
  EXPECT_EQ(s.StatLine(1668966903213770),
            "[STAT    ][2022/11/20-17:55:03:213770] Statistics on NFLW_export :\n"
            "{7/0/0.00%/45297us/30008163us}");
}

TEST_F(CycleStatsTest, SlowCyclesCountInBAndC) {
  CycleStats s;
  EXPECT_FALSE(s.Record(900'000, 1'000'000, 1'000'000));
  EXPECT_TRUE(s.Record(2'500'000, 1'000'100, 1'000'000));  // sending outlasted the period
  EXPECT_FALSE(s.Record(10, 3'500'000, 1'000'000));
  EXPECT_EQ(s.overruns(), 1u);
  EXPECT_EQ(s.StatLine(1000000000000007),
            "[STAT    ][2001/09/09-01:46:40:000007] Statistics on NFLW_export :\n"
            "{3/1/33.33%/2500000us/3500000us}");
  EXPECT_NE(s.AlertLine(1000000000000007, 1'000'000).find("[NFLW] very long operation"),
            std::string::npos);
}

TEST_F(CycleStatsTest, ExporterWritesOneLinePerCycleIntoLogDir) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("xs-cycles-" + std::to_string(getpid())) / "not-yet-there";
  std::filesystem::remove_all(dir.parent_path());
  Config c = DefaultConfig();
  c.netflow_timeout = 1;
  c.dbg_log_mask = 0x80;
  c.log_dir = dir.string();
  {
    auto e = Exporter::Create(c);
    ASSERT_TRUE(e.ok());
    int64_t end = MonotonicMicros() + 2'400'000;
    while (MonotonicMicros() < end) {
      (*e)->Tick(MonotonicMicros());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ((*e)->cycle_stats().cycles(), 2u);
    EXPECT_EQ((*e)->stats().log_write_errors, 0u);
  }
  std::ifstream in(dir / "fastdpi_stat.log");  // the specification's name
  ASSERT_TRUE(in.good()) << "the folder is created when missing";
  std::regex head(R"(\[STAT    \]\[\d{4}/\d\d/\d\d-\d\d:\d\d:\d\d:\d{6}\] Statistics on )"
                  R"(NFLW_export :)");
  std::regex line(R"(\{(\d+)/(\d+)/(\d+\.\d\d)%/(\d+)us/(\d+)us\})");
  std::string h, l;
  int n = 0;
  while (std::getline(in, h)) {
    ++n;
    ASSERT_TRUE(std::regex_match(h, head)) << h;
    ASSERT_TRUE(std::getline(in, l));
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, line)) << l;
    EXPECT_EQ(m[1].str(), std::to_string(n));
    EXPECT_EQ(m[2].str(), "0");
    EXPECT_EQ(m[3].str(), "0.00");
    int64_t e = std::stoll(m[5].str());
    EXPECT_GE(e, 1'000'000);  // a cycle every second, as it ran
    EXPECT_LT(e, 1'200'000);
  }
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "fastdpi_alert.log")) << "no cycle overran";
  std::filesystem::remove_all(dir.parent_path());
}

// A run shorter than netflow_timeout (an offline read) still writes its statistics, at the end.
TEST_F(CycleStatsTest, ShortRunWritesItsStatisticsAtShutdown) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("xs-short-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Config c = DefaultConfig();
  c.netflow_timeout = 30;
  c.dbg_log_mask = 0x80;
  c.log_dir = dir.string();
  {
    auto e = Exporter::Create(c);
    ASSERT_TRUE(e.ok());
    (*e)->Tick(MonotonicMicros());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (*e)->Shutdown(0);
    EXPECT_EQ((*e)->cycle_stats().cycles(), 1u);
  }
  std::ifstream in(dir / "fastdpi_stat.log");
  std::string head, line;
  ASSERT_TRUE(std::getline(in, head));
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(head.find("Statistics on NFLW_export :"), std::string::npos) << head;
  EXPECT_EQ(line.rfind("{1/0/0.00%/", 0), 0u) << line;
  std::filesystem::remove_all(dir);
}

// The spec: when the link to a collector is too poor the sensor skips part of the export and
// writes `[NFLW] very long operation ...` for it. A UDP collector whose port refuses (ICMP
// unreachable: send errors, records dropped) and records noted as dropped before the exporter
// (a worker's full ring) each give an alert line with the count and where; the cycle counts as
// no bad one (b): b counts the cycles that took longer than the period, and these were quick.
TEST_F(CycleStatsTest, SkippedRecordsRaiseTheAlertButAreNoOverrun) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("xs-skips-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  // A UDP port nobody listens on: its datagrams are refused (ECONNREFUSED on the next send).
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sin), len), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  close(fd);
  std::string where = "127.0.0.1:" + std::to_string(ntohs(sin.sin_port));
  Config c = DefaultConfig();
  c.netflow_timeout = 1;
  c.dbg_log_mask = 0x80;
  c.log_dir = dir.string();
  c.ipfix_udp_collectors = {*ParseEndpoint(where, false)};
  uint64_t dropped = 0;
  {
    auto e = Exporter::Create(c);
    ASSERT_TRUE(e.ok());
    (*e)->NoteSkipped("queue eth1.0", 7);
    int64_t end = MonotonicMicros() + 1'500'000;
    for (uint64_t i = 0; MonotonicMicros() < end; ++i) {
      schema::Clickstream r;
      r.set_ip_source(std::string(4, '\1'));
      r.set_ip_destination(std::string(4, '\2'));
      r.set_hostname("h");
      r.set_session_id(i);
      (*e)->Emit(r);
      (*e)->Flush();
      (*e)->Tick(MonotonicMicros());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    (*e)->Shutdown(0);  // what was skipped since the last look is alerted at the end
    dropped = (*e)->collectors()[0]->stats().records_dropped;
    EXPECT_GE((*e)->cycle_stats().cycles(), 1u);
  }
  ASSERT_GT(dropped, 0u) << "the refused port drops records";
  std::ifstream alerts(dir / "fastdpi_alert.log");
  ASSERT_TRUE(alerts.good());
  std::string line;
  uint64_t alerted = 0;
  bool queue_line = false;
  std::regex skip(
      R"(\[NFLW\] very long operation \[[0-9/:-]+\]: (\d+) records skipped for (.*) \(.*)");
  while (std::getline(alerts, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, skip)) << line;
    if (m[2].str() == "collector udp:" + where) alerted += std::stoull(m[1].str());
    if (m[2].str() == "queue eth1.0" && m[1].str() == "7") queue_line = true;
  }
  EXPECT_EQ(alerted, dropped) << "every skipped record is in an alert line";
  EXPECT_TRUE(queue_line);
  std::ifstream stats(dir / "fastdpi_stat.log");
  std::string head, first;
  ASSERT_TRUE(std::getline(stats, head));
  ASSERT_TRUE(std::getline(stats, first));
  EXPECT_EQ(first.rfind("{1/0/0.00%/", 0), 0u) << first;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xsensor
