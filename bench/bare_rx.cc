// The baselines of the live benchmark: the same XDP program, the same steering and the same
// AF_XDP sockets (one per queue, a thread each, same batch size), but the frames are only
// counted, not parsed; with --drop, the XDP_DROP ceiling: the same program parses every frame
// and drops it (mirror mode, nothing steered, no socket). Writes the same counter names as
// xsensor (queue.*.received, xsk drops, xdp.*) to --counters_out on SIGUSR1 and at exit.
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "capture/af_xdp.h"
#include "capture/xdp_program.h"
#include "config/config.h"
#include "sensor/live.h"

ABSL_FLAG(std::string, interface, "", "Interface to receive on");
ABSL_FLAG(std::string, counters_out, "", "Counter snapshots (SIGUSR1, exit)");
ABSL_FLAG(bool, drop, false, "Drop every frame in XDP (after parsing it): no socket");

namespace {
std::atomic<bool> g_stop{false}, g_dump{false};
}

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace xsensor;
  std::string ifname = absl::GetFlag(FLAGS_interface);
  Config config = DefaultConfig();
  // The sensor's own steering (the parsers' ports and payload starts), so the loop receives
  // exactly the frames xsensor would.
  XdpProgramOptions po = XdpOptionsFor(config);
  const bool drop = absl::GetFlag(FLAGS_drop);
  if (drop) {
    po = XdpProgramOptions{};
    po.mirror_mode = true;  // what is not steered is dropped; nothing is
    po.sniff_payload = false;
    po.steer_fragments = false;
  }
  auto prog = XdpProgram::Load(po);
  if (!prog.ok()) {
    std::cerr << prog.status() << "\n";
    return 2;
  }
  auto mode = (*prog)->Attach(ifname, XdpMode::kAuto);
  if (!mode.ok()) {
    std::cerr << mode.status() << "\n";
    return 2;
  }
  uint32_t nq = drop ? 0 : InterfaceRxQueues(ifname);
  std::vector<std::unique_ptr<XskSocket>> socks;
  for (uint32_t q = 0; q < nq; ++q) {
    XskOptions xo;
    xo.skb_mode = *mode == XdpMode::kSkb;
    auto s = XskSocket::Create(ifname, q, xo);
    if (!s.ok()) {
      std::cerr << s.status() << "\n";
      return 2;
    }
    (void)(*prog)->RegisterSocket(q, (*s)->fd());
    socks.push_back(std::move(*s));
  }
  std::vector<std::atomic<uint64_t>> received(nq);
  std::vector<std::thread> threads;
  for (uint32_t q = 0; q < nq; ++q) {
    threads.emplace_back([&, q] {
      uint64_t bytes = 0;
      while (!g_stop.load(std::memory_order_relaxed)) {
        uint32_t n = socks[q]->Receive(64, [&](absl::string_view f) { bytes += f[0] + f.size(); });
        if (n) {
          received[q].fetch_add(n, std::memory_order_relaxed);
        } else {
          socks[q]->Wait(2);
        }
      }
      if (bytes == 1) std::cerr << "";  // keep the frame reads
    });
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGUSR1, [](int) { g_dump = true; });
  std::cerr << "bare receiver on " << ifname << " (" << (drop ? "XDP_DROP" : "")
            << (drop ? "" : absl::StrCat(nq, " queues")) << ")\n";
  auto dump = [&] {
    std::string out;
    for (uint32_t q = 0; q < nq; ++q) {
      std::string id = absl::StrCat("queue.", ifname, ".", q, ".");
      XskStats st = socks[q]->Stats();
      absl::StrAppend(&out, id, "received ", received[q].load(), "\n", id, "xsk_rx_dropped ",
                      st.rx_dropped, "\n", id, "xsk_rx_ring_full ", st.rx_ring_full, "\n");
    }
    auto xdp = (*prog)->Counters();
    for (int i = 0; i < XS_CNT_MAX; ++i) {
      absl::StrAppend(&out, "xdp.", XdpProgram::CounterName(i), " ", xdp[i], "\n");
    }
    std::string path = absl::GetFlag(FLAGS_counters_out);
    std::ofstream(path + ".tmp") << out;
    std::rename((path + ".tmp").c_str(), path.c_str());
  };
  while (!g_stop) {
    if (g_dump.exchange(false)) dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& t : threads) t.join();
  dump();
  return 0;
}
