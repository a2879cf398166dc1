/* Test/benchmark traffic source: with BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on one end of
 * a veth pair, XDP_TX sends each frame to the peer, where the sensor's program receives it on
 * the rx queue of the CPU that ran the injection.
 *
 * With `copies` > 1 set before load, run k of every call (of `copies` runs) renumbers the
 * frame into copy k % copies, so that one frame repeated becomes the same packet of `copies`
 * distinct flows (a many-flow load at the rate repetition allows): IPv4 addresses below
 * 224/4 get first octet 20 + 2k + (its parity), IPv6 addresses of 2001:db8::/32 get
 * 2001:d<k>::, both absolute (live frames keep what an earlier run wrote), with the IPv4
 * header and TCP/UDP checksums updated (RFC 1624). Frames with up to two VLAN tags. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 copies = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} runs SEC(".maps");

static __always_inline __u16 csum_fold(__u32 s) {
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (__u16)s;
}

/* One 16-bit word of a checksummed area changed from `from` to `to` (both as stored). */
static __always_inline void csum_update(__u16 *csum, __u16 from, __u16 to) {
  __u32 s = (__u16)~*csum;
  s += (__u16)~from;
  s += to;
  *csum = (__u16)~csum_fold(s);
}

/* Sets byte `at` (0 or 1) of the 16-bit word *w to `v`, updating the checksums given. */
static __always_inline void set_byte(__u8 *w, int at, __u8 v, __u16 *c1, __u16 *c2) {
  __u16 from, to;
  __builtin_memcpy(&from, w, 2);
  w[at] = v;
  __builtin_memcpy(&to, w, 2);
  if (c1) csum_update(c1, from, to);
  if (c2) csum_update(c2, from, to);
}

static __always_inline void renumber(struct xdp_md *ctx, __u32 k) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __u8 *p = data;
  if ((void *)(p + 14) > end) return;
  __u16 proto;
  __builtin_memcpy(&proto, p + 12, 2);
  __u32 off = 14;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD)) break;
    if ((void *)(p + off + 4) > end) return;
    __builtin_memcpy(&proto, p + off + 2, 2);
    off += 4;
  }
  if (proto == bpf_htons(ETH_P_IP)) {
    __u8 *ip = p + off;
    if ((void *)(ip + 20) > end) return;
    __u32 ihl = (ip[0] & 0xf) * 4;
    if (ihl < 20 || ihl > 60) return;
    __u16 *l4csum = 0;
    __u16 frag;
    __builtin_memcpy(&frag, ip + 6, 2);
    if ((frag & bpf_htons(0x1fff)) == 0) {  /* not a later fragment: L4 header here */
      __u8 *l4 = ip + ihl;
      if (ip[9] == IPPROTO_TCP && (void *)(l4 + 18) <= end) l4csum = (__u16 *)(l4 + 16);
      if (ip[9] == IPPROTO_UDP && (void *)(l4 + 8) <= end && (l4[6] | l4[7]))
        l4csum = (__u16 *)(l4 + 6);
    }
    __u16 *ipcsum = (__u16 *)(ip + 10);
#pragma unroll
    for (int a = 12; a <= 16; a += 4) {
      __u8 first = ip[a];
      if (first >= 224) continue;
      set_byte(ip + a, 0, (__u8)(20 + 2 * k + (first & 1)), ipcsum, l4csum);
    }
  } else if (proto == bpf_htons(ETH_P_IPV6)) {
    __u8 *ip = p + off;
    if ((void *)(ip + 40) > end) return;
    __u16 *l4csum = 0;
    __u8 *l4 = ip + 40;
    if (ip[6] == IPPROTO_TCP && (void *)(l4 + 18) <= end) l4csum = (__u16 *)(l4 + 16);
    if (ip[6] == IPPROTO_UDP && (void *)(l4 + 8) <= end) l4csum = (__u16 *)(l4 + 6);
#pragma unroll
    for (int a = 8; a <= 24; a += 16) {
      if (ip[a] != 0x20 || ip[a + 1] != 0x01) continue;
      set_byte(ip + a + 2, 1, (__u8)k, 0, l4csum);
    }
  }
}

SEC("xdp")
int xs_inject_tx(struct xdp_md *ctx) {
  if (copies > 1) {
    __u32 zero = 0;
    __u32 *n = bpf_map_lookup_elem(&runs, &zero);
    if (n) {
      __u32 k = *n % copies;
      *n += 1;
      renumber(ctx, k);
    }
  }
  return XDP_TX;
}
