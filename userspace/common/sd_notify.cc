#include "common/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "common/unique_fd.h"

namespace xsensor {

bool SdNotify(absl::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return false;
  const size_t len = std::strlen(path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  const socklen_t addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  return ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&addr),
                  addr_len) == static_cast<ssize_t>(state.size());
}

int64_t SdWatchdogMicros() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  int64_t v = 0;
  if (!usec || !absl::SimpleAtoi(usec, &v) || v <= 0) return 0;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid) {
    int64_t p = 0;
    if (!absl::SimpleAtoi(pid, &p) || p != ::getpid()) return 0;
  }
  return v;
}

}  // namespace xsensor
