// Offline throughput: xsensor's whole path (the same OfflineSensor as `xsensor --pcap`: decode,
// flows, every parser, replies on, IPFIX encoding and UDP export) over a capture, next to a
// bare libpcap read loop over the same file, in the same run. The capture is
// $XSENSOR_BENCH_PCAP when set (scripts/bench.sh sets it to the many-flow mix of
// ../shared/bench/make-mix.sh), else every Ethernet capture of the corpus 40 times.
// scripts/bench.sh reports the ratios. Also: heap allocations per frame (every operator new
// of the process is counted) and the memory held per idle flow.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#include "capture/pcap_source.h"
#include "common/time_util.h"
#include "common/unique_fd.h"
#include "export/exporter.h"
#include "sensor/offline.h"
#include "sensor/worker.h"
#include "testing/allocation_counter.h"
#include "testing/corpus.h"
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

constexpr int kRepeats = 40;

// Every Ethernet capture of the corpus, kRepeats times; each repetition is shifted an hour
// later so its flows are new flows (the previous ones have timed out), not retransmissions.
const std::string& BigCapture() {
  static const std::string* path = [] {
    if (const char* mix = std::getenv("XSENSOR_BENCH_PCAP"); mix && *mix) {
      return new std::string(mix);
    }
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

// Resident memory of the process in bytes (/proc/self/statm).
size_t ResidentBytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Arg: pcap_workers (1: one thread; 0: one per CPU).
void BM_SensorOffline(benchmark::State& state) {
  if (testing::SharedDir().empty()) {
    state.SkipWithError("shared corpus not found");
    return;
  }
  const std::string& path = BigCapture();
  // Export to real UDP sockets that nobody reads: encoding and send() are measured.
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
  config.ipfix_meta_udp_collectors = {*sink};
  config.ipfix_dns_udp_collectors = {*sink};
  config.http_parse_reply = true;
  config.ssl_parse_reply = true;
  config.metrics_listen.reset();
  config.log_dir = std::filesystem::temp_directory_path();
  config.pcap_workers = static_cast<uint32_t>(state.range(0));
  uint64_t frames = 0, records = 0, allocations = 0, flows = 0;
  for (auto _ : state) {
    auto sensor = OfflineSensor::Create(config);
    uint64_t before = testing::AllocationCount();
    auto r = (*sensor)->Run(path, nullptr);
    allocations += testing::AllocationCount() - before;
    frames += r->frames;
    records += (*sensor)->records_emitted();
    std::string counters = (*sensor)->CountersText();
    size_t at = counters.find("flow.flows_created ");
    if (at != std::string::npos) flows += std::strtoull(counters.c_str() + at + 19, nullptr, 10);
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.counters["records"] = static_cast<double>(records) / state.iterations();
  state.counters["flows"] = static_cast<double>(flows) / state.iterations();
  state.counters["allocs_per_frame"] =
      static_cast<double>(allocations) / static_cast<double>(frames ? frames : 1);
  state.counters["workers"] = static_cast<double>(OfflineWorkers(config.pcap_workers));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_mb"] = static_cast<double>(ru.ru_maxrss) / 1024;
}

// Memory held per idle flow: a worker sees one TCP SYN of each of 200k connections to port
// 80 (each flow then waits for its request, as most flows of a link do); the resident memory
// the process gained, divided by the flows.
void BM_IdleFlowBytes(benchmark::State& state) {
  constexpr int kFlows = 200000;
  std::vector<std::string> syns;
  syns.reserve(kFlows);
  for (int i = 0; i < kFlows; ++i) {
    std::string src = "10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                      std::to_string(i & 255);
    syns.push_back(testing::PacketBuilder()
                       .Eth()
                       .Ipv4(src, "192.0.2.80")
                       .Tcp(static_cast<uint16_t>(1024 + i % 60000), 80, 1000, kSyn)
                       .Build());
  }
  struct NullSink : RecordSink {
    void Emit(const google::protobuf::Message&) override {}
  } null_sink;
  double per_flow = 0;
  for (auto _ : state) {
    Config config = DefaultConfig();
    size_t before = ResidentBytes();
    auto worker = std::make_unique<Worker>(config, 0, &null_sink);
    for (int i = 0; i < kFlows; ++i) {
      const auto* d = reinterpret_cast<const uint8_t*>(syns[i].data());
      worker->HandleFrame(LinkType::kEthernet, d, syns[i].size(), syns[i].size(),
                          1700000000'000000 + i);
    }
    size_t after = ResidentBytes();
    per_flow = static_cast<double>(after - before) / worker->flows().size();
    state.counters["flows"] = static_cast<double>(worker->flows().size());
    state.counters["table_bytes_per_flow"] =
        static_cast<double>(worker->flows().memory_bytes()) / worker->flows().size();
    state.PauseTiming();
    worker.reset();
    state.ResumeTiming();
  }
  state.counters["rss_bytes_per_flow"] = per_flow;
}

// Feeds `frames` to a fresh worker under `config`, once per iteration; `report` then reads the
// warm worker, beside the resident memory the process gained (rss_growth_mb) and the budget
// (state.range(0), in MiB). The worker is freed outside the timing.
template <typename Report>
void RunFlood(benchmark::State& state, const Config& config, const std::vector<std::string>& frames,
              Report&& report) {
  struct NullSink : RecordSink {
    void Emit(const google::protobuf::Message&) override {}
  } null_sink;
  for (auto _ : state) {
    size_t before = ResidentBytes();
    auto worker = std::make_unique<Worker>(config, 0, &null_sink);
    int64_t t = 1700000000'000000;
    for (const std::string& f : frames) {
      const auto* d = reinterpret_cast<const uint8_t*>(f.data());
      worker->HandleFrame(LinkType::kEthernet, d, f.size(), f.size(), ++t);
    }
    worker->PublishGauges();
    state.counters["rss_growth_mb"] = static_cast<double>(ResidentBytes() - before) / (1 << 20);
    state.counters["budget_mb"] = static_cast<double>(state.range(0));
    report(*worker);
    state.PauseTiming();
    worker.reset();
    state.ResumeTiming();
  }
}

// A flood of partial TLS records: 20k flows to port 443, each client sending the first 8000
// bytes of a 16000-byte handshake record, so every flow's parser holds a buffer (160 MB if
// nothing bounded them). Arg: parser_total_bytes in MiB. Reports the resident memory the
// process gained and what the worker accounted, beside the budget (make bench prints them).
void BM_PartialRecordFlood(benchmark::State& state) {
  constexpr int kFlows = 20000;
  const std::string partial = std::string("\x16\x03\x01\x3e\x80", 5) + std::string(7995, 'x');
  std::vector<std::string> frames;
  frames.reserve(kFlows);
  for (int i = 0; i < kFlows; ++i) {
    std::string src = "10.9." + std::to_string(i >> 8) + "." + std::to_string(i & 255);
    frames.push_back(testing::PacketBuilder()
                         .Eth()
                         .Ipv4(src, "192.0.2.43")
                         .Tcp(static_cast<uint16_t>(1024 + i % 60000), 443, 1000, kAck | kPsh)
                         .Payload(partial)
                         .Build());
  }
  Config config = DefaultConfig();
  config.parser_total_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  RunFlood(state, config, frames, [&](const Worker& worker) {
    state.counters["parser_buffered_mb"] =
        static_cast<double>(worker.parser_buffered()) / (1 << 20);
    state.counters["given_up"] =
        static_cast<double>(worker.counters().Get(WorkerCounters::kParsersOverBudget));
  });
}

// A flood of one-byte out-of-order TCP segments: 500 flows to port 80, each sending one byte
// and then 1000 single bytes beyond a hole that never fills, so every segment waits in the
// reassembler (500k segments; ~80 bytes each once their bookkeeping counts). Arg:
// reassembly_total_bytes in MiB. Reports the resident memory gained and what the worker
// accounted, beside the budget (make bench prints them).
void BM_OutOfOrderFlood(benchmark::State& state) {
  constexpr int kFlows = 500;
  constexpr int kSegments = 1000;
  std::vector<std::string> frames;
  frames.reserve(kFlows * (kSegments + 1));
  for (int i = 0; i < kFlows; ++i) {
    std::string src = "10.8." + std::to_string(i >> 8) + "." + std::to_string(i & 255);
    const auto port = static_cast<uint16_t>(20000 + i);
    frames.push_back(testing::PacketBuilder()
                         .Eth()
                         .Ipv4(src, "192.0.2.80")
                         .Tcp(port, 80, 1000, kAck | kPsh)
                         .Payload("G")
                         .Build());
    for (int k = 0; k < kSegments; ++k) {  // 1002, 1004, ...: 1001 never comes
      frames.push_back(testing::PacketBuilder()
                           .Eth()
                           .Ipv4(src, "192.0.2.80")
                           .Tcp(port, 80, static_cast<uint32_t>(1002 + 2 * k), kAck | kPsh)
                           .Payload("x")
                           .Build());
    }
  }
  Config config = DefaultConfig();
  config.reassembly_total_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  RunFlood(state, config, frames, [&](const Worker& worker) {
    state.counters["reassembly_buffered_mb"] =
        static_cast<double>(worker.reassembly_buffered()) / (1 << 20);
  });
}

}  // namespace
}  // namespace xsensor

BENCHMARK(xsensor::BM_BareLibpcapRead)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(xsensor::BM_SensorOffline)
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(xsensor::BM_IdleFlowBytes)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(xsensor::BM_PartialRecordFlood)
    ->Arg(32)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(xsensor::BM_OutOfOrderFlood)
    ->Arg(8)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

BENCHMARK_MAIN();
