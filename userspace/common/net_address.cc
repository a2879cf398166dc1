#include "common/net_address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace xsensor {

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view text, bool allow_port_zero) {
  absl::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': expected [IPv6]:port"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || text.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': expected IPv4:port or [IPv6]:port"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint32_t p = 0;
  if (!absl::SimpleAtoi(port, &p) || (p == 0 && !allow_port_zero) || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': bad port '", port, "'"));
  }
  Endpoint ep;
  std::string h(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(p));
    ep.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(p));
    ep.len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': bad address '", host, "'"));
  }
  return ep;
}

absl::StatusOr<Endpoint> ResolveEndpoint(absl::string_view text) {
  auto literal = ParseEndpoint(text);
  if (literal.ok() || text.empty() || text.front() == '[') return literal;
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return literal;
  const std::string host(text.substr(0, colon));
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return literal;  // not a host name either: the literal's error
    }
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return literal;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  Endpoint ep;
  std::memcpy(&ep.addr, res->ai_addr, res->ai_addrlen);
  ep.len = static_cast<socklen_t>(res->ai_addrlen);
  freeaddrinfo(res);
  if (ep.addr.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ep.addr)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&ep.addr)->sin6_port = htons(static_cast<uint16_t>(port));
  }
  return ep;
}

uint16_t Endpoint::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

void Endpoint::set_port(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port);
}

std::string Endpoint::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", ntohs(v4->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", ntohs(v6->sin6_port));
  }
  return "?";
}

std::string FormatIp(absl::string_view bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (bytes.size() == 4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof(buf));
  } else if (bytes.size() == 16) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  } else {
    return "";
  }
  return buf;
}

std::string FormatMac(absl::string_view b) {
  if (b.size() != 6) return "";
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", static_cast<uint8_t>(b[0]),
                         static_cast<uint8_t>(b[1]), static_cast<uint8_t>(b[2]),
                         static_cast<uint8_t>(b[3]), static_cast<uint8_t>(b[4]),
                         static_cast<uint8_t>(b[5]));
}

absl::StatusOr<IpPrefix> ParseIpPrefix(absl::string_view text) {
  IpPrefix p;
  absl::string_view addr = text;
  int bits = -1;
  if (size_t slash = addr.find('/'); slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(addr.substr(slash + 1), &bits) || bits < 0) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "': bad prefix length"));
    }
    addr = addr.substr(0, slash);
  }
  std::string a(addr);
  if (inet_pton(AF_INET, a.c_str(), p.addr.data()) == 1) {
    p.len = 4;
  } else if (inet_pton(AF_INET6, a.c_str(), p.addr.data()) == 1) {
    p.len = 16;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", addr, "' is not an IPv4 or IPv6 address"));
  }
  if (bits < 0) bits = p.len * 8;
  if (bits > p.len * 8) {
    return absl::InvalidArgumentError(absl::StrCat("prefix /", bits, " is too long"));
  }
  p.prefix = bits;
  return p;
}

Endpoint BoundEndpoint(int fd) {
  Endpoint ep;
  ep.len = sizeof(ep.addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ep.addr), &ep.len);
  return ep;
}

}  // namespace xsensor
