// Subscriber logins for the LOGIN field of every record: a file of "ADDRESS[/PREFIX] LOGIN"
// lines (IPv4 or IPv6, '#' comments), matched longest prefix first against a record's source
// address, else its destination. Loaded at start (a bad line is an error naming the file and
// line) and reloaded on SIGHUP (a bad file then keeps the previous map, logged). Lookups are
// lock-free for the workers: the map is immutable and replaced whole.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net_address.h"

namespace xsensor {

// One address or prefix and its login.
struct PrefixEntry : IpPrefix {
  std::string login;
};

class LoginTable {
 public:
  static absl::StatusOr<std::shared_ptr<const LoginTable>> Parse(absl::string_view file_name,
                                                                 absl::string_view text);
  static std::shared_ptr<const LoginTable> Build(const std::vector<PrefixEntry>& entries);
  // `addr` is 4 or 16 bytes; empty when no prefix covers it.
  const std::string* Find(absl::string_view addr) const;
  size_t size() const { return size_; }

 private:
  using Key = std::array<uint8_t, 16>;
  // By prefix length (longest first), the masked addresses.
  std::map<int, std::map<Key, std::string>, std::greater<int>> v4_, v6_;
  size_t size_ = 0;
};

class LoginMap {
 public:
  // Loads `path`; errors name the file and line.
  absl::Status Load(const std::string& path);
  // Loads the file again; on error the current table stays (and the error is returned).
  absl::Status Reload();
  // The login of `addr`, or false when no prefix covers it.
  bool Find(absl::string_view addr, std::string* login) const;
  // Replaces the table (a map filled by other means than a file: RADIUS accounting).
  void Publish(std::shared_ptr<const LoginTable> table) { std::atomic_store(&table_, table); }
  size_t size() const;

 private:
  std::string path_;
  std::shared_ptr<const LoginTable> table_;  // accessed with std::atomic_load/store
};

// Who the subscriber of a record is, and its login: of the record's source, then its
// destination, the first address that a RADIUS accounting session, the login map or
// subscriber_nets (no login) covers. Any source may be absent.
struct Subscribers {
  const LoginMap* radius = nullptr;
  const LoginMap* logins = nullptr;
  std::shared_ptr<const LoginTable> nets;
  // 0: `a` is the subscriber, 1: `b` is, -1: neither is known. *login: its login, if any.
  int Find(absl::string_view a, absl::string_view b, std::string* login) const;
};

}  // namespace xsensor
