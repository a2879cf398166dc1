// Live capture: the XDP program on every capture interface, one AF_XDP socket and one worker
// thread per (interface, queue), and an export thread.
//
// Flow affinity: every flow has one owner worker. By default (flow_affinity=hash) the
// symmetric hash of its key names it, whatever queue its packets arrive on; a frame received by
// another worker is copied to the owner through a bounded single-producer/single-consumer ring
// (counted; a full ring drops and counts). With flow_affinity=queue the NIC's symmetric RSS
// has already put both directions of a flow on one queue: its worker owns it, no hand-off.
// Workers encode their records and hand them to the export thread through one SPSC ring each,
// so a worker never waits for the network; records of one flow keep their order.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "capture/af_xdp.h"
#include "capture/xdp_program.h"
#include "common/spsc_ring.h"
#include "common/unique_fd.h"
#include "config/config.h"
#include "export/exporter.h"
#include "parsers/dns/name_cache.h"
#include "records/dns_log.h"
#include "records/login_map.h"
#include "sensor/core.h"
#include "sensor/metrics.h"
#include "sensor/record_queue.h"
#include "sensor/worker.h"

namespace xsensor {

// A frame handed to its flow's owner, with what the sender found decoding it: the owner
// neither decodes it nor hashes its key again. A slot is 4 KiB, the frame what is left of it
// (an AF_XDP frame of 4 KiB holds less after its headroom).
struct HandoffHead {
  uint32_t len = 0;
  uint16_t channel = 0;  // the receiving interface's number
  int64_t ts_us = 0;
  uint64_t flow_hash = 0;
  int64_t key = 0;  // stamped frames: the order key (LiveSensor::StampedLoop)
  PacketView view;  // its views point into `data`
};
inline constexpr size_t kHandoffSlotBytes = 4096;
struct HandoffFrame : HandoffHead {
  uint8_t data[kHandoffSlotBytes - sizeof(HandoffHead)];
};
inline constexpr size_t kHandoffFrameMax = sizeof(HandoffFrame::data);
static_assert(sizeof(HandoffFrame) == kHandoffSlotBytes);

// What the XDP program steers for `config`: the parsers' ports (unless the port keys leave
// `parsers` out) with the ports listed, and the parsers' payload starts.
XdpProgramOptions XdpOptionsFor(const Config& config);
// Mirror mode with flow_affinity=hash: steered frames carry XDP's time (stamp_time), and the
// workers parse each flow's frames in that order (LiveSensor::StampedLoop).
bool FramesStamped(const Config& config);

class LiveSensor {
 public:
  static absl::StatusOr<std::unique_ptr<LiveSensor>> Create(const Config& config,
                                                            std::vector<std::string> ifaces);
  ~LiveSensor();

  // Captures until *stop becomes true; then ends all flows, exports what they held, waits for
  // the collectors (bounded) and detaches.
  // `on_tick`, if given, runs on the export thread about every millisecond (e.g. to write a
  // counters snapshot on request).
  void Run(const std::atomic<bool>* stop, const std::function<void()>& on_tick = nullptr);
  std::string CountersText() const;
  // One line of what the sensor has done so far, for the log and systemd's STATUS: frames seen,
  // steered and bypassed by XDP, read by the workers, records exported and dropped, collectors
  // up.
  std::string StatusLine() const;
  uint64_t FramesReceived() const;
  const Exporter& exporter() const { return *core_.exporter; }
  // Prometheus text: per queue, per worker, the exporter and its collectors, the XDP program.
  std::string MetricsText() const;
  // The metrics endpoint, if serving.
  const MetricsServer* metrics_server() const { return metrics_.get(); }
  // Reloads the login map file (SIGHUP); on error the previous map stays.
  absl::Status ReloadLogins();
  size_t workers() const { return queues_.size(); }
  const XdpProgram& program() const { return *program_; }
  // "mirror mode on IF (...)" or "inline mode, bridging A <-> B (...)": for the start-up line.
  const std::string& mode_description() const { return mode_description_; }

 private:
  struct Queue {
    std::string ifname;
    uint32_t queue = 0;
    uint16_t channel = 0;  // 1-based number of the interface in the capture list
    uint32_t slot = 0;     // the socket's slot in the XDP program's socket map
    bool shed = false;     // inline: its worker is behind, the program passes what it would steer
    int cpu = -1;
    std::unique_ptr<XskSocket> xsk;
    std::unique_ptr<SpscRing<EncodedRecord>> records;
    std::unique_ptr<QueueSink> sink;
    std::unique_ptr<Worker> worker;
    std::vector<std::unique_ptr<SpscRing<HandoffFrame>>> inbox;  // one per sending worker
    // Written by a worker that handed frames to this one while it sleeps in poll(): a handed
    // frame waits microseconds, not the poll timeout, and the two directions of a flow that
    // came in on two queues keep their order.
    UniqueFd wake;
    std::atomic<bool> sleeping{false};
    // Stamped frames: every frame this worker will still hand over has an order key above it.
    std::atomic<int64_t> horizon{0};
    int64_t last_key = 0;
    std::atomic<uint64_t> received{0}, handed_out{0}, handed_in{0}, handoff_dropped{0},
        bypass_set{0}, bypass_errors{0}, shed_episodes{0};
    std::thread thread;
  };
  LiveSensor() = default;
  void WorkerLoop(size_t index, const std::atomic<bool>* stop);
  size_t DrainInbox(Queue& q);
  void StampedLoop(size_t index);
  // Decodes a frame `me` read; an IP fragment is reassembled and, once its datagram is whole,
  // *frame becomes it. False when there is no packet to handle (yet).
  bool DecodeFrame(Queue& me, absl::string_view* frame, PacketView* p, int64_t now);
  // Copies the frame, its decoded view and hash into `owner`'s inbox from `index`; false (and
  // counted) when the inbox is full or the frame too large.
  bool HandOver(Queue& me, size_t index, size_t owner, absl::string_view frame, const PacketView& p,
                uint64_t hash, int64_t now, int64_t key);
  // Stamped frames: takes from q's inboxes, in key order, the frames whose key is at most
  // `bound`; the number taken.
  size_t TakeInOrder(Queue& q, int64_t bound);
  // The key up to which every worker has handed over all it read (a sleeping one: `now_ns`
  // less the time it may take to wake).
  int64_t OrderBound(int64_t now_ns) const;
  static bool InboxEmpty(Queue& q);
  void WakeOwners(std::vector<uint8_t>* handed_to);
  void UpdateShed(Queue& q);

  std::vector<std::string> attached_names() const {
    std::vector<std::string> out;
    for (const auto& [name, mode] : attached_) out.push_back(name);
    return out;
  }

  Config config_;
  std::string mode_description_;
  std::unique_ptr<XdpProgram> program_;
  SensorCore core_;  // exporter, name cache, login map, DNS log
  std::unique_ptr<MetricsServer> metrics_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<std::pair<std::string, XdpMode>> attached_;
  bool handoff_ = false;  // owners by hash, more than one worker
  bool stamped_ = false;  // FramesStamped
  std::atomic<size_t> workers_done_{0};
  std::atomic<bool> receiving_stop_{false};  // set by Run after it detached the program
};

// Slots of each hand-off ring for `workers` workers: the n·(n-1) rings stay within a fixed
// memory budget (256 MiB) down to 64 slots each.
size_t HandoffRingSlots(size_t workers);

// Number of receive queues of an interface (from sysfs); 0 if unknown.
uint32_t InterfaceRxQueues(const std::string& ifname);

}  // namespace xsensor
