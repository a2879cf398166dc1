// Offline throughput: xsensor's whole path (decode, flows, HTTP parsing, IPFIX encoding and
// UDP export) over a large capture built from the corpus, next to a bare libpcap read loop
// over the same file, in the same run. scripts/bench.sh reports the ratio of the two rates
// (target: >= 0.5).
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>

#include "capture/pcap_source.h"
#include "common/time_util.h"
#include "common/unique_fd.h"
#include "export/exporter.h"
#include "sensor/worker.h"
#include "testing/corpus.h"

namespace xsensor {
namespace {

constexpr int kRepeats = 40;

// Every Ethernet capture of the corpus, kRepeats times; each repetition is shifted an hour
// later so its flows are new flows (the previous ones have timed out), not retransmissions.
const std::string& BigCapture() {
  static const std::string* path = [] {
    auto* p = new std::string(std::filesystem::temp_directory_path() / "xsensor_bench.pcap");
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
    pcap_dumper_t* out = pcap_dump_open(dead, p->c_str());
    for (int rep = 0; rep < kRepeats; ++rep) {
      for (const auto& f : testing::AllCorpusCaptures()) {
        pcap_t* in = pcap_open_offline(f.c_str(), err);
        if (!in) continue;
        if (pcap_datalink(in) == DLT_EN10MB) {
          pcap_pkthdr* h;
          const u_char* d;
          while (pcap_next_ex(in, &h, &d) == 1) {
            pcap_pkthdr copy = *h;
            copy.ts.tv_sec = 1700000000 + rep * 3600 + (h->ts.tv_sec % 600);
            pcap_dump(reinterpret_cast<u_char*>(out), &copy, d);
          }
        }
        pcap_close(in);
      }
    }
    pcap_dump_close(out);
    pcap_close(dead);
    return p;
  }();
  return *path;
}

void BM_BareLibpcapRead(benchmark::State& state) {
  if (testing::SharedDir().empty()) {
    state.SkipWithError("shared corpus not found");
    return;
  }
  const std::string& path = BigCapture();
  uint64_t frames = 0;
  for (auto _ : state) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    pcap_pkthdr* h;
    const u_char* d;
    uint64_t sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
      sum += d[0] + h->caplen;  // touch the frame, as any consumer must
      ++frames;
    }
    benchmark::DoNotOptimize(sum);
    pcap_close(p);
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_SensorOffline(benchmark::State& state) {
  if (testing::SharedDir().empty()) {
    state.SkipWithError("shared corpus not found");
    return;
  }
  const std::string& path = BigCapture();
  // Export to a real UDP socket that nobody reads: encoding and send() are measured.
  UniqueFd sink_fd(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  bind(sink_fd.get(), reinterpret_cast<sockaddr*>(&sin), len);
  getsockname(sink_fd.get(), reinterpret_cast<sockaddr*>(&sin), &len);
  auto sink = ParseEndpoint("127.0.0.1:" + std::to_string(ntohs(sin.sin_port)), false);
  Config config = DefaultConfig();
  config.ipfix_udp_collectors = {*sink};
  config.http_parse_reply = true;
  uint64_t frames = 0, records = 0;
  for (auto _ : state) {
    auto exporter = Exporter::Create(config);
    Worker worker(config, 0, exporter->get());
    auto r = ReadPcapFile(path, [&](LinkType l, const uint8_t* d, size_t c, size_t w, int64_t t) {
      worker.HandleFrame(l, d, c, w, t);
    });
    worker.Finish();
    (*exporter)->Flush();
    frames += r->frames;
    records += worker.records_emitted();
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["records"] = static_cast<double>(records) / state.iterations();
}

}  // namespace
}  // namespace xsensor

BENCHMARK(xsensor::BM_BareLibpcapRead)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(xsensor::BM_SensorOffline)->Unit(benchmark::kMillisecond)->MinTime(2.0);

BENCHMARK_MAIN();
