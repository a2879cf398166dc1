// What a flow's packets of one direction show of its two ends: addresses, ports, VLANs, MACs
// and MPLS labels. A worker keeps one per direction for the flows it parses, so that a record
// told after its packet has gone (a login told at flow end, a DNS answer describing its
// question) carries the fields of a real packet of the flow.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/dir.h"
#include "packet/packet.h"

namespace xsensor {

struct FlowSide {
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  uint16_t vlan = 0, post_vlan = 0;  // VLAN_ID, POST_VLAN_ID
  bool valid = false;                // a packet was taken
  bool has_macs = false;
  uint8_t src_mac[6] = {}, dst_mac[6] = {};
  uint8_t mpls_len = 0;
  uint8_t mpls[4 * kMaxMplsLabels] = {};

  void Take(const PacketView& p);
  // The same seen from the other direction: sources and destinations swapped.
  FlowSide Mirrored() const;
  absl::string_view mpls_labels() const {
    return absl::string_view(reinterpret_cast<const char*>(mpls), mpls_len);
  }
};

// Both directions of one flow.
struct FlowEndpoints {
  FlowSide side[2];  // per Dir

  // Direction `d` as its last packet showed it; a direction not seen yet as the other one's
  // packets show it, mirrored into `scratch` (a DNS answer whose question was not captured).
  const FlowSide& Of(Dir d, FlowSide* scratch) const {
    const FlowSide& e = side[static_cast<int>(d)];
    if (e.valid) return e;
    *scratch = side[1 - static_cast<int>(d)].Mirrored();
    return *scratch;
  }
  // Recycled through the worker thread's free lists (common/free_list.h).
  static void* operator new(size_t size);
  static void operator delete(void* p, size_t size);
};

}  // namespace xsensor
