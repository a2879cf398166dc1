// ReadPcapFile parses classic pcap files itself; libpcap is the reference: every capture of
// the corpus must give the same frames (bytes, lengths, timestamps) and end the same way.
#include "capture/pcap_source.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "testing/corpus.h"

namespace xsensor {
namespace {

struct Frame {
  std::string bytes;
  size_t wire_len;
  int64_t ts_us;
  bool operator==(const Frame&) const = default;
};

struct Read {
  std::vector<Frame> frames;
  bool damaged = false;
};

Read WithLibpcap(const std::string& path) {
  Read out;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (!p) return out;
  pcap_pkthdr* h;
  const u_char* d;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    out.frames.push_back({std::string(reinterpret_cast<const char*>(d), h->caplen),
                          std::max(h->len, h->caplen),
                          int64_t{h->ts.tv_sec} * 1000000 + h->ts.tv_usec});
  }
  out.damaged = rc == PCAP_ERROR;
  pcap_close(p);
  return out;
}

Read WithSensor(const std::string& path) {
  Read out;
  auto r =
      ReadPcapFile(path, [&](LinkType, const uint8_t* d, size_t caplen, size_t wire, int64_t ts) {
        out.frames.push_back({std::string(reinterpret_cast<const char*>(d), caplen), wire, ts});
      });
  if (r.ok()) {
    out.damaged = r->truncated;
    EXPECT_EQ(r->frames, out.frames.size());
    EXPECT_EQ(r->error.empty(), !r->truncated);
  }
  return out;
}

TEST(PcapSourceTest, EveryCorpusCaptureReadsAsLibpcapReadsIt) {
  auto captures = testing::AllCorpusCaptures();
  if (captures.empty()) GTEST_SKIP() << "shared corpus not found";
  size_t classic = 0, frames = 0;
  for (const auto& path : captures) {
    SCOPED_TRACE(path);
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    if (std::memcmp(magic, "\x0a\x0d\x0d\x0a", 4) != 0) ++classic;
    Read expected = WithLibpcap(path);
    Read got = WithSensor(path);
    EXPECT_EQ(got.damaged, expected.damaged);
    ASSERT_EQ(got.frames.size(), expected.frames.size());
    for (size_t i = 0; i < got.frames.size(); ++i) {
      ASSERT_EQ(got.frames[i], expected.frames[i]) << "frame " << i + 1;
    }
    frames += got.frames.size();
  }
  EXPECT_GE(classic, 40u);  // most of the corpus is classic pcap: the parser here is exercised
  EXPECT_GT(frames, 3000u);
}

// A classic file written by libpcap, then cut at every length within its last records: each
// cut ends the read where libpcap ends it, with the frames before it.
TEST(PcapSourceTest, CutFilesEndLikeLibpcap) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("xsensor_pcap_source_" + std::to_string(getpid()) + ".pcap");
  pcap_t* dead =
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* dump = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dump, nullptr);
  for (int i = 0; i < 5; ++i) {
    std::string frame(60 + i * 100, static_cast<char>(i));
    pcap_pkthdr h{};
    h.ts.tv_sec = 1700000000 + i;
    h.ts.tv_usec = 123456789 + i;  // nanoseconds in this file
    h.caplen = static_cast<bpf_u_int32>(frame.size());
    h.len = h.caplen + 4;
    pcap_dump(reinterpret_cast<u_char*>(dump), &h, reinterpret_cast<const u_char*>(frame.data()));
  }
  pcap_dump_close(dump);
  pcap_close(dead);
  std::string whole;
  {
    std::ifstream f(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(f), {});
  }
  Read full = WithSensor(path);
  ASSERT_EQ(full.frames.size(), 5u);
  EXPECT_EQ(full.frames[2].ts_us, (1700000000 + 2) * int64_t{1000000} + 123456);
  EXPECT_EQ(full.frames[2].wire_len, 264u);
  for (size_t cut = whole.size() - 700; cut < whole.size(); ++cut) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(whole.data(), cut);
    Read expected = WithLibpcap(path);
    Read got = WithSensor(path);
    EXPECT_EQ(got.frames, expected.frames) << "cut at " << cut;
    EXPECT_EQ(got.damaged, expected.damaged) << "cut at " << cut;
  }
  std::remove(path.c_str());
}

// The file written into a pipe by another thread, read from /proc/self/fd/N: libpcap reads it
// (it cannot be mapped, nor opened twice), and every frame comes as from the file.
TEST(PcapSourceTest, APipeReadsLikeTheFile) {
  size_t tried = 0;
  for (const char* rel : {"zeek/http_get.pcap", "suricata-verify/http-ipv6.pcap"}) {
    std::string path = testing::CorpusFile(rel);
    if (path.empty()) continue;
    SCOPED_TRACE(path);
    testing::FileThroughPipe fifo(path);
    auto reader = PcapReader::Open(fifo.path());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_FALSE((*reader)->frames_persist());
    Read got;
    (*reader)->Run([&](LinkType, const uint8_t* d, size_t caplen, size_t wire, int64_t ts) {
      got.frames.push_back({std::string(reinterpret_cast<const char*>(d), caplen), wire, ts});
    });
    Read expected = WithLibpcap(path);
    EXPECT_GT(expected.frames.size(), 10u);
    EXPECT_EQ(got.frames, expected.frames);
    ++tried;
  }
  if (tried == 0) GTEST_SKIP() << "shared corpus not found";
}

// Resident kilobytes of file-backed pages (RssFile of /proc/self/status).
long RssFileKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return -1;
}

// A mapped file's frames stay valid after the callback (workers read them later) and after
// ReleaseBefore, which gives the pages behind the reader back: a 96 MiB capture read to its
// end leaves less than a third of it resident.
TEST(PcapSourceTest, MappedFramesOutliveTheCallbackAndLeaveTheResidentSet) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("xsensor_pcap_map_" + std::to_string(getpid()) + ".pcap");
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* dump = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dump, nullptr);
  constexpr int kFrames = 64 * 1024;
  for (int i = 0; i < kFrames; ++i) {
    std::string frame(1500, static_cast<char>(i * 7));
    std::memcpy(frame.data(), &i, sizeof(i));
    pcap_pkthdr h{};
    h.ts.tv_sec = 1700000000 + i;
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dump), &h, reinterpret_cast<const u_char*>(frame.data()));
  }
  pcap_dump_close(dump);
  pcap_close(dead);
  {
    auto reader = PcapReader::Open(path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    ASSERT_TRUE((*reader)->frames_persist());
    long before = RssFileKb();
    std::vector<const uint8_t*> frames;
    long peak = 0;
    (*reader)->Run([&](LinkType, const uint8_t* d, size_t caplen, size_t, int64_t) {
      EXPECT_EQ(caplen, 1500u);
      frames.push_back(d);
      if (frames.size() % 4096 == 0) {
        peak = std::max(peak, RssFileKb());
        (*reader)->ReleaseBefore(d);
      }
    });
    ASSERT_EQ(frames.size(), size_t{kFrames});
    long after = RssFileKb();
    EXPECT_LT(after - before, 32 * 1024) << "peak " << peak << " kB";
    for (int i = 0; i < kFrames; i += 997) {  // read again after their pages were released
      int n;
      std::memcpy(&n, frames[i], sizeof(n));
      ASSERT_EQ(n, i);
      EXPECT_EQ(frames[i][1499], static_cast<uint8_t>(i * 7));
    }
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace xsensor
