// Socket endpoints for collectors and listeners: "1.2.3.4:1500", "[::1]:4739", "host:port" is
// not accepted (no DNS at start-up on a sensor).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xsensor {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&addr); }
  uint16_t port() const;
  void set_port(uint16_t port);
  std::string ToString() const;
};

// An IPv4 or IPv6 address or prefix.
struct IpPrefix {
  std::array<uint8_t, 16> addr{};
  int len = 0;     // 4 or 16 bytes
  int prefix = 0;  // bits
};
// "ADDRESS[/PREFIX]"; the error says what is wrong.
absl::StatusOr<IpPrefix> ParseIpPrefix(absl::string_view text);

// The address a socket is bound to (a port 0 resolved).
Endpoint BoundEndpoint(int fd);

// Port 0 (any port) is accepted only for listeners.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text, bool allow_port_zero = false);
// The same, and HOST:PORT with a host name, resolved now (getaddrinfo: /etc/hosts, DNS) to its
// first address (a collector's name: resolved once, at start).
absl::StatusOr<Endpoint> ResolveEndpoint(absl::string_view text);

// Formats 4 or 16 address bytes in presentation form.
std::string FormatIp(absl::string_view bytes);
std::string FormatMac(absl::string_view bytes);

}  // namespace xsensor
