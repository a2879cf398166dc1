// OfflineSensor (xsensor --pcap) spreads flows over worker threads and, for a mapped file,
// hands them frames without a copy; for a pipe it copies them. However it runs, the records
// must be those of one worker reading the capture alone.
#include "sensor/offline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "testing/corpus.h"
#include "testing/pipeline.h"

namespace xsensor {
namespace {

// Every record as text, its session id cleared (ids are drawn per worker), sorted.
std::vector<std::string> Normalized(const testing::PipelineResult& r) {
  std::vector<std::string> out;
  for (const auto& rec : r.records) {
    if (!rec.record.spec) continue;
    std::unique_ptr<google::protobuf::Message> m(rec.record.message->New());
    m->CopyFrom(*rec.record.message);
    if (const auto* f = m->GetDescriptor()->FindFieldByName("session_id")) {
      m->GetReflection()->ClearField(m.get(), f);
    }
    out.push_back(rec.record.spec->name + " " + m->ShortDebugString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Config WithWorkers(uint32_t n) {
  Config c = DefaultConfig();
  c.http_parse_reply = true;
  c.ssl_parse_reply = true;
  c.raw_export = true;
  c.metrics_listen.reset();
  c.log_dir = std::filesystem::temp_directory_path();
  c.pcap_workers = n;
  return c;
}

// BRIDGE_CHANNEL_NUM (SPEC.md): vchannel when configured, else the interface's number: a capture
// file is interface 1, not 0.
TEST(OfflineSensorTest, BridgeChannelIsTheInterfaceOrVchannel) {
  const std::string pcap = testing::CorpusFile("zeek/http_get.pcap");
  if (pcap.empty()) GTEST_SKIP() << "shared corpus not found";
  for (uint32_t vchannel : {0u, 7u}) {
    Config c = WithWorkers(1);
    c.vchannel = vchannel;
    auto run = testing::RunOfflineSensor(pcap, c);
    size_t seen = 0;
    for (const auto& rec : run.records) {
      if (!rec.record.spec) continue;
      const auto* f = rec.record.message->GetDescriptor()->FindFieldByName("bridge_channel_num");
      if (!f) continue;
      EXPECT_EQ(rec.record.message->GetReflection()->GetUInt32(*rec.record.message, f),
                vchannel ? vchannel : 1u);
      ++seen;
    }
    EXPECT_GT(seen, 0u);
  }
}

TEST(OfflineSensorTest, RecordsDoNotDependOnWorkersOrOnAPipe) {
  auto captures = testing::AllCorpusCaptures();
  if (captures.empty()) GTEST_SKIP() << "shared corpus not found";
  size_t records = 0, piped = 0;
  for (const auto& pcap : captures) {
    SCOPED_TRACE(pcap);
    auto one = testing::RunOfflineSensor(pcap, WithWorkers(1));
    auto three = testing::RunOfflineSensor(pcap, WithWorkers(3));
    EXPECT_EQ(three.frames, one.frames);
    EXPECT_EQ(Normalized(three), Normalized(one));
    records += one.records.size();
    // Every fourth capture also through a pipe (not mapped: frames are copied to the workers).
    if (records && piped * 4 < captures.size() && one.records.size() > 2) {
      testing::FileThroughPipe fifo(pcap);
      auto pipe = testing::RunOfflineSensor(fifo.path(), WithWorkers(2));
      EXPECT_EQ(pipe.frames, one.frames);
      EXPECT_EQ(Normalized(pipe), Normalized(one));
      ++piped;
    }
  }
  EXPECT_GT(records, 1000u);  // the corpus gives records of every kind: the comparison says much
  EXPECT_GE(piped, 5u);
}

}  // namespace
}  // namespace xsensor
