// L2-L4 decoding of one frame into a PacketView. Every read is bounds-checked through
// ByteReader; malformed frames come back as a DecodeResult reason that the caller counts.
// A PacketView aliases the frame: it is valid only while the frame buffer is (one packet).
#pragma once

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"
#include "common/counters.h"

namespace xsensor {

// pcap/pcapng link types we decode (LINKTYPE_* values).
enum class LinkType : int {
  kNull = 0,  // BSD loopback, host-order AF_ family
  kEthernet = 1,
  kRaw = 101,   // raw IPv4/IPv6
  kLoop = 108,  // OpenBSD loopback, network-order AF_ family
  kLinuxSll = 113,
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxSll2 = 276,
};
bool IsSupportedLinkType(int dlt);
// libpcap maps DLT_RAW (12/14) to LINKTYPE_RAW; accept the DLT numbers too.
LinkType NormalizeLinkType(int dlt);

inline constexpr int kMaxVlanTags = 3;
inline constexpr int kMaxMplsLabels = 8;

struct IpAddr {
  uint8_t bytes[16] = {};
  uint8_t len = 0;  // 4 or 16
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes), len);
  }
  bool operator==(const IpAddr& o) const {
    return len == o.len && std::memcmp(bytes, o.bytes, len) == 0;
  }
};

struct PacketView {
  // L2
  bool has_macs = false;
  uint8_t src_mac[6] = {};
  uint8_t dst_mac[6] = {};
  uint8_t vlan_count = 0;
  uint16_t vlans[kMaxVlanTags] = {};  // outermost first (VLAN id only, 12 bits)
  absl::string_view mpls;             // raw label stack entries, 4 bytes each
  // L3
  IpAddr src, dst;
  uint8_t ip_version = 0;
  uint8_t l4_proto = 0;
  // L4
  uint16_t sport = 0, dport = 0;
  uint32_t tcp_seq = 0, tcp_ack = 0;
  uint8_t tcp_flags = 0;
  absl::string_view payload;
  bool payload_truncated = false;  // capture snap length cut the payload

  // An IP fragment (result kFragment) not inside a tunnel: where it goes in its datagram.
  // `payload` is then the fragment's data; `ip_header` points into the frame at its IP header.
  struct Fragment {
    const uint8_t* ip_header = nullptr;
    uint16_t ip_header_len = 0;  // IPv4: with options; IPv6: the fixed 40 bytes
    uint32_t id = 0;
    uint32_t offset = 0;  // bytes
    bool more = false;
  } frag;

  uint16_t outer_vlan() const { return vlan_count ? vlans[0] : 0; }
  uint16_t inner_vlan() const { return vlan_count > 1 ? vlans[vlan_count - 1] : 0; }
};

enum TcpFlag : uint8_t {
  kFin = 0x01,
  kSyn = 0x02,
  kRst = 0x04,
  kPsh = 0x08,
  kAck = 0x10,
  kUrg = 0x20,
};

// Every frame ends in exactly one of these; the decode counters account for all frames.
#define XS_DECODE_RESULTS(X)                         \
  X(kOk, "ok")                                       \
  X(kNotIp, "not_ip")                                \
  X(kOtherL4, "other_l4")                            \
  X(kFragment, "ip_fragment")                        \
  X(kTruncatedL2, "malformed_truncated_l2")          \
  X(kTooManyTags, "malformed_too_many_vlan_or_mpls") \
  X(kTruncatedIp, "malformed_truncated_ip")          \
  X(kBadIpHeader, "malformed_bad_ip_header")         \
  X(kBadIpLength, "malformed_bad_ip_length")         \
  X(kBadIpv6Ext, "malformed_bad_ipv6_ext")           \
  X(kTruncatedL4, "malformed_truncated_l4")          \
  X(kBadTcpHeader, "malformed_bad_tcp_header")       \
  X(kUnsupportedLink, "unsupported_link_type")

XS_COUNTER_GROUP(DecodeCounters, XS_DECODE_RESULTS);
using DecodeResult = DecodeCounters::Id;

// `wire_len` is the frame's length on the wire; when it exceeds data.size() the capture was
// cut by its snap length and a short IP payload is accepted (payload_truncated) rather than
// counted as malformed.
DecodeResult DecodePacket(LinkType link, const uint8_t* data, size_t size, size_t wire_len,
                          PacketView* out);

// `p` was decoded from a frame at `from` that has been copied to `to`: its views (payload,
// MPLS labels, a fragment's IP header) are moved to the copy, so it need not be decoded again.
void MoveViews(PacketView* p, const uint8_t* from, const uint8_t* to);

}  // namespace xsensor
