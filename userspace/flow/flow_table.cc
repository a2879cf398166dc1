#include "flow/flow_table.h"

#include "common/time_util.h"
#include "parsers/parser.h"

namespace xsensor {

Flow::~Flow() = default;

FlowKey MakeFlowKey(const PacketView& p, bool* forward) {
  FlowKey k;
  k.proto = p.l4_proto;
  k.addr_len = p.src.len;
  k.vlan = p.vlan_count ? p.vlans[p.vlan_count - 1] : 0;
  int c = std::memcmp(p.src.bytes, p.dst.bytes, p.src.len);
  bool fwd = c < 0 || (c == 0 && p.sport <= p.dport);
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
  // The key is already canonical, so any hash of it is symmetric.
  uint64_t h = 1469598103934665603ull;
  const auto* b = reinterpret_cast<const uint8_t*>(&key);
  for (size_t i = 0; i < sizeof(key); ++i) h = (h ^ b[i]) * 1099511628211ull;
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
  map_.reserve(std::min<uint32_t>(options_.max_flows, 65536));
}

FlowTable::~FlowTable() { Clear(); }

void FlowTable::Unlink(Flow* f) {
  (f->lru_prev ? f->lru_prev->lru_next : lru_head_) = f->lru_next;
  (f->lru_next ? f->lru_next->lru_prev : lru_tail_) = f->lru_prev;
  f->lru_prev = f->lru_next = nullptr;
}

void FlowTable::Touch(Flow* f) {
  if (lru_head_ == f) return;
  if (f->lru_prev || f->lru_next || lru_tail_ == f) Unlink(f);
  f->lru_next = lru_head_;
  if (lru_head_) lru_head_->lru_prev = f;
  lru_head_ = f;
  if (!lru_tail_) lru_tail_ = f;
}

void FlowTable::End(Flow* f, FlowCounters::Id reason) {
  counters_.Inc(reason);
  if (on_end_) on_end_(*f, reason);
  Unlink(f);
  map_.erase(f->key);  // destroys f
}

Flow* FlowTable::Lookup(const FlowKey& key, int64_t now_us, bool* created) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    *created = false;
    Flow* f = it->second.get();
    f->last_seen_us = now_us;
    Touch(f);
    return f;
  }
  if (map_.size() >= options_.max_flows && lru_tail_) End(lru_tail_, FlowCounters::kEvicted);
  auto flow = std::make_unique<Flow>();
  Flow* f = flow.get();
  f->key = key;
  f->session_id = ids_.Next();
  f->first_seen_us = f->last_seen_us = now_us;
  map_.emplace(key, std::move(flow));
  Touch(f);
  counters_.Inc(FlowCounters::kCreated);
  *created = true;
  return f;
}

void FlowTable::Expire(int64_t now_us, int max_work) {
  // The tail is the least recently seen flow; closing flows use a shorter timeout, so look
  // a little past a live tail for them.
  Flow* f = lru_tail_;
  for (int i = 0; f && i < max_work; ++i) {
    Flow* prev = f->lru_prev;
    int64_t idle = now_us - f->last_seen_us;
    if (idle > options_.idle_timeout_us) {
      End(f, FlowCounters::kExpiredIdle);
    } else if (f->closing && idle > options_.closed_timeout_us) {
      End(f, FlowCounters::kExpiredClosed);
    } else if (idle <= options_.closed_timeout_us) {
      break;  // everything nearer the head is more recent still
    }
    f = prev;
  }
}

void FlowTable::Clear() {
  while (lru_tail_) End(lru_tail_, FlowCounters::kEndedShutdown);
}

}  // namespace xsensor
