#include "packet/ip_reassembly.h"

#include <algorithm>
#include <cstring>

namespace xsensor {
namespace {

constexpr uint32_t kMaxPayload = 65535;

void PutU16(std::string* s, size_t at, uint16_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v & 0xff);
}

}  // namespace

IpReassembler::Key IpReassembler::KeyOf(const PacketView& p) {
  Key k;
  std::memcpy(k.addrs.data(), p.src.bytes, p.src.len);
  std::memcpy(k.addrs.data() + 16, p.dst.bytes, p.dst.len);
  k.id = p.frag.id;
  k.vlan = p.inner_vlan();
  k.version = p.ip_version;
  k.proto = p.l4_proto;
  return k;
}

void IpReassembler::Drop(Map::iterator it) {
  held_bytes_ -= it->second.data.size() + it->second.prefix.size();
  datagrams_.erase(it);
}

IpReassembler::Map::iterator IpReassembler::Front() {
  auto it = datagrams_.find(order_.front().first);
  return it != datagrams_.end() && it->second.serial == order_.front().second ? it
                                                                              : datagrams_.end();
}

void IpReassembler::EvictOldest() {
  while (!order_.empty()) {
    auto it = Front();
    order_.pop_front();
    if (it != datagrams_.end()) {
      counters_.Inc(IpFragCounters::kEvicted);
      Drop(it);
      return;
    }
  }
}

void IpReassembler::Expire(int64_t now_us) {
  last_sweep_us_ = now_us;
  while (!order_.empty()) {
    auto it = Front();
    if (it != datagrams_.end()) {
      if (now_us - it->second.first_us <= options_.timeout_us) break;
      counters_.Inc(IpFragCounters::kTimedOut);
      Drop(it);
    }
    order_.pop_front();
  }
}

void IpReassembler::CompactOrder() {
  // Stale entries outnumber the live ones: rebuild from the datagrams (O(n log n) once per n
  // datagrams begun, so O(log n) each).
  order_.clear();
  for (const auto& [key, d] : datagrams_) order_.emplace_back(key, d.serial);
  std::sort(order_.begin(), order_.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
}

bool IpReassembler::Add(const uint8_t* frame, size_t caplen, size_t wire_len, const PacketView& p,
                        int64_t now_us, std::string* out) {
  counters_.Inc(IpFragCounters::kFragments);
  if (!p.frag.ip_header) {
    counters_.Inc(IpFragCounters::kUnusable);
    return false;
  }
  if (wire_len > caplen) {  // the capture cut it: its bytes are not all there
    counters_.Inc(IpFragCounters::kTruncated);
    return false;
  }
  if (now_us - last_sweep_us_ > 1'000'000) Expire(now_us);
  const uint32_t start = p.frag.offset;
  const uint32_t end = start + static_cast<uint32_t>(p.payload.size());
  const Key key = KeyOf(p);
  auto it = datagrams_.find(key);
  if (end > (p.ip_version == 4 ? kMaxPayload - p.frag.ip_header_len : kMaxPayload)) {
    counters_.Inc(IpFragCounters::kTooLong);
    if (it != datagrams_.end()) Drop(it);
    return false;
  }
  if (it == datagrams_.end()) {
    if (datagrams_.size() >= options_.max_datagrams) EvictOldest();
    if (order_.size() > 2 * datagrams_.size() + 64) CompactOrder();
    it = datagrams_.emplace(key, Datagram()).first;
    it->second.first_us = now_us;
    it->second.serial = next_serial_++;
    order_.emplace_back(key, it->second.serial);
    it->second.version = p.ip_version;
    it->second.proto = p.l4_proto;
  }
  Datagram& d = it->second;
  // The last fragment fixes the length; fragments must agree with it.
  if (!p.frag.more) {
    if ((d.total && d.total != end) || (!d.have.empty() && d.have.back().second > end)) {
      counters_.Inc(IpFragCounters::kUnusable);
      Drop(it);
      return false;
    }
    d.total = end;
  } else if ((d.total && end > d.total) || (p.payload.size() % 8) != 0) {
    counters_.Inc(IpFragCounters::kUnusable);
    Drop(it);
    return false;
  }
  // Where [start, end) goes among the sorted, disjoint ranges already there, as the Linux
  // stack places it (inet_frag_queue_insert): inside one range, a duplicate, dropped and the
  // datagram kept; across any, an overlap, and the whole datagram is discarded (RFC 5722 for
  // IPv6, Linux for IPv4: the sensor never rebuilds what the host refused). O(log n).
  auto at = std::lower_bound(d.have.begin(), d.have.end(), start,
                             [](const std::pair<uint32_t, uint32_t>& r, uint32_t v) {
                               return r.second <= v;
                             });  // the first range ending after start
  if (at != d.have.end() && at->first < end) {
    if (start >= at->first && end <= at->second) {
      counters_.Inc(IpFragCounters::kDuplicates);
      return false;
    }
    counters_.Inc(IpFragCounters::kOverlaps);
    Drop(it);
    return false;
  }
  if (start == 0 && d.prefix.empty()) {
    size_t l2 = static_cast<size_t>(p.frag.ip_header - frame);
    d.prefix.assign(reinterpret_cast<const char*>(frame), l2 + p.frag.ip_header_len);
    d.ip_at = l2;
    held_bytes_ += d.prefix.size();
  }
  if (d.data.size() < end) {
    held_bytes_ += end - d.data.size();
    d.data.resize(end);
  }
  std::memcpy(&d.data[start], p.payload.data(), end - start);
  // Joined to the ranges it touches.
  bool joins_prev = at != d.have.begin() && std::prev(at)->second == start;
  bool joins_next = at != d.have.end() && at->first == end;
  if (joins_prev && joins_next) {
    std::prev(at)->second = at->second;
    d.have.erase(at);
  } else if (joins_prev) {
    std::prev(at)->second = end;
  } else if (joins_next) {
    at->first = start;
  } else {
    d.have.insert(at, {start, end});
  }
  while (held_bytes_ > options_.max_bytes && datagrams_.size() > 1) {
    EvictOldest();
    it = datagrams_.find(key);
    if (it == datagrams_.end()) return false;  // this one was the oldest
  }
  const Datagram& done = it->second;
  if (done.total == 0 || done.prefix.empty() || done.have.size() != 1 || done.have[0].first != 0 ||
      done.have[0].second != done.total) {
    return false;
  }
  Rebuild(done, out);
  counters_.Inc(IpFragCounters::kReassembled);
  Drop(it);
  return true;
}

void IpReassembler::Rebuild(const Datagram& d, std::string* out) {
  *out = d.prefix;
  out->append(d.data.data(), d.total);
  const size_t ip = d.ip_at;
  if (d.version == 4) {
    const size_t ihl = d.prefix.size() - ip;
    PutU16(out, ip + 2, static_cast<uint16_t>(ihl + d.total));
    PutU16(out, ip + 6, 0);   // flags and fragment offset
    PutU16(out, ip + 10, 0);  // header checksum, recomputed
    uint32_t sum = 0;
    for (size_t i = ip; i + 1 < ip + ihl; i += 2) {
      sum += (static_cast<uint32_t>(static_cast<uint8_t>((*out)[i])) << 8) |
             static_cast<uint8_t>((*out)[i + 1]);
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    PutU16(out, ip + 10, static_cast<uint16_t>(~sum));
  } else {
    // The fixed header only: extension headers before the fragment header are left out.
    PutU16(out, ip + 4, static_cast<uint16_t>(d.total));
    (*out)[ip + 6] = static_cast<char>(d.proto);  // next header: what the fragments carry
  }
}

}  // namespace xsensor
