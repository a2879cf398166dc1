#include "sensor/offline.h"

#include <array>
#include <deque>

#include "common/logging.h"
#include "common/time_util.h"
#include "flow/flow_table.h"
#include "sensor/report.h"

namespace xsensor {
namespace {

constexpr size_t kFrameRing = 4096;
constexpr size_t kRecordRing = 8192;
// A frame's flow is asked for this many frames before the frame is handled (its index slot),
// and half as many (the flow entry the slot names): with many flows, both are cache misses.
constexpr size_t kPrefetchAhead = 8;

// Waits a little for the other side of a ring (the producer or consumer on another thread).
void Pause() { std::this_thread::sleep_for(std::chrono::microseconds(20)); }

}  // namespace

size_t OfflineWorkers(uint32_t configured) {
  if (configured) return configured;
  unsigned n = std::thread::hardware_concurrency();
  return std::clamp<size_t>(n, 1, 8);
}

absl::StatusOr<std::unique_ptr<OfflineSensor>> OfflineSensor::Create(const Config& config) {
  std::unique_ptr<OfflineSensor> s(new OfflineSensor);
  s->config_ = config;
  auto core = SensorCore::Create(config);
  if (!core.ok()) return core.status();
  s->core_ = std::move(*core);
  s->core_.StartThreads();  // (offline drops no privilege)
  size_t n = OfflineWorkers(config.pcap_workers);
  for (size_t i = 0; i < n; ++i) {
    auto lane = std::make_unique<Lane>();
    RecordSink* sink = s->core_.exporter.get();
    if (i > 0) {  // worker 0 runs on the reading thread
      lane->frames = std::make_unique<SpscRing<Frame>>(kFrameRing);
      lane->records = std::make_unique<SpscRing<EncodedRecord>>(kRecordRing);
      lane->sink = std::make_unique<QueueSink>(lane->records.get(), /*wait_when_full=*/true);
      sink = lane->sink.get();
    }
    lane->worker = s->core_.MakeWorker(config, static_cast<uint8_t>(i), sink);
    // The capture file is the one interface (BRIDGE_CHANNEL_NUM 1, as live mode's first), unless
    // vchannel says otherwise.
    lane->worker->set_interface_channel(1);
    s->workers_.push_back(std::move(lane));
  }
  // Worker 0's share s0 of 64 buckets: s0·T + E = (1 - s0)·T / (n - 1), with E (reading,
  // decoding every frame, exporting) ~0.3·T: s0 = (1 - 0.3·(n - 1)) / n.
  double share = n > 1 ? std::max(0.0, (1.0 - 0.3 * static_cast<double>(n - 1)) / n) : 1.0;
  s->worker0_buckets_ = static_cast<uint32_t>(share * 64 + 0.5);
  return s;
}

OfflineSensor::~OfflineSensor() {
  for (auto& l : workers_) {
    if (l->thread.joinable()) l->thread.join();
  }
}

absl::Status OfflineSensor::ReloadLogins() { return core_.ReloadLogins(); }

uint64_t OfflineSensor::records_emitted() const {
  uint64_t n = 0;
  for (const auto& l : workers_) n += l->worker->records_emitted();
  return n;
}

size_t OfflineSensor::OwnerOf(const PacketView& p, DecodeResult r) const {
  if (r != DecodeCounters::kOk && r != DecodeCounters::kFragment) return 0;
  // The flow key without ports and protocol: the address pair in canonical order and the inner
  // VLAN, so that a datagram's fragments (only the first has ports) meet its flow.
  bool forward;
  FlowKey k = MakeFlowKey(p, &forward);
  k.port_lo = k.port_hi = 0;
  k.proto = 0;
  // Worker 0 shares its thread with reading and exporting (about a fifth of the work): it
  // takes a smaller share of the flows, so that every thread has about as much to do.
  uint64_t h = FlowHash(k);
  return h % 64 < worker0_buckets_ ? 0 : 1 + (h / 64) % (workers_.size() - 1);
}

size_t OfflineSensor::DrainRecords() {
  size_t moved = 0;
  for (auto& l : workers_) {
    if (!l->records) continue;
    moved += DrainRecordRing(l->records.get(), [this](const EncodedRecord& r) {
      core_.exporter->EmitEncoded(*r.spec, r.bytes, r.session_id);
    });
  }
  return moved;
}

OfflineSensor::Frame* OfflineSensor::Claim(Lane& lane) {
  Frame* f = lane.frames->Claim();
  while (!f) {
    if (DrainRecords() == 0) Pause();
    f = lane.frames->Claim();
  }
  return f;
}

void OfflineSensor::WorkerLoop(Lane& lane) {
  for (;;) {
    Frame* f = lane.frames->Peek();
    if (!f) {
      Pause();
      continue;
    }
    if (f->end) {
      lane.frames->Release();
      break;
    }
    if (Frame* a = lane.frames->PeekAhead(kPrefetchAhead); a && a->has_packet) {
      a->flow_hash = lane.worker->PrefetchFlow(a->packet, a->decoded);
    }
    if (Frame* a = lane.frames->PeekAhead(kPrefetchAhead / 2); a && a->flow_hash) {
      lane.worker->PrefetchFlow(a->flow_hash);
    }
    if (f->has_packet) {
      lane.worker->HandleFrame(f->link, f->data, f->caplen, f->wire_len, f->ts_us, f->packet,
                               f->decoded, f->flow_hash);
    } else {
      lane.worker->HandleFrame(f->link, f->data, f->caplen, f->wire_len, f->ts_us);
    }
    lane.frames->Release();
  }
  lane.worker->Finish();
  lane.done.store(true, std::memory_order_release);
}

absl::StatusOr<PcapReadResult> OfflineSensor::Run(const std::string& path,
                                                  const std::atomic<bool>* stop,
                                                  const std::function<void()>& on_tick) {
  auto reader = PcapReader::Open(path);
  if (!reader.ok()) return reader.status();
  PcapReader& in = **reader;
  progress_ = Progress{0, 0, in.FileBytes()};
  Exporter& ex = *core_.exporter;
  ex.Tick(MonotonicMicros());  // UDP templates at start, TCP connects begin
  const bool threaded = workers_.size() > 1;
  for (size_t i = 1; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([this, lane = workers_[i].get()] { WorkerLoop(*lane); });
  }
  // The mapped file's pages leave the resident set once every worker is past them: a
  // checkpoint is a place in the file and how many frames each ring had been given by then.
  struct Checkpoint {
    const uint8_t* at;
    std::vector<size_t> published;
  };
  std::deque<Checkpoint> checkpoints;
  auto release_read_pages = [&](const uint8_t* at) {
    if (!in.frames_persist()) return;
    while (!checkpoints.empty()) {
      const Checkpoint& c = checkpoints.front();
      bool passed = true;
      for (size_t i = 1; i < workers_.size(); ++i) {
        passed = passed && workers_[i]->frames->released() >= c.published[i];
      }
      if (!passed) break;
      in.ReleaseBefore(c.at);
      checkpoints.pop_front();
    }
    Checkpoint c{at, std::vector<size_t>(workers_.size())};
    for (size_t i = 1; i < workers_.size(); ++i) c.published[i] = workers_[i]->frames->published();
    checkpoints.push_back(std::move(c));
  };
  Worker& here = *workers_[0]->worker;
  // Worker 0's frames wait kPrefetchAhead places before they are handled, when they stay valid
  // (a mapped file), so that their flows are asked for ahead.
  struct Waiting {
    LinkType link;
    const uint8_t* data;
    size_t caplen, wire_len;
    int64_t ts_us;
    PacketView p;
    DecodeResult r;
    uint64_t flow_hash;
  };
  std::array<Waiting, kPrefetchAhead> waiting;
  size_t waiting_in = 0, waiting_out = 0;
  auto handle_oldest = [&] {
    Waiting& w = waiting[waiting_out++ % kPrefetchAhead];
    here.HandleFrame(w.link, w.data, w.caplen, w.wire_len, w.ts_us, w.p, w.r, w.flow_hash);
  };
  auto handle_here = [&](LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                         int64_t ts_us, const PacketView& p, DecodeResult r) {
    if (!in.frames_persist()) {
      here.HandleFrame(link, data, caplen, wire_len, ts_us, p, r);
      return;
    }
    if (waiting_in - waiting_out == kPrefetchAhead) handle_oldest();
    waiting[waiting_in++ % kPrefetchAhead] =
        Waiting{link, data, caplen, wire_len, ts_us, p, r, here.PrefetchFlow(p, r)};
    if (waiting_in - waiting_out > kPrefetchAhead / 2) {
      const Waiting& w = waiting[(waiting_in - 1 - kPrefetchAhead / 2) % kPrefetchAhead];
      if (w.flow_hash) here.PrefetchFlow(w.flow_hash);
    }
  };
  uint64_t n = 0;
  PcapReadResult result = in.Run(
      [&](LinkType link, const uint8_t* data, size_t caplen, size_t wire_len, int64_t ts_us) {
        // Decoded once here: worker 0 takes the decoded packet, and so do the others when the
        // frame stays where it is (a mapped file); a copy is decoded again.
        PacketView p;
        DecodeResult r = DecodePacket(link, data, caplen, wire_len, &p);
        size_t owner = threaded ? OwnerOf(p, r) : 0;
        if (owner == 0) {
          handle_here(link, data, caplen, wire_len, ts_us, p, r);
        } else {
          Frame* f = Claim(*workers_[owner]);
          f->has_packet = in.frames_persist();
          if (f->has_packet) {
            f->data = data;
            f->packet = p;
            f->decoded = r;
          } else {
            f->copy.assign(reinterpret_cast<const char*>(data), caplen);
            f->data = reinterpret_cast<const uint8_t*>(f->copy.data());
          }
          f->caplen = static_cast<uint32_t>(caplen);
          f->wire_len = static_cast<uint32_t>(wire_len);
          f->ts_us = ts_us;
          f->link = link;
          f->end = false;
          f->flow_hash = 0;
          workers_[owner]->frames->Publish();
        }
        if ((++n & 1023) == 0) {
          if (threaded) DrainRecords();
          // Pages given back are read again from the page cache if touched (worker 0's
          // waiting frames lie just before `data`): only the resident set is bounded.
          if ((n & 16383) == 0) {
            if (threaded) {
              release_read_pages(data);
            } else {
              in.ReleaseBefore(data);
            }
          }
          ex.Tick(MonotonicMicros());
          progress_.frames = n;
          progress_.bytes = in.BytesRead(data);
          if (on_tick) on_tick();
        }
      },
      stop);
  while (waiting_out != waiting_in) handle_oldest();
  here.Finish();
  // Every other worker finishes (ends its flows) after its last frame; records keep flowing.
  for (size_t i = 1; i < workers_.size(); ++i) {
    Frame* f = Claim(*workers_[i]);
    f->end = true;
    workers_[i]->frames->Publish();
  }
  for (size_t i = 1; i < workers_.size(); ++i) {
    Lane& l = *workers_[i];
    while (!l.done.load(std::memory_order_acquire)) {
      if (DrainRecords() == 0) Pause();
      ex.Tick(MonotonicMicros());
    }
    l.thread.join();
  }
  progress_.frames = n;
  progress_.bytes = progress_.file_bytes;
  DrainRecords();
  ex.Shutdown(10'000'000);
  if (core_.dns_log) core_.dns_log->Stop();
  return result;
}

std::string OfflineSensor::CountersText() const {
  std::vector<std::string> reports;
  for (const auto& l : workers_) reports.push_back(xsensor::CountersText(*l->worker, nullptr));
  std::string out = SumReports(reports);
  out += core_.RadiusCountersText();
  out += ExporterCountersText(*core_.exporter);
  if (core_.dns_log) {
    DnsLogStats st = core_.dns_log->stats();
    absl::StrAppend(&out, "dns_log.lines_written ", st.lines_written, "\n",
                    "dns_log.lines_dropped ", st.lines_dropped, "\n", "dns_log.files_closed ",
                    st.files_closed, "\n", "dns_log.write_errors ", st.write_errors, "\n");
  }
  return out;
}

}  // namespace xsensor
