#include "sensor/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace xsensor {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat("dropping privileges: ", what, ": ", strerror(errno)));
}

int LastCap() {
  int last = CAP_LAST_CAP;
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  f >> last;
  return last;
}

absl::Status SetCapabilities(uint64_t keep) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = data[i].permitted = static_cast<uint32_t>(keep >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) != 0) return Errno("capset");
  return absl::OkStatus();
}

}  // namespace

uint64_t EffectiveCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return ~uint64_t{0};
  return uint64_t{data[0].effective} | uint64_t{data[1].effective} << 32;
}

std::vector<int> CapabilitiesNeededLater(bool bind_to_device) {
  std::vector<int> keep;
  if (bind_to_device) keep.push_back(CAP_NET_RAW);
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
  int disabled = 0;
  std::ifstream("/proc/sys/kernel/unprivileged_bpf_disabled") >> disabled;
  if (disabled && (major < 6 || (major == 6 && minor < 5))) {
    keep.push_back(major > 5 || (major == 5 && minor >= 8) ? CAP_BPF : CAP_SYS_ADMIN);
  }
  return keep;
}

absl::Status PrepareFoldersFor(const std::vector<std::string>& dirs, const std::string& user,
                               uid_t uid, gid_t gid) {
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    // The missing part of the path, top first: made, then given to the user.
    std::vector<std::filesystem::path> made;
    std::error_code ec;
    for (std::filesystem::path p = dir; !p.empty() && !std::filesystem::exists(p, ec);
         p = p.parent_path()) {
      made.insert(made.begin(), p);
      if (p == p.parent_path()) break;
    }
    for (const auto& p : made) {
      if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::PermissionDeniedError(
            absl::StrCat("user=", user, ": cannot make ", p.string(), ": ", strerror(errno)));
      }
      if (chown(p.c_str(), uid, gid) != 0) {
        return absl::PermissionDeniedError(
            absl::StrCat("user=", user, ": cannot give ", p.string(), " to it: ", strerror(errno)));
      }
    }
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("user=", user, ": ", dir, " is not a folder"));
    }
    const bool writable = (st.st_uid == uid && (st.st_mode & S_IWUSR)) ||
                          (st.st_gid == gid && (st.st_mode & S_IWGRP)) || (st.st_mode & S_IWOTH);
    if (!writable) {
      return absl::PermissionDeniedError(
          absl::StrCat("user=", user, ": cannot write in ", dir, " (owner uid ", st.st_uid,
                       ", mode ", absl::Hex(st.st_mode & 07777),
                       "); the sensor does not change a folder it did not make: "
                       "give it to ",
                       user, " (chown) or name a folder of its own"));
    }
  }
  return absl::OkStatus();
}

absl::Status DropPrivileges(const PrivilegeDrop& drop) {
  uint64_t keep = 0;
  for (int cap : drop.keep) keep |= uint64_t{1} << cap;
  uid_t uid = 0;
  gid_t gid = 0;
  if (!drop.user.empty()) {
    const passwd* pw = getpwnam(drop.user.c_str());
    if (!pw) {
      return absl::NotFoundError(absl::StrCat("user=", drop.user, ": no such user"));
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    if (auto s = PrepareFoldersFor(drop.dirs, drop.user, uid, gid); !s.ok()) return s;
  }
  // The bounding set first (it needs CAP_SETPCAP, about to go): nothing can come back, not
  // even through an executable with file capabilities.
  for (int cap = 0; cap <= LastCap(); ++cap) {
    if (keep & (uint64_t{1} << cap)) continue;
    // EPERM: started without CAP_SETPCAP (a unit's own bounding set then applies).
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) break;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Errno("clearing the ambient set");
  }
  if (!drop.user.empty()) {
    // Keep the permitted set across setuid, then trim it below.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Errno("PR_SET_KEEPCAPS");
    if (setgroups(1, &gid) != 0) return Errno("setgroups");
    if (setgid(gid) != 0) return Errno("setgid");
    if (setuid(uid) != 0) return Errno("setuid");
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Errno("PR_SET_KEEPCAPS");
  }
  if (auto s = SetCapabilities(keep); !s.ok()) return s;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("PR_SET_NO_NEW_PRIVS");
  if (EffectiveCapabilities() != keep) {
    return absl::InternalError("dropping privileges: capabilities remain after capset");
  }
  return absl::OkStatus();
}

}  // namespace xsensor
