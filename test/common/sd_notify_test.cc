#include "common/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace xsensor {
namespace {

// A datagram socket bound to `name` ("@..." abstract, else a path), as systemd's would be.
UniqueFd Listen(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len), 0) << name;
  return fd;
}

std::string Receive(const UniqueFd& fd) {
  char buf[256];
  const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
  return n < 0 ? std::string("(nothing)") : std::string(buf, static_cast<size_t>(n));
}

TEST(SdNotifyTest, SendsToAPathAndToAnAbstractSocket) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/notify-", ::getpid());
  ::unlink(path.c_str());
  UniqueFd by_path = Listen(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(SdNotify("READY=1\nSTATUS=capturing"));
  EXPECT_EQ(Receive(by_path), "READY=1\nSTATUS=capturing");
  ::unlink(path.c_str());

  const std::string abstract = absl::StrCat("@xsensor-notify-test-", ::getpid());
  UniqueFd by_name = Listen(abstract);
  ::setenv("NOTIFY_SOCKET", abstract.c_str(), 1);
  EXPECT_TRUE(SdNotify("STOPPING=1"));
  EXPECT_EQ(Receive(by_name), "STOPPING=1");

  ::setenv("NOTIFY_SOCKET", "relative/path", 1);  // not an address systemd gives
  EXPECT_FALSE(SdNotify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(SdNotify("READY=1"));  // outside systemd: nothing sent
}

TEST(SdNotifyTest, WatchdogPeriodIsOursOnly) {
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(SdWatchdogMicros(), 0);
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(SdWatchdogMicros(), 30000000);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(SdWatchdogMicros(), 30000000);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);  // another process's
  EXPECT_EQ(SdWatchdogMicros(), 0);
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_EQ(SdWatchdogMicros(), 0);
  ::unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace xsensor
