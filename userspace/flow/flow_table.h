// Per-worker flow table. A flow is keyed by the canonical 5-tuple plus the innermost VLAN id
// (both directions map to one flow); it owns its protocol parser state. The table is owned by
// exactly one worker thread: no locks. Flows end on idle timeout, shortly after TCP close, or
// by eviction of a long-unseen flow when the table is full (counted).
//
// Built for millions of flows: flows live in a pool of fixed-size entries (allocated in chunks,
// reused, never moved, so a Flow* stays valid until the flow ends) and are found through an
// open-addressed index of 8-byte slots (32-bit hash, pool index), linear probing with
// backward-shift deletion, at most half full. Expiry never scans: each flow sits in one of two
// FIFO lists (open, closing) ordered by when it was queued, and a packet only updates
// last_seen_us. Expire() looks at the front of each list; a front flow seen since it was queued
// is queued again at the back (at most once per timeout period), so the work per packet is
// amortised O(1) and a front that is not due ends the scan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/dir.h"
#include "packet/endpoint.h"
#include "packet/packet.h"
#include "reassembly/tcp_reassembler.h"
#include "xsensor_shared.h"

namespace xsensor {

// The key is the XDP program's key (bpf/xsensor_shared.h), so a flow userspace bypasses is
// the flow XDP finds.
struct FlowKey : xs_flow_key {
  FlowKey() : xs_flow_key{} {}
  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine_contiguous(std::move(h), reinterpret_cast<const char*>(&k), sizeof(k));
  }
};

// Builds the canonical key; *forward is true when the packet's source is the "lo" side.
FlowKey MakeFlowKey(const PacketView& p, bool* forward);
// A symmetric hash of the key (same for both directions), for choosing a flow's owner worker.
uint64_t FlowHash(const FlowKey& key);

class AppParser;        // parsers/parser.h
class StreamRedaction;  // parsers/secrets.h

struct Flow {
  FlowKey key;
  uint64_t session_id = 0;
  // The client side: the key's lo side when true, else hi.
  bool client_is_lo = true;
  bool closing = false;  // FIN both ways or RST seen (set through FlowTable::MarkClosing)
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
  uint64_t packets[2] = {};
  uint64_t bytes[2] = {};
  TcpReassembler tcp[2];  // per Dir
  bool fin[2] = {};
  std::unique_ptr<AppParser> parser;
  // What its packets show of both ends beyond the key, for its records (packet/endpoint.h):
  // each direction's L2 fields as its first packet with payload showed them, taken while the
  // flow has or may have a parser; MPLS labels out of line, on flows that have them.
  FlowL2 l2[2];  // per Dir
  std::unique_ptr<FlowMpls> mpls;
  // Takes direction d's L2 fields and MPLS labels from its packet p.
  void TakeEnds(Dir d, const PacketView& p);
  bool parser_chosen = false;
  bool bypass_requested = false;
  bool skip_armed = false;     // a reply body is left in XDP up to skip_until (live)
  uint8_t meta_proto = 0;      // of the chosen parser (raw records)
  uint8_t vdpi_proto = 0;      // the flow's protocol by the sensor's classification (VdpiProto)
  bool first_from_lo = false;  // who sent the flow's first packet seen (UDP DIR_DATA)
  // What the server sent before the client said anything, while no parser is chosen (bounded):
  // the greeting of a server-first protocol on a port of its own.
  std::string server_first;
  uint32_t server_first_seq = 0;  // its first byte's TCP sequence number
  uint32_t skip_until = 0;        // (beside it: no padding) see skip_armed
  // What the client sent first on a flow picked up without its handshake, while waiting for
  // the server's greeting (bounded; see Worker::Deliver).
  std::string client_first;
  uint8_t client_first_packets = 0;
  bool handshake_seen = false;  // the flow began with a SYN
  // Roles guessed from a packet without payload by the weak rules (ports, first sender): the
  // first payload decides again (see Worker::HandleDecoded).
  bool roles_guessed = false;
  uint16_t channel = 0;       // BRIDGE_CHANNEL_NUM: of the interface its first packet came in
  uint32_t raw_exported = 0;  // raw records of this flow so far
  uint32_t parser_held = 0;   // heap bytes its parser's buffers took when last looked at
  // Packets with payload seen before the parser was chosen (a greeting, a client's first bytes
  // that crossed queues), or while it cannot tell whether they are of a raw protocol (an HTTP
  // request before its reply says whether it is a feed's), held for their raw records until
  // it is told (raw_export; bounded).
  struct HeldPacket {
    Dir dir;
    uint8_t tcp_flags;
    uint32_t tcp_seq;
    int64_t ts_us;
    std::string payload;
  };
  std::unique_ptr<std::vector<HeldPacket>> raw_held;
  // redact_credentials: where each direction's raw records stand in their protocol's secrets
  // (parsers/secrets.h), for META_PROTO redaction_proto.
  std::unique_ptr<StreamRedaction> redaction[2];  // per Dir
  uint8_t redaction_proto = 0;

  // The table's bookkeeping: the expiry list the flow is queued in, and when.
  Flow* queue_prev = nullptr;
  Flow* queue_next = nullptr;
  int64_t queued_us = 0;
  uint32_t hash = 0;
  uint32_t index = 0;  // in the pool

  Dir DirOf(bool packet_from_lo) const {
    return packet_from_lo == client_is_lo ? Dir::kToServer : Dir::kToClient;
  }
  ~Flow();
};

// A flow's two ends as its records show them: addresses and ports from the key, the rest from
// what its packets showed (Flow::l2, Flow::mpls).
class FlowEnds final : public EndpointSource {
 public:
  void Point(const Flow* flow) { flow_ = flow; }
  const FlowSide& Of(Dir d, FlowSide* scratch) const override;

 private:
  const Flow* flow_ = nullptr;
};

#define XS_FLOW_COUNTERS(X)                 \
  X(kCreated, "flows_created")              \
  X(kExpiredIdle, "flows_expired_idle")     \
  X(kExpiredClosed, "flows_expired_closed") \
  X(kEvicted, "flows_evicted_table_full")   \
  X(kEndedShutdown, "flows_ended_shutdown")
XS_COUNTER_GROUP(FlowCounters, XS_FLOW_COUNTERS);

// SESSION_IDs unique across workers and restarts: the top 8 bits are the worker id, the low
// 56 bits a per-worker counter that never lags the wall clock in microseconds. A restarted
// sensor starts above every id its predecessor gave unless that one sustained more than one
// new flow per microsecond per worker.
class SessionIdGenerator {
 public:
  explicit SessionIdGenerator(uint8_t worker_id) : worker_(worker_id) {}
  uint64_t Next();

 private:
  uint8_t worker_;
  uint64_t last_ = 0;
};

class FlowTable {
 public:
  struct Options {
    uint32_t max_flows = 1000000;
    int64_t idle_timeout_us = 120'000'000;
    int64_t closed_timeout_us = 5'000'000;
  };
  // Called for each flow as it ends (before it is destroyed), with the reason counter id.
  using EndCallback = std::function<void(Flow&, FlowCounters::Id)>;

  FlowTable(const Options& options, uint8_t worker_id, EndCallback on_end);
  ~FlowTable();

  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Finds the packet's flow or creates it. `now_us` is packet time (offline) or wall time.
  Flow* Lookup(const FlowKey& key, int64_t now_us, bool* created) {
    return Lookup(key, FlowHash(key), now_us, created);
  }
  // The same when the caller has FlowHash(key) already.
  Flow* Lookup(const FlowKey& key, uint64_t flow_hash, int64_t now_us, bool* created);
  // Asks for the memory a Lookup of a key with this FlowHash will read, for a caller that
  // knows its next packets: stage 0 the index slot, stage 1 (a few packets later, the slot
  // being in cache) the flow the slot names. Only a hint: the table may change in between.
  void Prefetch(uint64_t flow_hash, int stage) const {
    const Slot& s = slots_[static_cast<uint32_t>(flow_hash >> 32) & mask_];
    if (stage == 0) {
      __builtin_prefetch(&s);
    } else if (s.index && s.hash == static_cast<uint32_t>(flow_hash >> 32)) {
      __builtin_prefetch(At(s.index - 1));
    }
  }
  // The flow has closed (FIN both ways, RST): it ends closed_timeout after its last packet.
  void MarkClosing(Flow* f);
  // Ends `f` now (e.g. a new connection reuses its addresses and ports), counted as closed.
  void EndNow(Flow* f);
  // Ends flows idle longer than their timeout as of `now_us` (at most `max_work` flows looked
  // at per call).
  void Expire(int64_t now_us, int max_work = 64);
  // Ends every flow (shutdown / end of capture).
  void Clear();
  // Calls fn(flow) for open flows, those queued longest first, until it returns false or
  // `max` flows were looked at.
  template <typename Fn>
  void ForOldest(size_t max, Fn&& fn) {
    for (Flow* f = open_.head; f && max; --max) {
      Flow* next = f->queue_next;
      if (!fn(*f)) return;
      f = next;
    }
  }

  size_t size() const { return size_; }
  // Bytes the table itself holds: the pool's entries and the index (not parser state).
  size_t memory_bytes() const;
  const FlowCounters& counters() const { return counters_; }

 private:
  // A FIFO of flows in the order they were queued.
  struct Queue {
    Flow* head = nullptr;
    Flow* tail = nullptr;
  };
  struct Slot {
    uint32_t hash;
    uint32_t index;  // pool index + 1; 0: empty
  };
  static constexpr uint32_t kChunkFlows = 1024;

  Flow* Allocate();
  void Release(Flow* f);
  Flow* At(uint32_t index) const {
    return reinterpret_cast<Flow*>(chunks_[index / kChunkFlows].get()) + index % kChunkFlows;
  }
  void Grow();
  void IndexInsert(Flow* f);
  void IndexErase(const Flow* f);
  static void Push(Queue& q, Flow* f, int64_t now_us);
  static void Remove(Queue& q, Flow* f);
  Queue& QueueOf(const Flow* f) { return f->closing ? closing_ : open_; }
  void End(Flow* f, FlowCounters::Id reason);
  void Evict(int64_t now_us);

  Options options_;
  EndCallback on_end_;
  SessionIdGenerator ids_;
  std::vector<Slot> slots_;
  uint32_t mask_ = 0;
  size_t size_ = 0;
  struct alignas(Flow) Storage {
    std::byte bytes[sizeof(Flow)];
  };
  std::vector<std::unique_ptr<Storage[]>> chunks_;
  std::vector<uint32_t> free_;  // pool indices of ended flows
  uint32_t pool_used_ = 0;      // indices handed out at least once
  Queue open_;
  Queue closing_;
  FlowCounters counters_;
};

}  // namespace xsensor
