// xsensor-inject: sends a capture's frames into a veth pair fast, with BPF_PROG_RUN in live
// frames mode (BPF_F_TEST_XDP_LIVE_FRAMES): a program returning XDP_TX runs on the given end,
// and each frame leaves towards the peer, which receives it on the rx queue of the CPU that
// ran the injection. So --cpu chooses the queue, and --client_cpu/--server_cpu send the two
// directions of every flow on different queues. Run it in the namespace of the sending end.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "capture/pcap_source.h"
#include "common/time_util.h"
#include "flow/flow_table.h"
#include "packet/packet.h"
#include "xs_inject_bpf.skel.h"

ABSL_FLAG(std::string, dev, "", "The sending end of the veth pair");
ABSL_FLAG(std::vector<std::string>, pcap, {},
          "Frames to send: captures, comma-separated "
          "(Ethernet link type; others are skipped)");
ABSL_FLAG(int, cpu, -1, "Run on this CPU (selects the peer's rx queue)");
ABSL_FLAG(int, client_cpu, -1, "Frames sent by clients (to the lower port) run on this CPU");
ABSL_FLAG(int, server_cpu, -1, "Frames sent by servers (from the lower port) run on this CPU");
ABSL_FLAG(int, repeat, 1, "Send every frame this many times in a row (one syscall)");
ABSL_FLAG(int, loops, 1, "Send the whole capture this many times");
ABSL_FLAG(int, gap_us, 0, "Pause between frames (microseconds)");
ABSL_FLAG(int, batch, 0, "Live-frames batch size (0: the kernel's default)");
ABSL_FLAG(double, rate, 0, "Send at most this many frames per second (0: as fast as possible)");
ABSL_FLAG(int, copies, 0,
          "Renumber: the repeats of each frame become this many copies of its flow, each on its "
          "own addresses (sets --repeat to the same number); 0: no renumbering");
ABSL_FLAG(std::string, hold_dev, "lo",
          "Interface (of the namespace) the program stays attached to while sending; each "
          "injector running at the same time needs its own");
ABSL_FLAG(int64_t, offset, 0, "Start at this frame of the (sharded) list");
ABSL_FLAG(int64_t, count, 0, "Send this many frames (each repeated), wrapping around; 0: --loops");
ABSL_FLAG(std::string, shard, "",
          "K/N: send only the frames of flows whose symmetric hash is K modulo N (several "
          "injectors on several CPUs then feed several queues, a flow on one)");

namespace {
void Pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}
}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace xsensor;
  std::string dev = absl::GetFlag(FLAGS_dev);
  int ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
  if (ifindex == 0) {
    fprintf(stderr, "xsensor-inject: no interface '%s'\n", dev.c_str());
    return 2;
  }
  struct Frame {
    std::string bytes;
    bool from_client;
  };
  uint64_t shard_k = 0, shard_n = 1;
  if (std::string sh = absl::GetFlag(FLAGS_shard); !sh.empty()) {
    std::vector<std::string> kn = absl::StrSplit(sh, '/');
    if (kn.size() != 2 || !absl::SimpleAtoi(kn[0], &shard_k) ||
        !absl::SimpleAtoi(kn[1], &shard_n) || shard_n == 0 || shard_k >= shard_n) {
      fprintf(stderr, "xsensor-inject: --shard wants K/N with K < N\n");
      return 2;
    }
  }
  std::vector<Frame> frames;
  for (const std::string& path : absl::GetFlag(FLAGS_pcap)) {
    auto r = ReadPcapFile(path, [&](LinkType link, const uint8_t* d, size_t caplen, size_t,
                                    int64_t) {
      if (link != LinkType::kEthernet) return;
      PacketView p;
      DecodeResult dr = DecodePacket(link, d, caplen, caplen, &p);
      if (shard_n > 1) {
        bool fwd;
        uint64_t h = dr == DecodeCounters::kOk ? FlowHash(MakeFlowKey(p, &fwd)) : 0;
        if (h % shard_n != shard_k) return;
      }
      frames.push_back({std::string(reinterpret_cast<const char*>(d), caplen), p.dport < p.sport});
    });
    if (!r.ok()) {
      fprintf(stderr, "xsensor-inject: %s\n", std::string(r.status().message()).c_str());
      return 2;
    }
  }
  int copies = absl::GetFlag(FLAGS_copies);
  xs_inject_bpf* skel = xs_inject_bpf__open();
  if (skel) {
    skel->rodata->copies = static_cast<uint32_t>(copies > 1 ? copies : 0);
    if (xs_inject_bpf__load(skel) != 0) {
      xs_inject_bpf__destroy(skel);
      skel = nullptr;
    }
  }
  if (!skel) {
    fprintf(stderr, "xsensor-inject: cannot load the XDP_TX program: %s\n", strerror(errno));
    return 2;
  }
  // Captures taken after GRO hold frames larger than any wire MTU; live frames must fit a page.
  constexpr size_t kMaxLiveFrame = 3500;
  size_t oversized = 0;
  std::vector<Frame> fit;
  for (auto& f : frames) {
    if (f.bytes.size() > kMaxLiveFrame) {
      ++oversized;
    } else {
      fit.push_back(std::move(f));
    }
  }
  frames.swap(fit);
  int prog = bpf_program__fd(skel->progs.xs_inject_tx);
  // The same program attached (generic mode) to this namespace's loopback for the duration:
  // a live-frames run of a program that is not attached anywhere makes the kernel rebuild
  // its XDP dispatcher twice per call (milliseconds each). The loopback of the traffic
  // namespace carries nothing, so XDP_TX there is harmless.
  int lo = static_cast<int>(if_nametoindex(absl::GetFlag(FLAGS_hold_dev).c_str()));
  LIBBPF_OPTS(bpf_link_create_opts, lopts);
  lopts.flags = XDP_FLAGS_SKB_MODE;
  int lo_link =
      lo ? bpf_link_create(bpf_program__fd(skel->progs.xs_inject_tx), lo, BPF_XDP, &lopts) : -1;
  int repeat = copies > 1 ? copies : absl::GetFlag(FLAGS_repeat);
  int ccpu = absl::GetFlag(FLAGS_client_cpu), scpu = absl::GetFlag(FLAGS_server_cpu);
  Pin(absl::GetFlag(FLAGS_cpu));
  int pinned = -2;
  uint64_t sent = 0, failed = 0;
  double rate = absl::GetFlag(FLAGS_rate);
  int64_t start = MonotonicMicros();
  // The frames to send, in order: --count from --offset (wrapping), else --loops passes.
  std::vector<const Frame*> order;
  if (absl::GetFlag(FLAGS_count) > 0 && !frames.empty()) {
    int64_t first = absl::GetFlag(FLAGS_offset);
    for (int64_t i = 0; i < absl::GetFlag(FLAGS_count); ++i) {
      order.push_back(
          &frames[static_cast<size_t>((first + i) % static_cast<int64_t>(frames.size()))]);
    }
  } else {
    for (int loop = 0; loop < absl::GetFlag(FLAGS_loops); ++loop) {
      for (const Frame& f : frames) order.push_back(&f);
    }
  }
  {
    for (const Frame* fp : order) {
      const Frame& f = *fp;
      if (ccpu >= 0 || scpu >= 0) {
        int want = f.from_client ? ccpu : scpu;
        if (want != pinned) {
          Pin(want);
          pinned = want;
        }
      }
      xdp_md ctx = {};
      ctx.data_end = static_cast<uint32_t>(f.bytes.size());
      ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
      LIBBPF_OPTS(bpf_test_run_opts, opts);
      opts.data_in = f.bytes.data();
      opts.data_size_in = static_cast<uint32_t>(f.bytes.size());
      opts.ctx_in = &ctx;
      opts.ctx_size_in = sizeof(ctx);
      opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
      opts.repeat = static_cast<uint32_t>(repeat);
      opts.batch_size = static_cast<uint32_t>(absl::GetFlag(FLAGS_batch));
      if (bpf_prog_test_run_opts(prog, &opts) == 0) {
        sent += static_cast<uint64_t>(repeat);
      } else {
        if (failed++ == 0) {
          fprintf(stderr, "xsensor-inject: frame of %zu bytes: %s\n", f.bytes.size(),
                  strerror(errno));
        }
      }
      if (rate > 0) {
        // Pace: never ahead of the schedule by more than a millisecond.
        int64_t due = start + static_cast<int64_t>(static_cast<double>(sent) * 1e6 / rate);
        int64_t ahead = due - MonotonicMicros();
        if (ahead > 1000) {
          timespec ts{0, ahead * 1000L};
          nanosleep(&ts, nullptr);
        }
      }
      if (absl::GetFlag(FLAGS_gap_us) > 0) {
        timespec ts{0, absl::GetFlag(FLAGS_gap_us) * 1000L};
        nanosleep(&ts, nullptr);
      }
    }
  }
  double secs = static_cast<double>(MonotonicMicros() - start) / 1e6;
  printf(
      "sent %llu frames in %.3f s (%.0f frames/s), %llu failed calls, %zu frames over %zu "
      "bytes skipped\n",
      static_cast<unsigned long long>(sent), secs, secs > 0 ? sent / secs : 0.0,
      static_cast<unsigned long long>(failed), oversized, kMaxLiveFrame);
  if (lo_link >= 0) close(lo_link);
  xs_inject_bpf__destroy(skel);
  return failed ? 1 : 0;
}
