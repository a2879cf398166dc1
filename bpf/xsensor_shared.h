/* Shared by the XDP program (xsensor.bpf.c) and userspace: every struct, enum and map name
 * that crosses the boundary. Plain C, fixed-width types, no padding (userspace static_asserts
 * the sizes). */
#ifndef XSENSOR_BPF_SHARED_H_
#define XSENSOR_BPF_SHARED_H_

#include <linux/types.h>

#define XS_MAX_QUEUES 256
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
 * so that userspace sees the flow end. */
struct xs_bypass {
  __u64 expires_ns;
  __u8 server_is_lo;        /* which side of the key is the server */
  __u8 skip_to_client;      /* server -> client packets are not steered */
  __u8 skip_to_server_data; /* client -> server packets with payload are not steered */
  __u8 pad[5];              /* (client -> server packets without payload never are) */
};

/* xs_ports values: which transports make a port interesting. */
enum xs_port_flags {
  XS_PORT_TCP = 1,
  XS_PORT_UDP = 2,
};

/* Per-CPU counters (xs_counters index). Every packet counts once in XS_CNT_SEEN and once in
 * exactly one of STEERED, BYPASSED, PASSED or DROPPED; parse failures count besides. */
enum xs_counter {
  XS_CNT_SEEN = 0,
  XS_CNT_STEERED,
  XS_CNT_BYPASSED,
  XS_CNT_PASSED,
  XS_CNT_DROPPED,
  XS_CNT_STEER_PORT,  /* steered because of a configured port */
  XS_CNT_STEER_SNIFF, /* ... because the payload looks like HTTP or TLS */
  XS_CNT_STEER_MAP,   /* ... because userspace asked for the flow */
  XS_CNT_NO_SOCKET,   /* of interest, but no AF_XDP socket on the queue */
  XS_CNT_NOT_IP,
  XS_CNT_NOT_TCP_UDP,
  XS_CNT_FRAGMENT,
  XS_CNT_PARSE_ETH,
  XS_CNT_PARSE_VLAN_MPLS,
  XS_CNT_PARSE_IP,
  XS_CNT_PARSE_L4,
  XS_CNT_STEER_FRAGMENT, /* steered: a UDP IP fragment, for reassembly in userspace */
  XS_CNT_MAX
};

/* Settings fixed at load time (rodata). */
struct xs_settings {
  __u32 mirror_mode;     /* 1: packets are copies; drop what is not steered. 0: pass them. */
  __u32 sniff_payload;   /* 1: steer payload starting like a protocol of interest (prefix map) */
  __u32 steer_fragments; /* 1: steer UDP fragments (userspace reassembles them) */
};

#endif /* XSENSOR_BPF_SHARED_H_ */
