#include "packet/endpoint.h"

#include <algorithm>
#include <cstring>

namespace xsensor {

void FlowL2::Take(const PacketView& p) {
  vlan = p.outer_vlan();
  post_vlan = p.inner_vlan();
  valid = true;
  has_macs = p.has_macs;
  if (has_macs) {
    std::memcpy(src_mac, p.src_mac, 6);
    std::memcpy(dst_mac, p.dst_mac, 6);
  }
}

void FlowSide::Take(const PacketView& p) {
  src = p.src;
  dst = p.dst;
  sport = p.sport;
  dport = p.dport;
  l2.Take(p);
  mpls_len = static_cast<uint8_t>(std::min(p.mpls.size(), sizeof(mpls)));
  if (mpls_len) std::memcpy(mpls, p.mpls.data(), mpls_len);
}

FlowSide FlowSide::Mirrored() const {
  FlowSide m = *this;
  std::swap(m.src, m.dst);
  std::swap(m.sport, m.dport);
  std::swap(m.l2.src_mac, m.l2.dst_mac);
  return m;
}

}  // namespace xsensor
