/* Shared by the XDP program (xsensor.bpf.c) and userspace: every struct, enum and map name
 * that crosses the boundary. Plain C, fixed-width types, no padding (userspace static_asserts
 * the sizes). */
#ifndef XSENSOR_BPF_SHARED_H_
#define XSENSOR_BPF_SHARED_H_

#include <linux/types.h>

#define XS_MAX_QUEUES 256 /* AF_XDP sockets, over all interfaces */
#define XS_MAX_INTERFACES 64
#define XS_MAX_VLAN_TAGS 3
#define XS_MAX_MPLS_LABELS 8
#define XS_MAX_IPV6_EXT 8

/* Map names, as the skeleton and userspace see them. */
#define XS_MAP_XSKS xs_xsks
#define XS_MAP_PORTS xs_ports
#define XS_MAP_BYPASS xs_bypass
#define XS_MAP_STEER xs_steer
#define XS_MAP_COUNTERS xs_counters
#define XS_MAP_PREFIXES xs_prefixes
#define XS_MAP_IFSLOTS xs_ifslots
#define XS_MAP_SHED xs_shed

/* The canonical flow key: both directions give the same key. The "lo" side is the one whose
 * (address, port) sorts first; vlan is the innermost VLAN id (0 without tags). */
struct xs_flow_key {
  __u8 addr_lo[16];
  __u8 addr_hi[16];
  __u16 port_lo;
  __u16 port_hi;
  __u16 vlan;
  __u8 proto;
  __u8 addr_len; /* 4 or 16 */
};

/* A flow whose metadata is complete: XDP stops steering the parts userspace does not need
 * until expires_ns (bpf_ktime_get_ns clock). Packets with SYN, FIN or RST are always steered
 * so that userspace sees the flow end.
 * A client's SYN (SYN without ACK) on the entry's addresses and ports starts a new connection,
 * and removes the entry, by the rule userspace applies to its flow (Worker::HandleDecoded):
 * when the connection was closing (FIN both ways, or RST), or when its sequence number is not
 * the one the client's stream started with. A retransmitted SYN (the same number) keeps it. */
struct xs_bypass {
  __u64 expires_ns;
  __u8 server_is_lo;        /* which side of the key is the server */
  __u8 skip_to_client;      /* server -> client packets are not steered */
  __u8 skip_to_server_data; /* client -> server packets with payload are not steered */
                            /* (client -> server packets without payload never are) */
  __u8 to_client_until_set; /* server -> client packets whose payload ends at or before */
  __u32 to_client_until;    /* this sequence number are not steered (a reply body) */
  __u32 client_isn;         /* the client's stream starts at this number (its SYN's + 1) */
  __u8 client_isn_set;      /* client_isn is known (userspace saw that stream start) */
  __u8 ends_seen;           /* written by the program: XS_END_* of the packets it saw */
  __u8 pad[2];
};

enum xs_end_flags {
  XS_END_FIN_LO = 1, /* FIN from the key's lo side */
  XS_END_FIN_HI = 2,
  XS_END_RST = 4,
};

/* xs_ports values: which transports make a port interesting. */
enum xs_port_flags {
  XS_PORT_TCP = 1,
  XS_PORT_UDP = 2,
};

/* Per-CPU counters (xs_counters index), with the names userspace reports them by. Every
 * packet counts once in exactly one of STEERED, BYPASSED, PASSED or DROPPED (SEEN, their sum,
 * is added up by userspace: the program spares a map access per packet);
 * parse failures count besides.
 *   STEER_PORT     steered because of a configured port
 *   STEER_SNIFF    ... because the payload starts like a protocol of interest
 *   STEER_MAP      ... because the flow is in the steer map
 *   NO_SOCKET      of interest, but no AF_XDP socket on the queue
 *   STEER_FRAGMENT steered: a UDP IP fragment, for reassembly in userspace
 *   BYPASSED_BODY  ... of BYPASSED: inside a reply body userspace skips
 *   BYPASS_EXPIRED / BYPASS_NEW_CONNECTION  bypass entries removed by the program: past their
 *                  expiry, or by a client's SYN on their addresses and ports
 *   SHED           of interest, but passed uninspected (inline): the socket's worker is behind,
 *                  and the sensor skips inspection rather than drop traffic */
#define XS_XDP_COUNTERS(X)                          \
  X(SEEN, "seen")                                   \
  X(STEERED, "steered")                             \
  X(BYPASSED, "bypassed")                           \
  X(PASSED, "passed")                               \
  X(DROPPED, "dropped")                             \
  X(STEER_PORT, "steer_port")                       \
  X(STEER_SNIFF, "steer_sniff")                     \
  X(STEER_MAP, "steer_map")                         \
  X(NO_SOCKET, "no_socket")                         \
  X(NOT_IP, "not_ip")                               \
  X(NOT_TCP_UDP, "not_tcp_udp")                     \
  X(FRAGMENT, "fragment")                           \
  X(PARSE_ETH, "parse_eth")                         \
  X(PARSE_VLAN_MPLS, "parse_vlan_mpls")             \
  X(PARSE_IP, "parse_ip")                           \
  X(PARSE_L4, "parse_l4")                           \
  X(STEER_FRAGMENT, "steer_fragment")               \
  X(BYPASSED_BODY, "bypassed_body")                 \
  X(BYPASS_EXPIRED, "bypass_expired")               \
  X(BYPASS_NEW_CONNECTION, "bypass_new_connection") \
  X(SHED, "shed")

#define XS_XDP_COUNTER_ENUM_(id, name) XS_CNT_##id,
enum xs_counter { XS_XDP_COUNTERS(XS_XDP_COUNTER_ENUM_) XS_CNT_MAX };
#undef XS_XDP_COUNTER_ENUM_

/* The canonical order of a flow's two ends, for XDP and userspace alike: an address is read as
 * two big-endian words (IPv4: its 32 bits in `hi`, `lo` 0); the (address, port) that sorts
 * first is "lo". Returns 1 when the source is the lo side. */
static inline __attribute__((always_inline)) int xs_src_is_lo(__u64 src_hi, __u64 src_lo,
                                                              __u64 dst_hi, __u64 dst_lo,
                                                              __u16 sport, __u16 dport) {
  if (src_hi != dst_hi) return src_hi < dst_hi;
  if (src_lo != dst_lo) return src_lo < dst_lo;
  return sport <= dport;
}

/* Settings fixed at load time (rodata). */
struct xs_settings {
  __u32 mirror_mode;     /* 1: packets are copies; drop what is not steered. 0: pass them. */
  __u32 sniff_payload;   /* 1: steer payload starting like a protocol of interest (prefix map) */
  __u32 steer_fragments; /* 1: steer UDP fragments (userspace reassembles them) */
  __u32 stamp_time;      /* 1: steered frames start with 8 bytes: bpf_ktime_get_ns() when seen */
};

#endif /* XSENSOR_BPF_SHARED_H_ */
