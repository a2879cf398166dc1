#include "packet/endpoint.h"

#include <algorithm>
#include <cstring>

#include "common/free_list.h"

namespace xsensor {

void FlowSide::Take(const PacketView& p) {
  src = p.src;
  dst = p.dst;
  sport = p.sport;
  dport = p.dport;
  vlan = p.outer_vlan();
  post_vlan = p.inner_vlan();
  valid = true;
  has_macs = p.has_macs;
  if (has_macs) {
    std::memcpy(src_mac, p.src_mac, 6);
    std::memcpy(dst_mac, p.dst_mac, 6);
  }
  mpls_len = static_cast<uint8_t>(std::min(p.mpls.size(), sizeof(mpls)));
  if (mpls_len) std::memcpy(mpls, p.mpls.data(), mpls_len);
}

FlowSide FlowSide::Mirrored() const {
  FlowSide m = *this;
  std::swap(m.src, m.dst);
  std::swap(m.sport, m.dport);
  std::swap(m.src_mac, m.dst_mac);
  return m;
}

void* FlowEndpoints::operator new(size_t size) { return FreeListTake(size); }
void FlowEndpoints::operator delete(void* p, size_t size) { FreeListGive(p, size); }

}  // namespace xsensor
