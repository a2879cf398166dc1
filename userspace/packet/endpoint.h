// What a flow's packets of one direction show of its two ends: addresses, ports, VLANs, MACs
// and MPLS labels, so that a record told after its packet has gone (a login told at flow end,
// a DNS answer describing its question) carries the fields of a real packet of the flow.
//
// A worker keeps, inline in each flow it parses, only what the flow key does not already say:
// per direction the L2 fields of its first packet with payload (FlowL2), and the MPLS labels
// out of line on the rare flows that have them (FlowMpls). Record assembly reads both ends
// through an EndpointSource.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/dir.h"
#include "packet/packet.h"

namespace xsensor {

inline constexpr size_t kMplsBytes = 4 * kMaxMplsLabels;

// One direction's L2 fields (18 bytes).
struct FlowL2 {
  uint8_t src_mac[6] = {}, dst_mac[6] = {};
  uint16_t vlan = 0, post_vlan = 0;  // VLAN_ID, POST_VLAN_ID
  bool valid = false;                // a packet was taken
  bool has_macs = false;

  void Take(const PacketView& p);
};

// Both directions' MPLS label stacks, as captured (top label first).
struct FlowMpls {
  uint8_t len[2] = {};
  uint8_t labels[2][kMplsBytes] = {};
};

// One direction of a flow as a record shows it.
struct FlowSide {
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  FlowL2 l2;
  uint8_t mpls_len = 0;
  uint8_t mpls[kMplsBytes] = {};

  void Take(const PacketView& p);
  // The same seen from the other direction: sources and destinations swapped.
  FlowSide Mirrored() const;
  absl::string_view mpls_labels() const {
    return absl::string_view(reinterpret_cast<const char*>(mpls), mpls_len);
  }
};

// Where record assembly reads a flow's ends.
class EndpointSource {
 public:
  // Direction `d` as its first packet with payload showed it; a direction not seen yet as the
  // other one's packets show it, mirrored (a DNS answer whose question was not captured).
  // The result is `*scratch` or lives as long as the source.
  virtual const FlowSide& Of(Dir d, FlowSide* scratch) const = 0;

 protected:
  ~EndpointSource() = default;
};

// Both directions kept whole: for tests and tools that have packets, not flows.
struct FlowEndpoints final : EndpointSource {
  FlowSide side[2];  // per Dir

  const FlowSide& Of(Dir d, FlowSide* scratch) const override {
    const FlowSide& e = side[static_cast<int>(d)];
    if (e.l2.valid) return e;
    *scratch = side[1 - static_cast<int>(d)].Mirrored();
    return *scratch;
  }
};

}  // namespace xsensor
