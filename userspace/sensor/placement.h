// Where the live sensor sits on the link, and whether the capture mode fits it. The XDP
// program takes every frame it steers off the interface: on a mirror port (SPAN, TAP, a
// software mirror) that is right, since the frames are copies; on an interface that carries
// this host's traffic or a bridge's, it would take them off their path. So:
//   mirror  refused on an interface with an IP address of this host (IPv6 link-local aside) or
//           enslaved to a bridge or bond: nothing there is a copy.
//   inline  a bump in the wire: exactly one capture interface and its `inline_peer`, both ports
//           of one kernel bridge. What the sensor does not steer is passed to the bridge, which
//           forwards it; what it steers it forwards itself (AF_XDP TX on the other port); if the
//           sensor dies its XDP programs go with it and the bridge forwards everything.
// A single interface in inline mode is refused: there is no mode that returns steered frames
// to the local stack (a copy of the frame cannot be both redirected and passed in XDP).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "config/config.h"

namespace xsensor {

struct InterfaceFacts {
  std::string name;
  bool exists = false;
  std::vector<std::string> addresses;  // this host's addresses on it (no IPv6 link-local)
  std::string master;                  // the bridge or bond it is enslaved to, or ""
  std::string master_kind;             // "bridge", "bond", ... (from the master's sysfs)
};

// Reads the interface's facts from this network namespace (getifaddrs, sysfs).
InterfaceFacts ReadInterfaceFacts(const std::string& ifname);

// Whether `config`'s capture_mode fits the interfaces. `ifaces` are the capture interfaces
// (--interface / in_dev); for inline, `peer` the facts of inline_peer. The error names the
// keys and what to do instead.
absl::Status CheckPlacement(const Config& config, const std::vector<InterfaceFacts>& ifaces,
                            const InterfaceFacts& peer);

// The same, reading the interfaces' facts.
absl::Status CheckPlacement(const Config& config, const std::vector<std::string>& ifaces);

// One phrase for logs and the live page: "mirror (frames are copies: ...)" or "inline
// bridge A <-> B".
std::string CaptureModeDescription(const Config& config, const std::vector<std::string>& ifaces);

}  // namespace xsensor
