#include "capture/xdp_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "xsensor_bpf.skel.h"

namespace xsensor {

static_assert(sizeof(xs_flow_key) == 40, "xs_flow_key has no padding");
static_assert(sizeof(xs_bypass) == 24, "xs_bypass has no padding");

namespace {

void LogLibraryLine(LogLevel level, const char* format, va_list args) {
  if (level < GetLogLevel()) return;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  if (n <= 0) return;
  absl::string_view line(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1));
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (!line.empty()) LogLine(level, line);
}

// libbpf's and libxdp's print callbacks: the same three levels under their own enum names.
template <typename Level, Level kWarn, Level kInfo>
int PrintThroughLogger(Level level, const char* format, va_list args) {
  LogLibraryLine(level == kWarn   ? LogLevel::kWarning
                 : level == kInfo ? LogLevel::kInfo
                                  : LogLevel::kDebug,
                 format, args);
  return 0;
}

}  // namespace

void RouteBpfLibraryLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    libbpf_set_print(PrintThroughLogger<libbpf_print_level, LIBBPF_WARN, LIBBPF_INFO>);
    libxdp_set_print(PrintThroughLogger<libxdp_print_level, LIBXDP_WARN, LIBXDP_INFO>);
  });
}

const char* XdpModeName(XdpMode m) {
  switch (m) {
    case XdpMode::kNative:
      return "native";
    case XdpMode::kSkb:
      return "skb";
    default:
      return "auto";
  }
}

const char* XdpProgram::CounterName(int idx) {
#define XS_COUNTER_NAME_(id, name) name,
  static const char* names[XS_CNT_MAX] = {XS_XDP_COUNTERS(XS_COUNTER_NAME_)};
#undef XS_COUNTER_NAME_
  return idx >= 0 && idx < XS_CNT_MAX ? names[idx] : "?";
}

absl::StatusOr<std::unique_ptr<XdpProgram>> XdpProgram::Load(const XdpProgramOptions& o) {
  RouteBpfLibraryLogs();
  std::unique_ptr<XdpProgram> p(new XdpProgram());
  p->skel_ = xsensor_bpf__open();
  if (!p->skel_) return absl::InternalError(absl::StrCat("BPF open: ", strerror(errno)));
  p->skel_->rodata->xs_cfg.mirror_mode = o.mirror_mode ? 1 : 0;
  p->skel_->rodata->xs_cfg.sniff_payload = o.sniff_payload ? 1 : 0;
  p->skel_->rodata->xs_cfg.steer_fragments = o.steer_fragments ? 1 : 0;
  p->skel_->rodata->xs_cfg.stamp_time = o.stamp_time ? 1 : 0;
  if (int err = xsensor_bpf__load(p->skel_); err != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("loading the XDP program: ", strerror(-err),
                     " (needs root or CAP_BPF+CAP_NET_ADMIN and a BPF-enabled kernel)"));
  }
  int ports_fd = bpf_map__fd(p->skel_->maps.xs_ports);
  auto set_ports = [&](const std::vector<uint16_t>& ports, uint8_t flag) -> absl::Status {
    for (uint16_t port : ports) {
      uint32_t k = port;
      uint8_t v = 0;
      bpf_map_lookup_elem(ports_fd, &k, &v);
      v |= flag;
      if (bpf_map_update_elem(ports_fd, &k, &v, BPF_ANY) != 0) {
        return absl::InternalError(absl::StrCat("port map: ", strerror(errno)));
      }
    }
    return absl::OkStatus();
  };
  if (auto s = set_ports(o.tcp_ports, XS_PORT_TCP); !s.ok()) return s;
  if (auto s = set_ports(o.udp_ports, XS_PORT_UDP); !s.ok()) return s;
  // Payload starts the sniffer steers on any port (the first four bytes), by transport.
  std::map<uint32_t, uint8_t> starts;
  for (const auto& [list, flag] : {std::pair{&o.tcp_starts, uint8_t{XS_PORT_TCP}},
                                   std::pair{&o.udp_starts, uint8_t{XS_PORT_UDP}}}) {
    for (const auto& start : *list) {
      if (start.size() < 4) {
        return absl::InvalidArgumentError(
            absl::StrCat("payload start '", start, "' is shorter than 4 bytes"));
      }
      const auto* b = reinterpret_cast<const uint8_t*>(start.data());
      starts[(uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]] |=
          flag;
    }
  }
  int prefixes_fd = bpf_map__fd(p->skel_->maps.xs_prefixes);
  for (auto [k, v] : starts) {
    if (bpf_map_update_elem(prefixes_fd, &k, &v, BPF_ANY) != 0) {
      return absl::InternalError(absl::StrCat("prefix map: ", strerror(errno)));
    }
  }
  return p;
}

int XdpProgram::program_fd() const { return bpf_program__fd(skel_->progs.xsensor_xdp); }

XdpProgram::~XdpProgram() {
  links_.clear();  // detach first
  if (skel_) xsensor_bpf__destroy(skel_);
}

absl::StatusOr<XdpMode> XdpProgram::Attach(const std::string& ifname, XdpMode mode) {
  int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) return absl::NotFoundError(absl::StrCat("interface ", ifname, " not found"));
  int prog_fd = bpf_program__fd(skel_->progs.xsensor_xdp);
  std::string errors;
  for (XdpMode m : {XdpMode::kNative, XdpMode::kSkb}) {
    if (mode != XdpMode::kAuto && mode != m) continue;
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.flags = m == XdpMode::kNative ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
    if (fd >= 0) {
      links_.emplace_back(fd);
      return m;
    }
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", XdpModeName(m), ": ", strerror(errno));
  }
  return absl::FailedPreconditionError(absl::StrCat("attaching XDP to ", ifname, " failed (",
                                                    errors, "); is another XDP program attached?"));
}

absl::Status XdpProgram::RegisterInterface(uint32_t ifindex, uint32_t base) {
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xs_ifslots), &ifindex, &base, BPF_ANY) != 0) {
    return absl::InternalError(absl::StrCat("interface slots map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status XdpProgram::RegisterSocket(uint32_t slot, int xsk_fd) {
  if (slot >= XS_MAX_QUEUES) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", XS_MAX_QUEUES, " queues over all capture interfaces"));
  }
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xs_xsks), &slot, &xsk_fd, BPF_ANY) != 0) {
    return absl::InternalError(absl::StrCat("xsks map, slot ", slot, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status XdpProgram::SetShed(uint32_t slot, bool shed) {
  const uint32_t v = shed ? 1 : 0;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xs_shed), &slot, &v, BPF_ANY) != 0) {
    return absl::InternalError(absl::StrCat("shed map, slot ", slot, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status XdpProgram::SetBypass(const xs_flow_key& key, const xs_bypass& value) {
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xs_bypass), &key, &value, BPF_ANY) != 0) {
    return absl::InternalError(absl::StrCat("bypass map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status XdpProgram::ClearBypass(const xs_flow_key& key) {
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.xs_bypass), &key) != 0) {
    return errno == ENOENT ? absl::NotFoundError("no bypass entry")
                           : absl::InternalError(absl::StrCat("bypass map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

std::array<uint64_t, XS_CNT_MAX> XdpProgram::Counters() const {
  std::array<uint64_t, XS_CNT_MAX> out{};
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  int fd = bpf_map__fd(skel_->maps.xs_counters);
  for (uint32_t i = 0; i < XS_CNT_MAX; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) continue;
    for (uint64_t v : per_cpu) out[i] += v;
  }
  // Every packet counts once in exactly one action; the program does not count SEEN itself.
  out[XS_CNT_SEEN] =
      out[XS_CNT_STEERED] + out[XS_CNT_BYPASSED] + out[XS_CNT_PASSED] + out[XS_CNT_DROPPED];
  return out;
}

}  // namespace xsensor
