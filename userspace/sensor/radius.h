// RADIUS accounting (RFC 2866) as a DPI box takes it: a UDP listener for the NAS's
// Accounting-Request packets. Each one is checked against the shared secret (its Request
// Authenticator), answered with an Accounting-Response, and Start / Interim-Update / Stop keep
// a table of subscriber addresses (Framed-IP-Address, Framed-IPv6-Prefix,
// Delegated-IPv6-Prefix) and their logins (User-Name, or Calling-Station-Id) until Stop;
// Accounting-On/Off from a NAS ends all its sessions. The table is published to the workers
// (Subscribers::radius) at most every 100 ms: a login applies to the records of traffic from
// shortly after its Start, and no longer shortly after its Stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net_address.h"
#include "common/unique_fd.h"
#include "records/login_map.h"

namespace xsensor {

struct RadiusStats {
  std::atomic<uint64_t> requests{0};           // Accounting-Requests taken (and answered)
  std::atomic<uint64_t> bad_authenticator{0};  // refused: not signed with the secret
  std::atomic<uint64_t> malformed{0};          // not an Accounting-Request, or bad lengths
  std::atomic<uint64_t> starts{0};
  std::atomic<uint64_t> interim_updates{0};
  std::atomic<uint64_t> stops{0};
  std::atomic<uint64_t> without_address{0};  // Start/Interim without a framed address or login
  std::atomic<uint64_t> sessions{0};         // addresses with a login now
  std::atomic<uint64_t> duplicates{0};       // a request seen already (retransmitted or replayed)
  std::atomic<uint64_t> stale{0};            // a Start/Interim older than the address's session, or
                                             // the Stop of another session than the one holding it
  std::atomic<uint64_t> table_full{0};       // addresses not mapped: radius_max_sessions reached
};

// The RFC 2866 3 Request Authenticator of `packet` (its own field ignored), and whether the
// packet carries it. Exposed for the tests.
bool RadiusRequestAuthentic(absl::string_view packet, absl::string_view secret);

class RadiusListener {
 public:
  // Binds `listen` (Open) and starts answering (Begin); the error names the address.
  static absl::StatusOr<std::unique_ptr<RadiusListener>> Start(const Endpoint& listen,
                                                               std::string secret,
                                                               bool calling_station_id);
  static absl::StatusOr<std::unique_ptr<RadiusListener>> Open(const Endpoint& listen,
                                                              std::string secret,
                                                              bool calling_station_id);
  // Starts the listener's thread (once); requests sent before wait in the socket. After a
  // privilege drop, so that the thread has no capability (they are per thread).
  void Begin();
  ~RadiusListener();
  const LoginMap* sessions() const { return &published_; }
  const RadiusStats& stats() const { return stats_; }
  const Endpoint& endpoint() const { return endpoint_; }

  // Addresses mapped at most (radius_max_sessions); before Begin.
  void set_max_sessions(size_t n) { max_sessions_ = n; }
  // One datagram from `nas`; the answer to send back, empty when none. (The thread calls it;
  // tests too.)
  std::string Handle(absl::string_view packet, const std::string& nas);

 private:
  RadiusListener() = default;
  void Run();
  void Publish();

  struct Session {
    PrefixEntry where;
    std::string nas;
    std::string session_id;  // Acct-Session-Id ("" when the NAS sends none)
    int64_t event_time = 0;  // seconds: Event-Timestamp, else arrival less Acct-Delay-Time
  };
  UniqueFd fd_;
  Endpoint endpoint_;
  std::string secret_;
  bool calling_station_id_ = false;
  std::map<std::string, Session> sessions_;  // by address bytes + prefix length (thread only)
  size_t max_sessions_ = 4'000'000;
  std::deque<std::string> recent_;  // requests seen, oldest first (kRecentRequests at most)
  std::unordered_set<std::string> recent_set_;
  bool dirty_ = false;
  LoginMap published_;
  RadiusStats stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace xsensor
