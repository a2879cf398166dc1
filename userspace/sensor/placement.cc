#include "sensor/placement.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace xsensor {

InterfaceFacts ReadInterfaceFacts(const std::string& ifname) {
  InterfaceFacts f;
  f.name = ifname;
  f.exists = !ifname.empty() && if_nametoindex(ifname.c_str()) != 0;
  if (!f.exists) return f;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || !a->ifa_name || ifname != a->ifa_name) continue;
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;  // every up interface has one
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      } else {
        continue;
      }
      f.addresses.push_back(text);
    }
    freeifaddrs(list);
  }
  std::error_code ec;
  const std::filesystem::path master =
      std::filesystem::read_symlink("/sys/class/net/" + ifname + "/master", ec);
  if (!ec) {
    f.master = master.filename().string();
    const std::string dir = "/sys/class/net/" + f.master;
    f.master_kind = std::filesystem::exists(dir + "/bridge", ec)    ? "bridge"
                    : std::filesystem::exists(dir + "/bonding", ec) ? "bond"
                                                                    : "device";
  }
  return f;
}

absl::Status CheckPlacement(const Config& config, const std::vector<InterfaceFacts>& ifaces,
                            const InterfaceFacts& peer) {
  if (config.capture_mirror()) {
    if (!config.inline_peer.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(config.Where("inline_peer"),
                                                     ": only with capture_mode=inline (",
                                                     config.Where("capture_mode"), " is mirror)"));
    }
    for (const InterfaceFacts& f : ifaces) {
      if (!f.exists) continue;  // said by the capture set-up
      std::string carries;
      if (!f.addresses.empty()) {
        carries = absl::StrCat("has this host's address ", f.addresses.front());
      } else if (!f.master.empty()) {
        carries = absl::StrCat("is a port of ", f.master_kind, " ", f.master);
      }
      if (carries.empty()) continue;
      if (!config.mirror_port_check) {
        XS_LOG_WARN("interface ", f.name, " ", carries, ": taken as a mirror port all the same (",
                    config.Where("mirror_port_check"),
                    "=0): the frames it steers are consumed and the rest dropped");
        continue;
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "interface ", f.name, " ", carries,
          ": it carries live traffic, and capture_mode=mirror (",
          config.where.count("capture_mode") ? config.Where("capture_mode") : "the default",
          ") would take the frames it steers off it and drop the rest. Capture on a SPAN/TAP/"
          "mirror port instead, mirror this interface onto one (attach-nic.sh ",
          f.name,
          " --host), or put the sensor in the path between two ports: "
          "capture_mode=inline with inline_peer=IF (attach-nic.sh ",
          f.name,
          " --inline-peer IF). A test rig whose capture port has an address: "
          "mirror_port_check=0"));
    }
    return absl::OkStatus();
  }
  // Inline: a bridge of two ports.
  if (config.inline_peer.empty() || ifaces.size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        config.Where("capture_mode"),
        ": inline mode sits between two ports and forwards every frame from one to the other; ",
        ifaces.size() == 1 ? absl::StrCat("it needs inline_peer=IF, the port facing ",
                                          ifaces.front().name, "'s other side")
                           : "give one capture interface and its inline_peer",
        ". On one interface use capture_mode=mirror on a SPAN/TAP/mirror port (attach-nic.sh "
        "IF --host mirrors a host's own interface onto one)"));
  }
  const InterfaceFacts& a = ifaces.front();
  if (!peer.exists) {
    return absl::NotFoundError(
        absl::StrCat(config.Where("inline_peer"), ": no network interface '", peer.name, "'"));
  }
  if (peer.name == a.name) {
    return absl::InvalidArgumentError(absl::StrCat(
        config.Where("inline_peer"), ": the peer must be another interface than ", a.name));
  }
  if (a.master.empty() || a.master != peer.master || a.master_kind != "bridge") {
    return absl::FailedPreconditionError(absl::StrCat(
        "inline mode needs ", a.name, " and ", peer.name,
        " in one kernel bridge: it forwards what the sensor does not steer, and everything "
        "if the sensor stops (fail-open). ",
        a.name, ": ", a.master.empty() ? "no bridge" : absl::StrCat(a.master_kind, " ", a.master),
        ", ", peer.name, ": ",
        peer.master.empty() ? "no bridge" : absl::StrCat(peer.master_kind, " ", peer.master),
        ". attach-nic.sh ", a.name, " --inline-peer ", peer.name, " sets it up"));
  }
  return absl::OkStatus();
}

absl::Status CheckPlacement(const Config& config, const std::vector<std::string>& ifaces) {
  std::vector<InterfaceFacts> facts;
  for (const std::string& i : ifaces) facts.push_back(ReadInterfaceFacts(i));
  return CheckPlacement(config, facts, ReadInterfaceFacts(config.inline_peer));
}

std::string CaptureModeDescription(const Config& config, const std::vector<std::string>& ifaces) {
  if (config.capture_mirror()) {
    return absl::StrCat("mirror mode on ", absl::StrJoin(ifaces, ","),
                        " (frames are copies: what is not steered is dropped)");
  }
  return absl::StrCat("inline mode, bridging ", ifaces.empty() ? "" : ifaces.front(), " <-> ",
                      config.inline_peer, " (every frame forwarded)");
}

}  // namespace xsensor
