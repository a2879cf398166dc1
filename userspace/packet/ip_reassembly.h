// IP fragment reassembly (RFC 791, RFC 8200 4.5): the fragments of a datagram are gathered until
// it is whole, then rebuilt as one frame (the first fragment's link-layer bytes and IP header,
// fragmentation fields cleared, lengths and checksum fixed, the whole payload) that decodes like
// any other. Large SIP messages and DNS answers over UDP arrive this way.
//
// Bounded: at most `max_datagrams` in progress and `max_bytes` held; the oldest gives way
// (counted). A datagram not completed within `timeout_us` is dropped (counted). Overlapping
// fragments: IPv6 drops the datagram (RFC 5722); IPv4 keeps the bytes that came first.
// Fragments inside tunnels are not reassembled (the decoder does not report them).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/counters.h"
#include "packet/packet.h"

namespace xsensor {

#define XS_IPFRAG_COUNTERS(X)               \
  X(kFragments, "fragments")                \
  X(kReassembled, "datagrams_reassembled")  \
  X(kTimedOut, "datagrams_timed_out")       \
  X(kEvicted, "datagrams_evicted")          \
  X(kOverlaps, "overlapping_fragments")     \
  X(kDuplicates, "duplicate_fragments")     \
  X(kTooLong, "datagrams_too_long")         \
  X(kTruncated, "fragments_cut_by_snaplen") \
  X(kUnusable, "fragments_not_reassembled")
XS_COUNTER_GROUP(IpFragCounters, XS_IPFRAG_COUNTERS);

class IpReassembler {
 public:
  struct Options {
    size_t max_datagrams = 4096;
    size_t max_bytes = 16 << 20;
    int64_t timeout_us = 30'000'000;  // Linux's ipfrag_time
  };
  IpReassembler() : IpReassembler(Options()) {}
  explicit IpReassembler(const Options& o) : options_(o) {}

  // `p` is what DecodePacket gave `frame` (kFragment, p.frag.ip_header set). Returns true when
  // this fragment completed its datagram; *out then holds the rebuilt frame.
  bool Add(const uint8_t* frame, size_t caplen, size_t wire_len, const PacketView& p,
           int64_t now_us, std::string* out);
  // Drops the datagrams older than the timeout.
  void Expire(int64_t now_us);

  const IpFragCounters& counters() const { return counters_; }
  size_t pending() const { return datagrams_.size(); }
  size_t held_bytes() const { return held_bytes_; }

 private:
  // A datagram's identity: version, protocol, addresses, id, and the innermost VLAN (the same
  // addresses may be reused on other VLANs). Fixed size: no allocation per fragment.
  struct Key {
    std::array<uint8_t, 32> addrs{};  // source then destination (IPv4: the first 4 of each)
    uint32_t id = 0;
    uint16_t vlan = 0;
    uint8_t version = 0, proto = 0;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.addrs, k.id, k.vlan, k.version, k.proto);
    }
  };
  static Key KeyOf(const PacketView& p);
  struct Datagram {
    std::string prefix;  // link-layer bytes + IP header of the first fragment (empty until then)
    size_t ip_at = 0;    // where the IP header starts in prefix
    uint8_t version = 0;
    uint8_t proto = 0;
    std::string data;
    std::vector<std::pair<uint32_t, uint32_t>> have;  // [start, end), sorted, disjoint
    uint32_t total = 0;                               // payload length; 0 until the last
    int64_t first_us = 0;
    uint64_t serial = 0;  // its entry in order_
  };
  using Map = absl::flat_hash_map<Key, Datagram>;
  void Drop(Map::iterator it);
  void EvictOldest();
  // The datagram of order_'s front entry, or end() when that entry is stale (its datagram is
  // gone, or its key now names a newer one).
  Map::iterator Front();
  void CompactOrder();
  static void Rebuild(const Datagram& d, std::string* out);

  Options options_;
  Map datagrams_;
  // Datagrams in the order they began (key, serial): the oldest is at the front, so eviction
  // and expiry cost O(1) each, not a scan. Entries of datagrams already gone stay until they
  // reach the front or a compaction drops them.
  std::deque<std::pair<Key, uint64_t>> order_;
  uint64_t next_serial_ = 0;
  size_t held_bytes_ = 0;
  int64_t last_sweep_us_ = 0;
  IpFragCounters counters_;
};

}  // namespace xsensor
