#include "flow/flow_table.h"

#include <endian.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "common/time_util.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"
#include "xsensor_shared.h"

namespace xsensor {

Flow::~Flow() = default;

void Flow::TakeEnds(Dir d, const PacketView& p) {
  const int s = static_cast<int>(d);
  l2[s].Take(p);
  if (p.mpls.empty()) return;
  if (!mpls) mpls = std::make_unique<FlowMpls>();
  const size_t n = std::min(p.mpls.size(), kMplsBytes);
  mpls->len[s] = static_cast<uint8_t>(n);
  std::memcpy(mpls->labels[s], p.mpls.data(), n);
}

const FlowSide& FlowEnds::Of(Dir d, FlowSide* scratch) const {
  const Flow& f = *flow_;
  const FlowKey& k = f.key;
  FlowSide& e = *scratch;
  // The sender of direction d is the key's lo side when it is the client sending to the
  // server, or the server (hi) answering.
  const bool lo_sends = (d == Dir::kToServer) == f.client_is_lo;
  e.src.len = e.dst.len = k.addr_len;
  std::memcpy(e.src.bytes, lo_sends ? k.addr_lo : k.addr_hi, sizeof(e.src.bytes));
  std::memcpy(e.dst.bytes, lo_sends ? k.addr_hi : k.addr_lo, sizeof(e.dst.bytes));
  e.sport = lo_sends ? k.port_lo : k.port_hi;
  e.dport = lo_sends ? k.port_hi : k.port_lo;
  int s = static_cast<int>(d);
  const bool mirrored = !f.l2[s].valid;
  if (mirrored) s = 1 - s;
  e.l2 = f.l2[s];
  if (mirrored) std::swap(e.l2.src_mac, e.l2.dst_mac);
  e.mpls_len = f.mpls ? f.mpls->len[s] : 0;
  if (e.mpls_len) std::memcpy(e.mpls, f.mpls->labels[s], e.mpls_len);
  return e;
}

FlowKey MakeFlowKey(const PacketView& p, bool* forward) {
  FlowKey k;
  k.proto = p.l4_proto;
  k.addr_len = p.src.len;
  k.vlan = p.vlan_count ? p.vlans[p.vlan_count - 1] : 0;
  // The order the XDP program uses (xsensor_shared.h), on the addresses as big-endian words.
  auto words = [](const IpAddr& a, uint64_t* hi, uint64_t* lo) {
    if (a.len == 4) {
      uint32_t v;
      std::memcpy(&v, a.bytes, 4);
      *hi = be32toh(v);
      *lo = 0;
    } else {
      std::memcpy(hi, a.bytes, 8);
      std::memcpy(lo, a.bytes + 8, 8);
      *hi = be64toh(*hi);
      *lo = be64toh(*lo);
    }
  };
  uint64_t src_hi, src_lo, dst_hi, dst_lo;
  words(p.src, &src_hi, &src_lo);
  words(p.dst, &dst_hi, &dst_lo);
  bool fwd = xs_src_is_lo(src_hi, src_lo, dst_hi, dst_lo, p.sport, p.dport);
  const IpAddr& lo = fwd ? p.src : p.dst;
  const IpAddr& hi = fwd ? p.dst : p.src;
  std::memcpy(k.addr_lo, lo.bytes, lo.len);
  std::memcpy(k.addr_hi, hi.bytes, hi.len);
  k.port_lo = fwd ? p.sport : p.dport;
  k.port_hi = fwd ? p.dport : p.sport;
  *forward = fwd;
  return k;
}

uint64_t FlowHash(const FlowKey& key) {
  // The key is already canonical, so any hash of it is symmetric. Five 64-bit words, each
  // mixed in with a multiply (the key has no padding: its bytes are all defined).
  static_assert(sizeof(FlowKey) == 40);
  uint64_t w[5];
  std::memcpy(w, &key, sizeof(w));
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint64_t x : w) {
    h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  return h;
}

uint64_t SessionIdGenerator::Next() {
  constexpr uint64_t kMask = (uint64_t{1} << 56) - 1;
  uint64_t now = static_cast<uint64_t>(WallMicros()) & kMask;
  last_ = std::max((last_ + 1) & kMask, now);
  return (uint64_t{worker_} << 56) | last_;
}

FlowTable::FlowTable(const Options& options, uint8_t worker_id, EndCallback on_end)
    : options_(options), on_end_(std::move(on_end)), ids_(worker_id) {
  // Start small (a table per worker, most never hold many flows); the index doubles as needed.
  slots_.assign(1024, Slot{0, 0});
  mask_ = 1023;
}

FlowTable::~FlowTable() { Clear(); }

size_t FlowTable::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + chunks_.size() * kChunkFlows * sizeof(Flow) +
         free_.capacity() * sizeof(uint32_t);
}

Flow* FlowTable::Allocate() {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (pool_used_ == chunks_.size() * kChunkFlows) {
      chunks_.push_back(std::make_unique<Storage[]>(kChunkFlows));
    }
    index = pool_used_++;
  }
  Flow* f = new (At(index)) Flow();
  f->index = index;
  return f;
}

void FlowTable::Release(Flow* f) {
  uint32_t index = f->index;
  f->~Flow();
  free_.push_back(index);
}

void FlowTable::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{0, 0});
  mask_ = static_cast<uint32_t>(slots_.size() - 1);
  for (const Slot& s : old) {
    if (!s.index) continue;
    uint32_t i = s.hash & mask_;
    while (slots_[i].index) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void FlowTable::IndexInsert(Flow* f) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  uint32_t i = f->hash & mask_;
  while (slots_[i].index) i = (i + 1) & mask_;
  slots_[i] = Slot{f->hash, f->index + 1};
  ++size_;
}

void FlowTable::IndexErase(const Flow* f) {
  uint32_t i = f->hash & mask_;
  while (slots_[i].index != f->index + 1) i = (i + 1) & mask_;
  // Backward-shift deletion: move later members of the probe run into the hole when their
  // home slot is at or before it, so that no tombstones are needed.
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & mask_; slots_[j].index; j = (j + 1) & mask_) {
    uint32_t home = slots_[j].hash & mask_;
    if (((j - home) & mask_) >= ((j - hole) & mask_)) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{0, 0};
  --size_;
}

void FlowTable::Push(Queue& q, Flow* f, int64_t now_us) {
  f->queued_us = now_us;
  f->queue_next = nullptr;
  f->queue_prev = q.tail;
  (q.tail ? q.tail->queue_next : q.head) = f;
  q.tail = f;
}

void FlowTable::Remove(Queue& q, Flow* f) {
  (f->queue_prev ? f->queue_prev->queue_next : q.head) = f->queue_next;
  (f->queue_next ? f->queue_next->queue_prev : q.tail) = f->queue_prev;
  f->queue_prev = f->queue_next = nullptr;
}

void FlowTable::End(Flow* f, FlowCounters::Id reason) {
  counters_.Inc(reason);
  if (on_end_) on_end_(*f, reason);
  Remove(QueueOf(f), f);
  IndexErase(f);
  Release(f);
}

void FlowTable::EndNow(Flow* f) { End(f, FlowCounters::kExpiredClosed); }

void FlowTable::MarkClosing(Flow* f) {
  if (f->closing) return;
  Remove(open_, f);
  f->closing = true;
  Push(closing_, f, f->last_seen_us);
}

Flow* FlowTable::Lookup(const FlowKey& key, uint64_t flow_hash, int64_t now_us, bool* created) {
  auto hash = static_cast<uint32_t>(flow_hash >> 32);
  for (uint32_t i = hash & mask_; slots_[i].index; i = (i + 1) & mask_) {
    if (slots_[i].hash != hash) continue;
    Flow* f = At(slots_[i].index - 1);
    if (f->key == key) {
      *created = false;
      f->last_seen_us = std::max(f->last_seen_us, now_us);
      return f;
    }
  }
  if (size_ >= options_.max_flows) Evict(now_us);
  Flow* f = Allocate();
  f->key = key;
  f->hash = hash;
  f->session_id = ids_.Next();
  f->first_seen_us = f->last_seen_us = now_us;
  IndexInsert(f);
  Push(open_, f, now_us);
  counters_.Inc(FlowCounters::kCreated);
  *created = true;
  return f;
}

void FlowTable::Evict(int64_t now_us) {
  // The closing flow queued first, else the open flow queued first that has not been seen
  // since it was queued (those seen since go to the back: a second chance, bounded).
  if (closing_.head) {
    End(closing_.head, FlowCounters::kEvicted);
    return;
  }
  for (int i = 0; i < 64 && open_.head && open_.head->last_seen_us > open_.head->queued_us; ++i) {
    Flow* f = open_.head;
    Remove(open_, f);
    Push(open_, f, f->last_seen_us);
  }
  if (open_.head) End(open_.head, FlowCounters::kEvicted);
}

void FlowTable::Expire(int64_t now_us, int max_work) {
  // A front flow queued less than its timeout ago ends the look: every flow behind it was
  // queued later and seen later still.
  struct {
    Queue* q;
    int64_t timeout;
    FlowCounters::Id reason;
  } queues[] = {{&closing_, options_.closed_timeout_us, FlowCounters::kExpiredClosed},
                {&open_, options_.idle_timeout_us, FlowCounters::kExpiredIdle}};
  for (auto& [q, timeout, reason] : queues) {
    for (int i = 0; i < max_work && q->head && now_us - q->head->queued_us > timeout; ++i) {
      Flow* f = q->head;
      if (now_us - f->last_seen_us > timeout) {
        End(f, reason);
      } else {
        Remove(*q, f);
        Push(*q, f, f->last_seen_us);
      }
    }
  }
}

void FlowTable::Clear() {
  while (closing_.head) End(closing_.head, FlowCounters::kEndedShutdown);
  while (open_.head) End(open_.head, FlowCounters::kEndedShutdown);
}

}  // namespace xsensor
