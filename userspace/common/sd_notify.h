// systemd's service notification protocol (sd_notify(3)) without linking libsystemd: one
// datagram to the AF_UNIX socket named by $NOTIFY_SOCKET ("@name" is an abstract address).
// Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace xsensor {

// Sends `state` ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=...", newline-separated).
// True when it was sent; false outside systemd or when sending failed.
bool SdNotify(absl::string_view state);

// The watchdog period systemd expects keep-alives within (WATCHDOG_USEC, when WATCHDOG_PID is
// unset or this process), in microseconds; 0 when there is no watchdog.
int64_t SdWatchdogMicros();

}  // namespace xsensor
