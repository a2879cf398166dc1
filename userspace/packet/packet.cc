#include "packet/packet.h"

#include "absl/strings/string_view.h"
#include "common/byte_reader.h"

namespace xsensor {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinq = 0x88a8;
constexpr uint16_t kEthQinqOld = 0x9100;
constexpr uint16_t kEthMpls = 0x8847;
constexpr uint16_t kEthMplsMc = 0x8848;
constexpr int kMaxIpv6ExtHeaders = 8;
constexpr int kMaxIpInIp = 2;

DecodeResult DecodeL4(ByteReader r, bool snap_cut, PacketView* p) {
  if (p->l4_proto == 6) {
    uint16_t sport, dport, flags_off;
    uint32_t seq, ack;
    if (!r.ReadU16(&sport) || !r.ReadU16(&dport) || !r.ReadU32(&seq) || !r.ReadU32(&ack) ||
        !r.ReadU16(&flags_off)) {
      return DecodeCounters::kTruncatedL4;
    }
    size_t hlen = (flags_off >> 12) * 4u;
    if (hlen < 20) return DecodeCounters::kBadTcpHeader;
    if (!r.Seek(r.position() - 14 + hlen)) return DecodeCounters::kTruncatedL4;
    p->sport = sport;
    p->dport = dport;
    p->tcp_seq = seq;
    p->tcp_ack = ack;
    p->tcp_flags = static_cast<uint8_t>(flags_off & 0xff);
  } else if (p->l4_proto == 17) {
    uint16_t sport, dport, len;
    if (!r.ReadU16(&sport) || !r.ReadU16(&dport) || !r.ReadU16(&len) || !r.Skip(2)) {
      return DecodeCounters::kTruncatedL4;
    }
    p->sport = sport;
    p->dport = dport;
    // The UDP length bounds the payload when it is consistent; else trust the IP length.
    if (len >= 8 && len - 8u <= r.remaining()) {
      p->payload = r.RemainingView().substr(0, len - 8u);
      return DecodeCounters::kOk;
    }
    if (len >= 8 && snap_cut) p->payload_truncated = true;
  } else {
    return DecodeCounters::kOtherL4;
  }
  p->payload = r.RemainingView();
  return DecodeCounters::kOk;
}

DecodeResult DecodeIp(ByteReader r, bool snap_cut, int depth, PacketView* p);

DecodeResult DecodeIpv4(ByteReader r, bool snap_cut, int depth, PacketView* p) {
  size_t start = r.position();
  const uint8_t* header = r.current();
  uint8_t vihl, proto;
  uint16_t total_len, id, frag;
  if (!r.ReadU8(&vihl) || !r.Skip(1) || !r.ReadU16(&total_len) || !r.ReadU16(&id) ||
      !r.ReadU16(&frag) || !r.Skip(1) || !r.ReadU8(&proto) || !r.Skip(2)) {
    return DecodeCounters::kTruncatedIp;
  }
  size_t ihl = (vihl & 0x0f) * 4u;
  if ((vihl >> 4) != 4 || ihl < 20) return DecodeCounters::kBadIpHeader;
  if (total_len < ihl) return DecodeCounters::kBadIpLength;
  p->src.len = p->dst.len = 4;
  if (!r.ReadBytes(p->src.bytes, 4) || !r.ReadBytes(p->dst.bytes, 4)) {
    return DecodeCounters::kTruncatedIp;
  }
  if (!r.Seek(start + ihl)) return DecodeCounters::kTruncatedIp;  // options
  size_t avail = r.remaining() + ihl;
  if (total_len > avail) {
    if (!snap_cut) return DecodeCounters::kBadIpLength;
    p->payload_truncated = true;
  } else {
    // Drop link-layer padding/trailers beyond the IP datagram.
    r = ByteReader(r.current(), total_len - ihl);
  }
  p->ip_version = 4;
  p->l4_proto = proto;
  if ((frag & 0x3fff) != 0) {  // MF set or offset != 0
    if (depth == 0) {
      p->frag = {header, static_cast<uint16_t>(ihl), id, (frag & 0x1fffu) * 8u,
                 (frag & 0x2000) != 0};
      p->payload = r.RemainingView();
    }
    return DecodeCounters::kFragment;
  }
  if ((proto == 4 || proto == 41) && depth < kMaxIpInIp) return DecodeIp(r, snap_cut, depth + 1, p);
  return DecodeL4(r, snap_cut, p);
}

DecodeResult DecodeIpv6(ByteReader r, bool snap_cut, int depth, PacketView* p) {
  const uint8_t* header = r.current();
  uint32_t vtf;
  uint16_t payload_len;
  uint8_t next;
  if (!r.ReadU32(&vtf) || !r.ReadU16(&payload_len) || !r.ReadU8(&next) || !r.Skip(1)) {
    return DecodeCounters::kTruncatedIp;
  }
  if ((vtf >> 28) != 6) return DecodeCounters::kBadIpHeader;
  p->src.len = p->dst.len = 16;
  if (!r.ReadBytes(p->src.bytes, 16) || !r.ReadBytes(p->dst.bytes, 16)) {
    return DecodeCounters::kTruncatedIp;
  }
  if (payload_len > r.remaining()) {
    if (!snap_cut) return DecodeCounters::kBadIpLength;
    p->payload_truncated = true;
  } else if (payload_len != 0) {  // 0: jumbogram; take what is there
    r = ByteReader(r.current(), payload_len);
  }
  p->ip_version = 6;
  for (int i = 0; i < kMaxIpv6ExtHeaders; ++i) {
    switch (next) {
      case 0:      // hop-by-hop
      case 43:     // routing
      case 60:     // destination options
      case 135:    // mobility
      case 139:    // HIP
      case 140: {  // shim6
        uint8_t nh, len;
        if (!r.ReadU8(&nh) || !r.ReadU8(&len) || !r.Skip(6 + len * 8u)) {
          return DecodeCounters::kBadIpv6Ext;
        }
        next = nh;
        continue;
      }
      case 51: {  // AH: length in 4-byte units minus 2
        uint8_t nh, len;
        if (!r.ReadU8(&nh) || !r.ReadU8(&len) || !r.Skip((len + 2u) * 4u - 2u)) {
          return DecodeCounters::kBadIpv6Ext;
        }
        next = nh;
        continue;
      }
      case 44: {  // fragment
        uint8_t nh;
        uint16_t off;
        uint32_t id;
        if (!r.ReadU8(&nh) || !r.Skip(1) || !r.ReadU16(&off) || !r.ReadU32(&id)) {
          return DecodeCounters::kBadIpv6Ext;
        }
        p->l4_proto = nh;
        if ((off & 0xfff9) != 0) {  // offset or M flag
          if (depth == 0) {
            p->frag = {header, 40, id, off & 0xfff8u, (off & 1) != 0};
            p->payload = r.RemainingView();
          }
          return DecodeCounters::kFragment;
        }
        next = nh;  // atomic fragment: go on
        continue;
      }
      default:
        break;
    }
    break;
  }
  p->l4_proto = next;
  if ((next == 4 || next == 41) && depth < kMaxIpInIp) return DecodeIp(r, snap_cut, depth + 1, p);
  return DecodeL4(r, snap_cut, p);
}

DecodeResult DecodeIp(ByteReader r, bool snap_cut, int depth, PacketView* p) {
  uint8_t v;
  if (!r.PeekU8(&v)) return DecodeCounters::kTruncatedIp;
  if ((v >> 4) == 4) return DecodeIpv4(r, snap_cut, depth, p);
  if ((v >> 4) == 6) return DecodeIpv6(r, snap_cut, depth, p);
  return DecodeCounters::kBadIpHeader;
}

// From an ethertype on: VLAN tags, MPLS, then IP.
DecodeResult DecodeEtherPayload(ByteReader r, uint16_t type, bool snap_cut, PacketView* p) {
  while (type == kEthVlan || type == kEthQinq || type == kEthQinqOld) {
    uint16_t tci;
    if (!r.ReadU16(&tci) || !r.ReadU16(&type)) return DecodeCounters::kTruncatedL2;
    if (p->vlan_count == kMaxVlanTags) return DecodeCounters::kTooManyTags;
    p->vlans[p->vlan_count++] = tci & 0x0fff;
  }
  if (type == kEthMpls || type == kEthMplsMc) {
    size_t start = r.position();
    for (int i = 0;; ++i) {
      if (i == kMaxMplsLabels) return DecodeCounters::kTooManyTags;
      uint32_t entry;
      if (!r.ReadU32(&entry)) return DecodeCounters::kTruncatedL2;
      if (entry & 0x100) break;  // bottom of stack
    }
    p->mpls = absl::string_view(reinterpret_cast<const char*>(r.current()) - (r.position() - start),
                                r.position() - start);
    uint8_t v;
    if (!r.PeekU8(&v)) return DecodeCounters::kTruncatedIp;
    if ((v >> 4) != 4 && (v >> 4) != 6) return DecodeCounters::kNotIp;  // e.g. pseudowire
    return DecodeIp(r, snap_cut, 0, p);
  }
  if (type == kEthIpv4) return DecodeIpv4(r, snap_cut, 0, p);
  if (type == kEthIpv6) return DecodeIpv6(r, snap_cut, 0, p);
  return DecodeCounters::kNotIp;
}

}  // namespace

bool IsSupportedLinkType(int dlt) {
  switch (NormalizeLinkType(dlt)) {
    case LinkType::kNull:
    case LinkType::kEthernet:
    case LinkType::kRaw:
    case LinkType::kLoop:
    case LinkType::kLinuxSll:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
    case LinkType::kLinuxSll2:
      return true;
  }
  return false;
}

LinkType NormalizeLinkType(int dlt) {
  if (dlt == 12 || dlt == 14) return LinkType::kRaw;  // DLT_RAW on various systems
  return static_cast<LinkType>(dlt);
}

DecodeResult DecodePacket(LinkType link, const uint8_t* data, size_t size, size_t wire_len,
                          PacketView* p) {
  *p = PacketView();
  ByteReader r(data, size);
  bool snap_cut = wire_len > size;
  switch (link) {
    case LinkType::kEthernet: {
      uint16_t type;
      if (!r.ReadBytes(p->dst_mac, 6) || !r.ReadBytes(p->src_mac, 6) || !r.ReadU16(&type)) {
        return DecodeCounters::kTruncatedL2;
      }
      p->has_macs = true;
      return DecodeEtherPayload(r, type, snap_cut, p);
    }
    case LinkType::kLinuxSll: {
      uint16_t pkttype, hatype, halen, proto;
      uint8_t addr[8];
      if (!r.ReadU16(&pkttype) || !r.ReadU16(&hatype) || !r.ReadU16(&halen) ||
          !r.ReadBytes(addr, 8) || !r.ReadU16(&proto)) {
        return DecodeCounters::kTruncatedL2;
      }
      if (halen == 6) {
        // SLL carries only the sender's address.
        std::memcpy(p->src_mac, addr, 6);
        p->has_macs = true;
      }
      return DecodeEtherPayload(r, proto, snap_cut, p);
    }
    case LinkType::kLinuxSll2: {
      uint16_t proto;
      uint8_t halen, addr[8];
      if (!r.ReadU16(&proto) || !r.Skip(2 + 4 + 2 + 1 + 1) || !r.ReadU8(&halen) ||
          !r.ReadBytes(addr, 8)) {
        return DecodeCounters::kTruncatedL2;
      }
      if (halen == 6) {
        std::memcpy(p->src_mac, addr, 6);
        p->has_macs = true;
      }
      return DecodeEtherPayload(r, proto, snap_cut, p);
    }
    case LinkType::kNull:
    case LinkType::kLoop: {
      uint8_t fam[4];
      if (!r.ReadBytes(fam, 4)) return DecodeCounters::kTruncatedL2;
      // Host byte order for DLT_NULL: accept either order. AF_INET is 2 everywhere;
      // AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
      uint32_t le = fam[0] | (fam[1] << 8) | (fam[2] << 16) | (uint32_t{fam[3]} << 24);
      uint32_t be = (uint32_t{fam[0]} << 24) | (fam[1] << 16) | (fam[2] << 8) | fam[3];
      uint32_t af = (le < 256) ? le : be;
      if (af == 2) return DecodeIpv4(r, snap_cut, 0, p);
      if (af == 10 || af == 24 || af == 28 || af == 30) return DecodeIpv6(r, snap_cut, 0, p);
      return DecodeCounters::kNotIp;
    }
    case LinkType::kRaw:
      return DecodeIp(r, snap_cut, 0, p);
    case LinkType::kIpv4:
      return DecodeIpv4(r, snap_cut, 0, p);
    case LinkType::kIpv6:
      return DecodeIpv6(r, snap_cut, 0, p);
  }
  return DecodeCounters::kUnsupportedLink;
}

void MoveViews(PacketView* p, const uint8_t* from, const uint8_t* to) {
  auto move = [&](absl::string_view v) {
    if (v.data() == nullptr) return v;
    return absl::string_view(
        reinterpret_cast<const char*>(to) + (reinterpret_cast<const uint8_t*>(v.data()) - from),
        v.size());
  };
  p->payload = move(p->payload);
  p->mpls = move(p->mpls);
  if (p->frag.ip_header) p->frag.ip_header = to + (p->frag.ip_header - from);
}

}  // namespace xsensor
