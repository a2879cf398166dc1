// Offline runs (--pcap): one capture file through the same workers, record rings and
// exporter as live capture.
//
// The file is read on the calling thread, which also runs the exporter and worker 0 (whose
// records go straight to the exporter). Each frame belongs to the worker chosen by a symmetric
// hash of its address pair and VLAN (both directions of a flow, and every fragment of a
// datagram, meet on one worker); worker 0's frames are handled in place, the others' are
// copied to their worker's thread through one SPSC ring each, and those workers encode their
// records into one SPSC ring each that the calling thread drains. Nothing is dropped: a full
// ring makes its producer wait, and the reader drains records while it waits. With one worker
// (pcap_workers=1) there is one thread and records keep the order of the file. Names learned
// from DNS (HOST_TYPE 2) are shared by all workers, as live.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/pcap_source.h"
#include "common/spsc_ring.h"
#include "config/config.h"
#include "export/exporter.h"
#include "parsers/dns/name_cache.h"
#include "records/dns_log.h"
#include "records/login_map.h"
#include "sensor/core.h"
#include "sensor/record_queue.h"
#include "sensor/worker.h"

namespace xsensor {

class OfflineSensor {
 public:
  static absl::StatusOr<std::unique_ptr<OfflineSensor>> Create(const Config& config);
  ~OfflineSensor();
  OfflineSensor(const OfflineSensor&) = delete;
  OfflineSensor& operator=(const OfflineSensor&) = delete;

  // Reads `path` to its end (or until *stop), ends every flow and exports everything (waiting
  // up to 10 s for TCP collectors). `on_tick`, if given, runs on the calling thread about
  // every thousand frames (e.g. a login map reload on SIGHUP).
  absl::StatusOr<PcapReadResult> Run(const std::string& path, const std::atomic<bool>* stop,
                                     const std::function<void()>& on_tick = nullptr);
  // The summed counters of all workers, the exporter's and the DNS log's.
  std::string CountersText() const;
  absl::Status ReloadLogins();
  size_t workers() const { return workers_.size(); }
  const Exporter& exporter() const { return *core_.exporter; }
  uint64_t records_emitted() const;
  // Where Run is: frames read and bytes of the file behind them (updated every 1024 frames,
  // before `on_tick`), and the file's size (0: unknown, a pipe).
  struct Progress {
    uint64_t frames = 0, bytes = 0, file_bytes = 0;
  };
  const Progress& progress() const { return progress_; }

 private:
  // A frame for another worker: a pointer into the mapped file with the packet decoded by the
  // reading thread, or (input that is not mapped) a copy the worker decodes.
  struct Frame {
    const uint8_t* data = nullptr;
    std::string copy;
    PacketView packet;
    DecodeResult decoded = DecodeCounters::kOk;
    bool has_packet = false;  // packet/decoded are set
    uint64_t flow_hash = 0;   // set by the worker when it asks for the flow's memory ahead
    uint32_t caplen = 0;
    uint32_t wire_len = 0;
    int64_t ts_us = 0;
    LinkType link = LinkType::kEthernet;
    bool end = false;  // no more frames: finish
  };
  struct Lane {
    std::unique_ptr<SpscRing<Frame>> frames;
    std::unique_ptr<SpscRing<EncodedRecord>> records;
    std::unique_ptr<QueueSink> sink;
    std::unique_ptr<Worker> worker;
    std::atomic<bool> done{false};
    std::thread thread;
  };
  OfflineSensor() = default;
  void WorkerLoop(Lane& lane);
  size_t DrainRecords();
  size_t OwnerOf(const PacketView& p, DecodeResult r) const;
  Frame* Claim(Lane& lane);

  Config config_;
  SensorCore core_;  // exporter, name cache, login map, DNS log
  std::vector<std::unique_ptr<Lane>> workers_;
  uint32_t worker0_buckets_ = 64;  // of 64 hash buckets, those worker 0 takes
  Progress progress_;
};

// Workers for a configured pcap_workers value: 0 means one per online CPU, at most 8.
size_t OfflineWorkers(uint32_t configured);

}  // namespace xsensor
