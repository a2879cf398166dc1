// Least privilege for the live sensor: once the XDP program is attached and the AF_XDP
// sockets, the metrics listener and the export sockets are set up, nothing it does later needs
// a capability (bypass entries and counters go through map descriptors it already holds; the
// program is detached by closing its link), so every capability is dropped, from the bounding
// set too, with no_new_privs; optionally the process becomes `user` first.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace xsensor {

struct PrivilegeDrop {
  std::string user;               // empty: stay uid 0 (without capabilities)
  std::vector<std::string> dirs;  // folders written as `user` (PrepareFoldersFor)
  std::vector<int> keep;          // capabilities still needed (CAP_NET_RAW for ipfix_dev)
};

// The capabilities that the sensor's later work needs on this kernel: CAP_NET_RAW when export
// sockets are bound to a device (a reconnect binds again); CAP_BPF (or CAP_SYS_ADMIN before
// Linux 5.8) on kernels before 6.5 that refuse every bpf() command, map updates included, to
// a process without it while kernel.unprivileged_bpf_disabled is set.
std::vector<int> CapabilitiesNeededLater(bool bind_to_device);

// The folders the sensor writes in as `user` (uid, gid): one that is missing is made and given
// to the user; one that exists is left as it is (it may be /tmp, or a folder others use) and
// must be writable by the user already, else the error says so and what to do.
absl::Status PrepareFoldersFor(const std::vector<std::string>& dirs, const std::string& user,
                               uid_t uid, gid_t gid);

// Drops; an error says which step failed (the process may then hold more than asked).
absl::Status DropPrivileges(const PrivilegeDrop& drop);

// The effective capability set of this process (bit n = capability n), for logs and tests.
uint64_t EffectiveCapabilities();

}  // namespace xsensor
