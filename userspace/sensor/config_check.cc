#include "sensor/config_check.h"

#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"
#include "records/login_map.h"

namespace xsensor {

bool ExportsAnything(const Config& c) {
  return !c.ipfix_udp_collectors.empty() || !c.ipfix_tcp_collectors.empty() ||
         !c.ipfix_meta_udp_collectors.empty() || !c.ipfix_meta_tcp_collectors.empty() ||
         !c.ipfix_dns_udp_collectors.empty() || !c.ipfix_dns_tcp_collectors.empty() ||
         c.ajb_save_dns;
}

absl::Status CheckConfigEnvironment(const Config& c, std::vector<std::string>* warnings) {
  if (!c.ipfix_dev.empty()) {
    if (if_nametoindex(c.ipfix_dev.c_str()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.Where("ipfix_dev"), ": no network interface '", c.ipfix_dev, "'"));
    }
    // The export sockets are bound to it: that must be allowed here.
    UniqueFd probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (probe.valid() && setsockopt(probe.get(), SOL_SOCKET, SO_BINDTODEVICE, c.ipfix_dev.c_str(),
                                    c.ipfix_dev.size()) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(c.Where("ipfix_dev"),
                                                     ": cannot bind export sockets to '",
                                                     c.ipfix_dev, "': ", std::strerror(errno)));
    }
  }
  if (!c.login_map_file.empty()) {
    LoginMap logins;
    if (absl::Status s = logins.Load(c.login_map_file); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(c.Where("login_map_file"), ": ", s.message()));
    }
  }
  if (c.ajb_save_dns) {
    std::filesystem::path dir = std::filesystem::path(c.ajb_dns_path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec || (!dir.empty() && !std::filesystem::is_directory(dir, ec))) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.Where("ajb_dns_path"), ": the DNS log folder '", dir.string(),
                       "' cannot be made: ", ec ? ec.message() : "not a folder"));
    }
  }
  struct Stream {
    const char* name;
    const char* keys;
    bool has;
  } streams[] = {{"clickstream", "ipfix_udp_collectors/ipfix_tcp_collectors",
                  !c.ipfix_udp_collectors.empty() || !c.ipfix_tcp_collectors.empty()},
                 {"metadata", "ipfix_meta_udp_collectors/ipfix_meta_tcp_collectors",
                  !c.ipfix_meta_udp_collectors.empty() || !c.ipfix_meta_tcp_collectors.empty()},
                 {"dns", "ipfix_dns_udp_collectors/ipfix_dns_tcp_collectors",
                  !c.ipfix_dns_udp_collectors.empty() || !c.ipfix_dns_tcp_collectors.empty()}};
  bool any = false;
  for (const Stream& s : streams) any |= s.has;
  for (const Stream& s : streams) {
    // With no collector at all the sensor is refused (or only counts, --count_only); with
    // some, a stream left without one loses its records.
    if (any && !s.has && warnings) {
      warnings->push_back(absl::StrCat("no collector for the ", s.name, " stream (", s.keys,
                                       "): its records are counted and dropped"));
    }
  }
  return absl::OkStatus();
}

}  // namespace xsensor
