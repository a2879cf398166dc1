// Export throughput on loopback, each beside the raw system call it is built on, in the same
// run with the same message sizes:
//   UDP: the exporter (records -> IPFIX messages -> sendmmsg batches) against raw sendmmsg of
//        the same number of same-sized datagrams per batch;
//   TCP: the exporter against raw blocking writev of the same messages, a thread reading on
//        the other end in both;
//   a stalled TCP collector (accepts, never reads) beside the UDP one: the UDP rate should not
//        move, since one collector's trouble must not reach another.
// scripts/bench.sh prints the ratios (aim: >= 0.8).
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "common/time_util.h"
#include "common/unique_fd.h"
#include "export/exporter.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

// A clickstream record of a typical size (about 300 bytes encoded).
schema::Clickstream SampleRecord(uint64_t session) {
  schema::Clickstream r;
  r.set_ip_source(std::string("\x0a\x00\x00\x01", 4));
  r.set_ip_destination(std::string("\x5d\xb8\xd8\x22", 4));
  r.set_port_source(51234);
  r.set_port_destination(80);
  r.set_hostname("www.example.com");
  r.set_path("/images/template/screen/bullet_utility.png?v=20240101");
  r.set_referer("http://www.example.com/style/screen.css");
  r.set_user_agent(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0");
  r.set_cookie("__utma=150903082.601193709.1258578040.1258578040.1258578040.1");
  r.set_session_id(session);
  return r;
}

struct Encoded {
  const TemplateSpec* spec;
  std::string bytes;
};
Encoded EncodedSample() {
  schema::Clickstream r = SampleRecord(1);
  Encoded e{TemplateFor(r), {}};
  EncodeDataRecord(*e.spec, r, &e.bytes);
  return e;
}

// A UDP socket on loopback nobody reads: both sides of a comparison send into the same kind of
// sink (the kernel drops on its full receive buffer after doing the same work).
Endpoint UdpSink(UniqueFd* fd) {
  fd->Reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  Endpoint ep = *ParseEndpoint("127.0.0.1:0", true);
  bind(fd->get(), ep.sa(), ep.len);
  socklen_t len = sizeof(ep.addr);
  getsockname(fd->get(), reinterpret_cast<sockaddr*>(&ep.addr), &len);
  ep.len = len;
  return ep;
}

// A TCP listener; with `read` a thread accepts and reads everything until the peer closes.
struct TcpSink {
  explicit TcpSink(bool read) {
    listener.Reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ep = *ParseEndpoint("127.0.0.1:0", true);
    bind(listener.get(), ep.sa(), ep.len);
    listen(listener.get(), 4);
    socklen_t len = sizeof(ep.addr);
    getsockname(listener.get(), reinterpret_cast<sockaddr*>(&ep.addr), &len);
    ep.len = len;
    thread = std::thread([this, read] {
      UniqueFd c(accept(listener.get(), nullptr, nullptr));
      if (!read) {
        while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return;
      }
      std::string buf(1 << 20, '\0');
      while (recv(c.get(), buf.data(), buf.size(), 0) > 0) {
      }
    });
  }
  ~TcpSink() {
    stop.store(true);
    thread.join();
  }
  UniqueFd listener;
  Endpoint ep;
  std::atomic<bool> stop{false};
  std::thread thread;
};

// Sends `n` records through `e`, ticking as the live export thread does; with `backpressure`
// waits for the TCP queue instead of letting it overflow (the reader is the limit then).
void Pump(Exporter& e, const Encoded& rec, int64_t n, bool backpressure) {
  for (int64_t i = 0; i < n; ++i) {
    e.EmitEncoded(*rec.spec, rec.bytes, static_cast<uint64_t>(i));
    if ((i & 255) == 255) {
      e.Tick(MonotonicMicros());
      while (backpressure && e.collectors()[0]->queued_bytes() > (4u << 20)) {
        e.Tick(MonotonicMicros());
      }
    }
  }
}

void Report(benchmark::State& state, const Exporter& e, int64_t records) {
  const CollectorStats& s = e.collectors()[0]->stats();
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.counters["msg_bytes"] =
      s.messages_sent ? static_cast<double>(s.bytes_sent) / s.messages_sent : 0;
  state.counters["records_per_msg"] =
      s.messages_sent ? static_cast<double>(s.records_sent) / s.messages_sent : 0;
  state.counters["dropped"] = static_cast<double>(s.records_dropped);
  state.SetBytesProcessed(static_cast<int64_t>(s.bytes_sent));
}

constexpr int64_t kRecordsPerIteration = 100000;

void BM_ExporterUdp(benchmark::State& state) {
  UniqueFd sink;
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {UdpSink(&sink)};
  auto e = Exporter::Create(c);
  Encoded rec = EncodedSample();
  int64_t n = 0;
  for (auto _ : state) {
    Pump(**e, rec, kRecordsPerIteration, false);
    (*e)->Flush();
    n += kRecordsPerIteration;
  }
  Report(state, **e, n);
}
BENCHMARK(BM_ExporterUdp)->Unit(benchmark::kMillisecond)->UseRealTime();

// Raw sendmmsg of as many datagrams, of the size and per-message record count the exporter
// produced, in batches of the exporter's batch size.
void BM_RawSendmmsgUdp(benchmark::State& state) {
  UniqueFd sink;
  Endpoint ep = UdpSink(&sink);
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  connect(fd.get(), ep.sa(), ep.len);
  // The exporter's message: as many records as fit 1400 bytes with the headers.
  Encoded rec = EncodedSample();
  const size_t per_msg = (1400 - 16 - 4) / rec.bytes.size();
  const size_t msg_size = 16 + 4 + per_msg * rec.bytes.size();
  std::string msg(msg_size, 'x');
  constexpr size_t kBatch = Collector::kBatch;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {msg.data(), msg.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int64_t messages = kRecordsPerIteration / static_cast<int64_t>(per_msg);
  int64_t bytes = 0;
  for (auto _ : state) {
    for (int64_t sent = 0; sent < messages;) {
      unsigned n = static_cast<unsigned>(std::min<int64_t>(kBatch, messages - sent));
      int r = sendmmsg(fd.get(), msgs, n, 0);
      sent += r > 0 ? r : 1;
    }
    bytes += messages * static_cast<int64_t>(msg_size);
  }
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * messages * static_cast<int64_t>(per_msg)),
      benchmark::Counter::kIsRate);
  state.counters["msg_bytes"] = static_cast<double>(msg_size);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_RawSendmmsgUdp)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ExporterTcp(benchmark::State& state) {
  TcpSink sink(/*read=*/true);
  Config c = DefaultConfig();
  c.ipfix_tcp_collectors = {sink.ep};
  int64_t n = 0;
  {
    auto e = Exporter::Create(c);
    while (!(*e)->collectors()[0]->connected()) (*e)->Tick(MonotonicMicros());
    Encoded rec = EncodedSample();
    for (auto _ : state) {
      Pump(**e, rec, kRecordsPerIteration, true);
      (*e)->Flush();
      n += kRecordsPerIteration;
    }
    (*e)->Shutdown(5'000'000);
    Report(state, **e, n);
  }
}
BENCHMARK(BM_ExporterTcp)->Unit(benchmark::kMillisecond)->UseRealTime();

// Blocking writev of every byte of iov[0..n) (a short write, on a signal, is continued).
void WriteAll(int fd, iovec* iov, size_t n) {
  iovec v[Collector::kBatch];
  std::copy(iov, iov + n, v);
  iovec* p = v;
  while (n > 0) {
    ssize_t w = writev(fd, p, static_cast<int>(n));
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    size_t left = static_cast<size_t>(w);
    while (n > 0 && left >= p->iov_len) {
      left -= p->iov_len;
      ++p;
      --n;
    }
    if (n > 0) {
      p->iov_base = static_cast<char*>(p->iov_base) + left;
      p->iov_len -= left;
    }
  }
}

// Raw blocking writev of the same messages, 64 per call.
void BM_RawWritevTcp(benchmark::State& state) {
  TcpSink sink(/*read=*/true);
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  connect(fd.get(), sink.ep.sa(), sink.ep.len);
  Encoded rec = EncodedSample();
  const size_t per_msg = (1400 - 16 - 4) / rec.bytes.size();
  const size_t msg_size = 16 + 4 + per_msg * rec.bytes.size();
  std::string msg(msg_size, 'x');
  constexpr size_t kBatch = Collector::kBatch;
  iovec iov[kBatch];
  for (auto& v : iov) v = {msg.data(), msg.size()};
  const int64_t messages = kRecordsPerIteration / static_cast<int64_t>(per_msg);
  int64_t bytes = 0;
  for (auto _ : state) {
    for (int64_t sent = 0; sent < messages; sent += kBatch) {
      size_t want = kBatch * msg_size;
      WriteAll(fd.get(), iov, kBatch);
      bytes += static_cast<int64_t>(want);
    }
  }
  state.counters["records_per_s"] = benchmark::Counter(
      static_cast<double>(bytes / static_cast<int64_t>(msg_size) * static_cast<int64_t>(per_msg)),
      benchmark::Counter::kIsRate);
  state.counters["msg_bytes"] = static_cast<double>(msg_size);
  state.SetBytesProcessed(bytes);
  fd.Reset();
}
BENCHMARK(BM_RawWritevTcp)->Unit(benchmark::kMillisecond)->UseRealTime();

// The UDP collector's rate with a stalled TCP collector in the same list.
void BM_ExporterUdpBesideStalledTcp(benchmark::State& state) {
  UniqueFd udp_sink;
  TcpSink stalled(/*read=*/false);
  Config c = DefaultConfig();
  c.ipfix_udp_collectors = {UdpSink(&udp_sink)};
  c.ipfix_tcp_collectors = {stalled.ep};
  int64_t n = 0;
  auto e = Exporter::Create(c);
  while (!(*e)->collectors()[1]->connected()) (*e)->Tick(MonotonicMicros());
  Encoded rec = EncodedSample();
  for (auto _ : state) {
    Pump(**e, rec, kRecordsPerIteration, false);
    (*e)->Flush();
    n += kRecordsPerIteration;
  }
  Report(state, **e, n);
  state.counters["stalled_dropped"] =
      static_cast<double>((*e)->collectors()[1]->stats().records_dropped);
  state.counters["stalled_queued_bytes"] =
      static_cast<double>((*e)->collectors()[1]->queued_bytes());
}
BENCHMARK(BM_ExporterUdpBesideStalledTcp)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace xsensor

BENCHMARK_MAIN();
