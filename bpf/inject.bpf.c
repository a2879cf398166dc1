/* Test/benchmark traffic source: with BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on one end of
 * a veth pair, XDP_TX sends each frame to the peer, where the sensor's program receives it on
 * the rx queue of the CPU that ran the injection. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xs_inject_tx(struct xdp_md *ctx) { return XDP_TX; }
