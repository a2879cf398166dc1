// Owns the XDP program (embedded with its bpftool skeleton): load with settings in rodata,
// attach to interfaces through bpf_links (so it is detached when the links close, also when
// the process is killed), register AF_XDP sockets, fill the port map, write bypass entries and
// read the per-CPU counters. The libxdp dispatcher is not used (it needs freplace, which this
// class of kernel refuses): one program per interface, attached directly.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "xsensor_shared.h"

struct xsensor_bpf;

namespace xsensor {

enum class XdpMode { kAuto, kNative, kSkb };
const char* XdpModeName(XdpMode m);

struct XdpProgramOptions {
  bool mirror_mode = false;
  bool sniff_payload = true;
  bool steer_fragments = true;
  // Steered frames start with 8 bytes: the CLOCK_MONOTONIC nanoseconds when XDP saw them.
  bool stamp_time = false;
  std::vector<uint16_t> tcp_ports;
  std::vector<uint16_t> udp_ports;
  // With sniff_payload: payload starts (their first four bytes) steered on any port.
  std::vector<std::string> tcp_starts;
  std::vector<std::string> udp_starts;
};

// libbpf's and libxdp's own messages ("libbpf: ...", "libxdp: ...") go through the sensor's
// logger, with its levels and format (journal priorities included): their warnings as
// warnings, their information as information, their debug lines under --verbose only.
// Idempotent; XdpProgram::Load calls it.
void RouteBpfLibraryLogs();

class XdpProgram {
 public:
  static absl::StatusOr<std::unique_ptr<XdpProgram>> Load(const XdpProgramOptions& options);
  ~XdpProgram();
  XdpProgram(const XdpProgram&) = delete;
  XdpProgram& operator=(const XdpProgram&) = delete;

  // Attaches to `ifname`; kAuto tries native mode, then generic (skb). Returns the mode used.
  absl::StatusOr<XdpMode> Attach(const std::string& ifname, XdpMode mode);
  // Detaches from every interface (closes the links): traffic takes the kernel's path again.
  // Before the AF_XDP sockets close (the program must not redirect into a closing socket) and
  // before a shutdown drains them.
  void Detach() { links_.clear(); }
  // Interface `ifindex`'s queues take the socket-map slots from `base` on (0 for the first
  // interface, then after the previous one's queues). Before the program is attached to it.
  absl::Status RegisterInterface(uint32_t ifindex, uint32_t base);
  // The AF_XDP socket of socket-map slot `slot` (base + queue).
  absl::Status RegisterSocket(uint32_t slot, int xsk_fd);
  // Inline mode: while set, what slot `slot`'s socket would receive is passed uninspected.
  absl::Status SetShed(uint32_t slot, bool shed);
  absl::Status SetBypass(const xs_flow_key& key, const xs_bypass& value);
  // Removes the flow's bypass entry (NotFound when it has none).
  absl::Status ClearBypass(const xs_flow_key& key);
  // Counters summed over CPUs, indexed by xs_counter.
  std::array<uint64_t, XS_CNT_MAX> Counters() const;
  static const char* CounterName(int idx);
  // The program, for BPF_PROG_RUN (tests).
  int program_fd() const;

 private:
  XdpProgram() = default;
  xsensor_bpf* skel_ = nullptr;
  std::vector<UniqueFd> links_;
};

}  // namespace xsensor
