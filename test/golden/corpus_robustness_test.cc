// Every capture of the corpus, malformed and truncated ones included, through the sensor
// path: no crash, no sanitizer report, and the decode counters account for every frame.
#include <gtest/gtest.h>

#include "capture/pcap_source.h"
#include "export/exporter.h"
#include "sensor/worker.h"
#include "testing/corpus.h"
#include "testing/counting_sink.h"
#include "testing/pipeline.h"

namespace xsensor {
namespace {

TEST(CorpusRobustnessTest, EveryCaptureEveryFrameAccountedFor) {
  auto captures = testing::AllCorpusCaptures();
  if (captures.empty()) GTEST_SKIP() << "shared corpus not found";
  EXPECT_GE(captures.size(), 60u);
  Config config = DefaultConfig();
  for (const auto& path : captures) {
    SCOPED_TRACE(path);
    testing::CountingSink sink;
    Worker worker(config, 0, &sink);
    auto r = ReadPcapFile(path, [&](LinkType l, const uint8_t* d, size_t c, size_t w, int64_t t) {
      worker.HandleFrame(l, d, c, w, t);
    });
    ASSERT_TRUE(r.ok()) << r.status();
    worker.Finish();
    EXPECT_EQ(worker.counters().Get(WorkerCounters::kFrames), r->frames);
    EXPECT_EQ(worker.decode_counters().Sum(), r->frames);
    EXPECT_EQ(sink.records, worker.records_emitted());
  }
}

TEST(CorpusRobustnessTest, DamagedFileKeepsWhatCameBefore) {
  // suricata-verify bug-6875: a record header claims a 16 MB packet.
  std::string pcap = testing::CorpusFile("suricata-verify/bug-6875-01-fuzz.pcap");
  XS_REQUIRE_FILE(pcap);
  uint64_t frames = 0;
  auto r = ReadPcapFile(pcap, [&](LinkType, const uint8_t*, size_t, size_t, int64_t) { ++frames; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->truncated);
  EXPECT_FALSE(r->error.empty());
  EXPECT_EQ(frames, r->frames);
}

TEST(CorpusRobustnessTest, MalformedFramesAreCountedByReason) {
  struct Case {
    const char* file;
    DecodeCounters::Id reason;
  } cases[] = {
      // tshark: "Packet size limited during capture: Ethernet truncated" (8 of 78 bytes).
      {"zeek/trunc_trunc-hdr.pcap", DecodeCounters::kTruncatedL2},
      // tshark: "IPv6 payload length exceeds framing length".
      {"zeek/trunc_ip6-ext-trunc.pcap", DecodeCounters::kBadIpLength},
      // tshark: "IPv4 total length exceeds packet length".
      {"suricata-verify/ipv4-truncated.pcap", DecodeCounters::kBadIpLength},
  };
  for (const auto& c : cases) {
    std::string pcap = testing::CorpusFile(c.file);
    if (pcap.empty()) GTEST_SKIP() << "corpus not found";
    auto r = testing::RunPipeline({pcap});
    EXPECT_GE(r.decode[c.reason], 1u) << c.file << "\n" << r.counters_text;
    EXPECT_EQ(r.decode_sum, r.frames) << c.file;
  }
}

}  // namespace
}  // namespace xsensor
