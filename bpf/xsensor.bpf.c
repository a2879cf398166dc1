/* The XDP program: steers the packets of interesting flows into the AF_XDP socket of the
 * receiving queue, bypasses flows that userspace has finished with, and passes (inline mode)
 * or drops (mirror mode) everything else. Every access is checked against data_end and every
 * loop is bounded. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xsensor_shared.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct xs_settings xs_cfg = {
    .mirror_mode = 0, .sniff_payload = 1, .steer_fragments = 1, .stamp_time = 0};

struct {
  __uint(type, BPF_MAP_TYPE_XSKMAP);
  __uint(max_entries, XS_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u32);
} XS_MAP_XSKS SEC(".maps");

/* Each capture interface's first slot in XS_MAP_XSKS (by ifindex): its queue q's socket is at
 * base + q, so that several interfaces share the program and the socket map. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, XS_MAX_INTERFACES);
  __type(key, __u32);
  __type(value, __u32);
} XS_MAP_IFSLOTS SEC(".maps");

static __always_inline __u32 xsk_slot(struct xdp_md *ctx) {
  __u32 ifindex = ctx->ingress_ifindex;
  __u32 *base = bpf_map_lookup_elem(&XS_MAP_IFSLOTS, &ifindex);
  return (base ? *base : 0) + ctx->rx_queue_index;
}

/* Inline mode: a socket-map slot whose worker is behind has its entry set by userspace; what
 * would be steered there is passed (to the bridge) uninspected until it is cleared. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, XS_MAX_QUEUES);
  __type(key, __u32);
  __type(value, __u32);
} XS_MAP_SHED SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u8);
} XS_MAP_PORTS SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 262144);
  __type(key, struct xs_flow_key);
  __type(value, struct xs_bypass);
} XS_MAP_BYPASS SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct xs_flow_key);
  __type(value, __u8);
} XS_MAP_STEER SEC(".maps");

/* Payload starts worth steering: the first four bytes as a big-endian word -> XS_PORT_TCP and/or
 * XS_PORT_UDP. Filled by userspace (HTTP methods, FTP/SMTP/POP3/IMAP greetings, XMPP, SIP). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u8);
} XS_MAP_PREFIXES SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, XS_CNT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} XS_MAP_COUNTERS SEC(".maps");

static __always_inline void count(__u32 idx) {
  __u64 *v = bpf_map_lookup_elem(&XS_MAP_COUNTERS, &idx);
  if (v) *v += 1;
}

static __always_inline int other(void) {
  if (xs_cfg.mirror_mode) {
    count(XS_CNT_DROPPED);
    return XDP_DROP;
  }
  count(XS_CNT_PASSED);
  return XDP_PASS;
}

/* Into the queue's AF_XDP socket. With stamp_time, the frame is prefixed with the time XDP saw
 * it (8 bytes, host order): the worker that owns a flow puts the frames of its two directions,
 * which may come in on two queues, back in the order they arrived. (A prefix, not XDP
 * metadata: bpf_xdp_adjust_meta is refused on some kernels.) */
static __always_inline int steer(struct xdp_md *ctx, __u32 q) {
  if (xs_cfg.stamp_time && bpf_xdp_adjust_head(ctx, -(int)sizeof(__u64)) == 0) {
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (data + sizeof(__u64) <= end) *(__u64 *)data = bpf_ktime_get_ns();
  }
  return bpf_redirect_map(&XS_MAP_XSKS, q, XDP_PASS);
}

static __always_inline int fail(__u32 reason) {
  count(reason);
  return other();
}

/* An IP fragment: no ports beyond the first, so no port or flow decides. UDP fragments (large
 * SIP messages, DNS answers) go to userspace to be reassembled; the rest is counted and passed. */
static __always_inline int fragment(struct xdp_md *ctx, __u8 l4_proto) {
  count(XS_CNT_FRAGMENT);
  if (!xs_cfg.steer_fragments || l4_proto != IPPROTO_UDP) return other();
  __u32 q = xsk_slot(ctx);
  if (!bpf_map_lookup_elem(&XS_MAP_XSKS, &q)) return fail(XS_CNT_NO_SOCKET);
  count(XS_CNT_STEER_FRAGMENT);
  count(XS_CNT_STEERED);
  return steer(ctx, q);
}

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define ETH_P_QINQ_OLD_ 0x9100
#define ETH_P_MPLS_UC_ 0x8847
#define ETH_P_MPLS_MC_ 0x8848
/* Headers are found at a scalar offset kept below this bound, so that the verifier tracks one
 * range instead of one state per header combination. */
#define XS_MAX_OFF 512

static __always_inline int is_vlan(__u16 t) {
  return t == ETH_P_8021Q_ || t == ETH_P_8021AD_ || t == ETH_P_QINQ_OLD_;
}

static __always_inline __u64 load_be64(const __u8 *p) {
  return ((__u64)bpf_ntohl(*(__u32 *)p) << 32) | bpf_ntohl(*(__u32 *)(p + 4));
}

/* The payload's first byte, at an offset the verifier knows is bounded (the offset comes as a
 * function argument: the bound is tested on the very register the pointer is made from), or
 * null when the offset is beyond what the program looks at. */
static __always_inline const __u8 *payload_at(void *data, __u64 off) {
  if (off > XS_MAX_OFF + 60) return 0;
  asm volatile("" : "+r"(off)); /* no copy made before the test */
  return (const __u8 *)data + off;
}

/* Payload that starts a protocol of interest: a TLS handshake record (TCP), or a start listed
 * in the prefix map for this transport (`want`). A false match only sends the flow's packets to
 * userspace, which decides. */
static __always_inline int looks_interesting(const __u8 *p, void *end, __u8 want) {
  if ((void *)(p + 4) > end) return 0;
  if (want == XS_PORT_TCP && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04) return 1;
  /* A TPKT (RFC 1006, version 3) of a plausible length: H.245 on the port a call negotiated
   * (and H.225.0 call signalling off 1720); userspace tells them from X.224 (RDP, ISO-TSAP) and
   * gives the rest back as a flow without a parser. */
  if (want == XS_PORT_TCP && p[0] == 0x03 && p[1] == 0x00 && ((p[2] << 8) | p[3]) >= 7) return 1;
  __u32 w = ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
  __u8 *f = bpf_map_lookup_elem(&XS_MAP_PREFIXES, &w);
  return f && (*f & want);
}

/* What to do with a parsed packet of flow `key`: leave it to the kernel when its flow's bypass
 * entry says userspace does not need it, steer it to the queue's socket when it is of interest,
 * else pass it (drop it in mirror mode). `from_lo_and_flags` is (from_lo << 8) | the TCP flags
 * (a BPF function takes five arguments at most); `tcp_seq` the TCP sequence number; the
 * payload starts at `payload_off` in the frame. A global function: the verifier checks it once,
 * not once for every header layout (VLAN, MPLS, IPv6 extensions) the parse reaches it with. */
__noinline int decide(struct xdp_md *ctx, struct xs_flow_key *key, __u32 from_lo_and_flags,
                      __u32 tcp_seq, __u64 payload_off) {
  if (!key) return XDP_PASS;
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  const int from_lo = from_lo_and_flags >> 8;
  const __u8 flags = from_lo_and_flags & 0xff;
  const __u8 proto = key->proto;
  const __u16 sport = from_lo ? key->port_lo : key->port_hi;
  const __u16 dport = from_lo ? key->port_hi : key->port_lo;
  /* The payload's length as the frame has it: Ethernet padding of a short frame adds a few
   * bytes (which can only steer a segment that ends at a reply body's end). */
  const __u32 frame_len = (__u32)(end - data);
  const __u32 payload_len = frame_len > payload_off ? frame_len - (__u32)payload_off : 0;
  const int has_payload = payload_len > 0;

  /* Bypass: flows userspace has finished with. */
  struct xs_bypass *b = bpf_map_lookup_elem(&XS_MAP_BYPASS, key);
  if (b) {
    /* A client's SYN that opens a new connection on the addresses and ports of the one the
     * entry was for (a port reused, a NAT): its packets are not that one's. Removed here,
     * before its first data arrives, not when userspace gets to the SYN (at line rate, after
     * it). The rule is userspace's (see xs_bypass): a retransmitted SYN keeps the entry. */
    const int syn = proto == IPPROTO_TCP && (flags & 0x12) == 0x02;
    const __u8 ends = b->ends_seen;
    const int closing =
        (ends & (XS_END_FIN_LO | XS_END_FIN_HI)) == (XS_END_FIN_LO | XS_END_FIN_HI) ||
        (ends & XS_END_RST);
    const int new_connection =
        syn && (closing || (b->client_isn_set && tcp_seq + 1 != b->client_isn));
    /* The coarse clock (CLOCK_MONOTONIC at tick resolution, as userspace sets expires_ns):
     * an expiry of seconds needs no better, and it costs a fraction of bpf_ktime_get_ns. */
    if (new_connection || bpf_ktime_get_coarse_ns() > b->expires_ns) {
      bpf_map_delete_elem(&XS_MAP_BYPASS, key);
      count(new_connection ? XS_CNT_BYPASS_NEW_CONNECTION : XS_CNT_BYPASS_EXPIRED);
    } else if (flags & 0x07) { /* SYN/FIN/RST always go to userspace */
      if (proto == IPPROTO_TCP && (flags & 0x05)) {
        b->ends_seen = ends | ((flags & 0x04) ? XS_END_RST
                               : from_lo      ? XS_END_FIN_LO
                                              : XS_END_FIN_HI);
      }
    } else {
      const int to_server = from_lo != b->server_is_lo;
      /* A reply body: the payload ends at or before the sequence number where the next reply
       * can start (a signed difference: sequence numbers wrap). */
      const int in_body = !to_server && !b->skip_to_client && b->to_client_until_set &&
                          proto == IPPROTO_TCP &&
                          (__s32)(tcp_seq + payload_len - b->to_client_until) <= 0;
      if ((!to_server && (b->skip_to_client || in_body)) ||
          (to_server && (!has_payload || b->skip_to_server_data))) {
        count(XS_CNT_BYPASSED);
        if (in_body) count(XS_CNT_BYPASSED_BODY);
        return xs_cfg.mirror_mode ? XDP_DROP : XDP_PASS;
      }
    }
  }

  /* Of interest? */
  __u32 why = 0;
  __u32 sp = sport, dp = dport;
  __u8 want = proto == IPPROTO_TCP ? XS_PORT_TCP : XS_PORT_UDP;
  __u8 *ps = bpf_map_lookup_elem(&XS_MAP_PORTS, &sp);
  __u8 *pd = bpf_map_lookup_elem(&XS_MAP_PORTS, &dp);
  if ((ps && (*ps & want)) || (pd && (*pd & want))) {
    why = XS_CNT_STEER_PORT;
  } else if (bpf_map_lookup_elem(&XS_MAP_STEER, key)) {
    why = XS_CNT_STEER_MAP;
  } else if (xs_cfg.sniff_payload && has_payload && payload_at(data, payload_off) &&
             looks_interesting(payload_at(data, payload_off), end, want)) {
    why = XS_CNT_STEER_SNIFF;
    /* TCP: remember the flow so that the rest of it (and the other direction) is steered too.
     * UDP (SIP): every datagram starts with its request or status line. */
    if (proto == IPPROTO_TCP) {
      __u8 one = 1;
      bpf_map_update_elem(&XS_MAP_STEER, key, &one, BPF_ANY);
    }
  }
  if (!why) return other();

  __u32 q = xsk_slot(ctx);
  __u32 *shed = bpf_map_lookup_elem(&XS_MAP_SHED, &q);
  if (shed && *shed) return fail(XS_CNT_SHED);
  if (!bpf_map_lookup_elem(&XS_MAP_XSKS, &q)) return fail(XS_CNT_NO_SOCKET);
  count(why);
  count(XS_CNT_STEERED);
  return steer(ctx, q);
}

SEC("xdp")
int xsensor_xdp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct xs_flow_key key = {};
  /* (SEEN is the sum of the four actions, added up by userspace: one map access less.) */

  /* Ethernet, VLAN tags, MPLS. */
  if (data + 14 > end) return fail(XS_CNT_PARSE_ETH);
  __u16 type = bpf_ntohs(*(__u16 *)(data + 12));
  __u32 off = 14;
#pragma clang loop unroll(disable)
  for (int i = 0; i < XS_MAX_VLAN_TAGS && is_vlan(type); i++) {
    if (off > 64) return fail(XS_CNT_PARSE_VLAN_MPLS);
    __u8 *t = data + off;
    if ((void *)(t + 4) > end) return fail(XS_CNT_PARSE_VLAN_MPLS);
    key.vlan = bpf_ntohs(*(__u16 *)t) & 0x0fff;
    type = bpf_ntohs(*(__u16 *)(t + 2));
    off += 4;
  }
  if (is_vlan(type)) return fail(XS_CNT_PARSE_VLAN_MPLS);
  __u8 version = 0;
  if (type == ETH_P_MPLS_UC_ || type == ETH_P_MPLS_MC_) {
    int bottom = 0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < XS_MAX_MPLS_LABELS && !bottom; i++) {
      if (off > 128) return fail(XS_CNT_PARSE_VLAN_MPLS);
      __u8 *m = data + off;
      if ((void *)(m + 4) > end) return fail(XS_CNT_PARSE_VLAN_MPLS);
      bottom = m[2] & 1;
      off += 4;
    }
    if (!bottom || off > 160) return fail(XS_CNT_PARSE_VLAN_MPLS);
    __u8 *v = data + off;
    if ((void *)(v + 1) > end) return fail(XS_CNT_PARSE_IP);
    version = v[0] >> 4;
  } else if (type == ETH_P_IP) {
    version = 4;
  } else if (type == ETH_P_IPV6) {
    version = 6;
  } else {
    return fail(XS_CNT_NOT_IP);
  }
  if (off > 160) return fail(XS_CNT_PARSE_IP);

  /* IPv4 / IPv6 with extension headers. Addresses are read as big-endian words. */
  __u8 proto;
  __u64 src_hi = 0, src_lo = 0, dst_hi = 0, dst_lo = 0;
  if (version == 4) {
    __u8 *ip = data + off;
    if ((void *)(ip + 20) > end) return fail(XS_CNT_PARSE_IP);
    __u32 ihl = (ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20) return fail(XS_CNT_PARSE_IP);
    proto = ip[9];
    if (bpf_ntohs(*(__u16 *)(ip + 6)) & 0x3fff) return fragment(ctx, proto);
    src_hi = bpf_ntohl(*(__u32 *)(ip + 12));
    dst_hi = bpf_ntohl(*(__u32 *)(ip + 16));
    key.addr_len = 4;
    off += ihl;
  } else if (version == 6) {
    __u8 *ip = data + off;
    if ((void *)(ip + 40) > end) return fail(XS_CNT_PARSE_IP);
    if ((ip[0] >> 4) != 6) return fail(XS_CNT_PARSE_IP);
    proto = ip[6];
    src_hi = load_be64(ip + 8);
    src_lo = load_be64(ip + 16);
    dst_hi = load_be64(ip + 24);
    dst_lo = load_be64(ip + 32);
    key.addr_len = 16;
    off += 40;
#pragma clang loop unroll(disable)
    for (int i = 0; i < XS_MAX_IPV6_EXT; i++) {
      if (proto != 0 && proto != 43 && proto != 60 && proto != 44 && proto != 51) break;
      if (off > XS_MAX_OFF) return fail(XS_CNT_PARSE_IP);
      __u8 *h = data + off;
      if ((void *)(h + 8) > end) return fail(XS_CNT_PARSE_IP);
      if (proto == 44 && (bpf_ntohs(*(__u16 *)(h + 2)) & 0xfff9)) return fragment(ctx, h[0]);
      __u32 len = proto == 44 ? 8 : proto == 51 ? ((__u32)h[1] + 2) * 4 : ((__u32)h[1] + 1) * 8;
      proto = h[0];
      off += len;
    }
  } else {
    return fail(XS_CNT_PARSE_IP);
  }
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return fail(XS_CNT_NOT_TCP_UDP);
  if (off > XS_MAX_OFF) return fail(XS_CNT_PARSE_L4);

  /* Ports, TCP flags and payload. */
  __u8 *l4 = data + off;
  if ((void *)(l4 + 20) > end && (proto == IPPROTO_TCP || (void *)(l4 + 8) > end)) {
    return fail(XS_CNT_PARSE_L4);
  }
  if ((void *)(l4 + 8) > end) return fail(XS_CNT_PARSE_L4);
  __u16 sport = bpf_ntohs(*(__u16 *)l4);
  __u16 dport = bpf_ntohs(*(__u16 *)(l4 + 2));
  /* TCP's sequence number (for UDP its length and checksum, unused: read on both paths alike,
   * the verifier keeps one state for both). */
  __u32 tcp_seq = bpf_ntohl(*(__u32 *)(l4 + 4));
  __u8 flags = 0;
  __u32 payload_off = off + 8;
  if (proto == IPPROTO_TCP) {
    if ((void *)(l4 + 20) > end) return fail(XS_CNT_PARSE_L4);
    flags = l4[13];
    __u32 doff = (l4[12] >> 4) * 4;
    if (doff < 20) return fail(XS_CNT_PARSE_L4);
    payload_off = off + doff;
  }

  /* The canonical key: the (address, port) that sorts first is "lo". */
  int from_lo = xs_src_is_lo(src_hi, src_lo, dst_hi, dst_lo, sport, dport);
  __u64 lo_hi = from_lo ? src_hi : dst_hi, lo_lo = from_lo ? src_lo : dst_lo;
  __u64 hi_hi = from_lo ? dst_hi : src_hi, hi_lo = from_lo ? dst_lo : src_lo;
  if (key.addr_len == 4) {
    *(__u32 *)key.addr_lo = bpf_htonl((__u32)lo_hi);
    *(__u32 *)key.addr_hi = bpf_htonl((__u32)hi_hi);
  } else {
    *(__u32 *)key.addr_lo = bpf_htonl((__u32)(lo_hi >> 32));
    *(__u32 *)(key.addr_lo + 4) = bpf_htonl((__u32)lo_hi);
    *(__u32 *)(key.addr_lo + 8) = bpf_htonl((__u32)(lo_lo >> 32));
    *(__u32 *)(key.addr_lo + 12) = bpf_htonl((__u32)lo_lo);
    *(__u32 *)key.addr_hi = bpf_htonl((__u32)(hi_hi >> 32));
    *(__u32 *)(key.addr_hi + 4) = bpf_htonl((__u32)hi_hi);
    *(__u32 *)(key.addr_hi + 8) = bpf_htonl((__u32)(hi_lo >> 32));
    *(__u32 *)(key.addr_hi + 12) = bpf_htonl((__u32)hi_lo);
  }
  key.port_lo = from_lo ? sport : dport;
  key.port_hi = from_lo ? dport : sport;
  key.proto = proto;

  return decide(ctx, &key, ((__u32)from_lo << 8) | flags, tcp_seq, payload_off);
}
