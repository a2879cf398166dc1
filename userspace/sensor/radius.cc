#include "sensor/radius.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/logging.h"

namespace xsensor {
namespace {

// RFC 2865/2866 codes and attributes.
constexpr uint8_t kAccountingRequest = 4;
constexpr uint8_t kAccountingResponse = 5;
constexpr uint8_t kUserName = 1;
constexpr uint8_t kFramedIpAddress = 8;
constexpr uint8_t kCallingStationId = 31;
constexpr uint8_t kAcctStatusType = 40;
constexpr uint8_t kAcctDelayTime = 41;
constexpr uint8_t kAcctSessionId = 44;
constexpr uint8_t kEventTimestamp = 55;
// Requests remembered to recognise a retransmission or a replay of one (the NAS, the
// Identifier and the Request Authenticator, RFC 2866 2.2 and 3): answered, not applied again.
constexpr size_t kRecentRequests = 65536;
constexpr uint8_t kFramedIpv6Prefix = 97;
constexpr uint8_t kDelegatedIpv6Prefix = 123;
enum StatusType : uint32_t { kStart = 1, kStop = 2, kInterim = 3, kOn = 7, kOff = 8 };
constexpr size_t kHeader = 20;

std::string Md5(absl::string_view a, absl::string_view b, absl::string_view c,
                absl::string_view d) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  for (absl::string_view part : {a, b, c, d}) EVP_DigestUpdate(ctx, part.data(), part.size());
  EVP_DigestFinal_ex(ctx, out, &n);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(out), n);
}

// Framed-IPv6-Prefix / Delegated-IPv6-Prefix (RFC 3162 2.3): reserved, length, prefix.
bool Ipv6Prefix(absl::string_view v, PrefixEntry* e) {
  if (v.size() < 2 || v.size() > 18) return false;
  int bits = static_cast<uint8_t>(v[1]);
  if (bits > 128 || v.size() - 2 < static_cast<size_t>((bits + 7) / 8)) return false;
  e->len = 16;
  e->prefix = bits;
  e->addr.fill(0);
  memcpy(e->addr.data(), v.data() + 2, v.size() - 2);
  return true;
}

std::string Key(const PrefixEntry& e) {
  return absl::StrCat(absl::string_view(reinterpret_cast<const char*>(e.addr.data()), e.len), "/",
                      e.prefix);
}

int64_t WallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool RadiusRequestAuthentic(absl::string_view packet, absl::string_view secret) {
  // RFC 2866 3: MD5(Code + Identifier + Length + 16 zero octets + request attributes + secret).
  if (packet.size() < kHeader) return false;
  std::string zeros(16, '\0');
  std::string want = Md5(packet.substr(0, 4), zeros, packet.substr(kHeader), secret);
  return CRYPTO_memcmp(want.data(), packet.data() + 4, 16) == 0;
}

absl::StatusOr<std::unique_ptr<RadiusListener>> RadiusListener::Start(const Endpoint& listen,
                                                                      std::string secret,
                                                                      bool calling_station_id) {
  auto r = Open(listen, std::move(secret), calling_station_id);
  if (r.ok()) (*r)->Begin();
  return r;
}

void RadiusListener::Begin() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

absl::StatusOr<std::unique_ptr<RadiusListener>> RadiusListener::Open(const Endpoint& listen,
                                                                     std::string secret,
                                                                     bool calling_station_id) {
  std::unique_ptr<RadiusListener> r(new RadiusListener());
  r->fd_ = UniqueFd(socket(listen.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  int one = 1;
  setsockopt(r->fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (!r->fd_.valid() || bind(r->fd_.get(), listen.sa(), listen.len) != 0) {
    return absl::UnavailableError(
        absl::StrCat("radius_acct_listen ", listen.ToString(), ": bind: ", std::strerror(errno)));
  }
  r->endpoint_ = BoundEndpoint(r->fd_.get());
  r->secret_ = std::move(secret);
  r->calling_station_id_ = calling_station_id;
  r->published_.Publish(LoginTable::Build({}));
  XS_LOG_INFO("RADIUS accounting: listening on udp ", r->endpoint_.ToString());
  return r;
}

RadiusListener::~RadiusListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RadiusListener::Publish() {
  std::vector<PrefixEntry> entries;
  entries.reserve(sessions_.size());
  for (const auto& [key, s] : sessions_) entries.push_back(s.where);
  published_.Publish(LoginTable::Build(entries));
  stats_.sessions = sessions_.size();
  dirty_ = false;
}

std::string RadiusListener::Handle(absl::string_view packet, const std::string& nas) {
  ByteReader r(packet);
  uint8_t code = 0, id = 0;
  uint16_t length = 0;
  if (!r.ReadU8(&code) || !r.ReadU8(&id) || !r.ReadU16(&length) || code != kAccountingRequest ||
      length < kHeader || length > packet.size()) {
    ++stats_.malformed;
    return "";
  }
  packet = packet.substr(0, length);  // octets past Length are padding (RFC 2865 3)
  if (!RadiusRequestAuthentic(packet, secret_)) {
    ++stats_.bad_authenticator;
    return "";
  }
  // The attributes.
  uint32_t status = 0, event_timestamp = 0, delay = 0;
  bool has_timestamp = false;
  std::string login, calling, session_id;
  std::vector<PrefixEntry> where;
  for (size_t p = kHeader; p < packet.size();) {
    if (p + 2 > packet.size() || static_cast<uint8_t>(packet[p + 1]) < 2 ||
        p + static_cast<uint8_t>(packet[p + 1]) > packet.size()) {
      ++stats_.malformed;
      return "";
    }
    uint8_t type = static_cast<uint8_t>(packet[p]);
    absl::string_view v = packet.substr(p + 2, static_cast<uint8_t>(packet[p + 1]) - 2);
    p += 2 + v.size();
    PrefixEntry e;
    if (type == kAcctStatusType && v.size() == 4) {
      ByteReader(v).ReadU32(&status);
    } else if (type == kUserName) {
      login = std::string(v);
    } else if (type == kCallingStationId) {
      calling = std::string(v);
    } else if (type == kAcctSessionId) {
      session_id = std::string(v);
    } else if (type == kEventTimestamp && v.size() == 4) {
      has_timestamp = ByteReader(v).ReadU32(&event_timestamp);
    } else if (type == kAcctDelayTime && v.size() == 4) {
      ByteReader(v).ReadU32(&delay);
    } else if (type == kFramedIpAddress && v.size() == 4) {
      e.len = 4;
      e.prefix = 32;
      memcpy(e.addr.data(), v.data(), 4);
      where.push_back(e);
    } else if ((type == kFramedIpv6Prefix || type == kDelegatedIpv6Prefix) && Ipv6Prefix(v, &e)) {
      where.push_back(e);
    }
  }
  ++stats_.requests;
  // The Accounting-Response is due whatever is done with the request (else the NAS sends it
  // again).
  std::string head = {static_cast<char>(kAccountingResponse), static_cast<char>(id), 0,
                      static_cast<char>(kHeader)};
  std::string answer = head + Md5(head, packet.substr(4, 16), "", secret_);
  // A request seen already (a retransmission, or a replay of a recorded one): not applied
  // again, so that an old Start replayed after its Stop maps no address back to its user.
  std::string seen = absl::StrCat(nas, "/", id, "/", packet.substr(4, 16));
  if (!recent_set_.insert(seen).second) {
    ++stats_.duplicates;
    return answer;
  }
  recent_.push_back(std::move(seen));
  if (recent_.size() > kRecentRequests) {
    recent_set_.erase(recent_.front());
    recent_.pop_front();
  }
  // When it happened at the NAS: Event-Timestamp, else now less Acct-Delay-Time (RFC 2869 5.3,
  // RFC 2866 5.2).
  const int64_t event_time =
      has_timestamp ? int64_t{event_timestamp} : WallSeconds() - static_cast<int64_t>(delay);
  if (calling_station_id_) login = calling;
  switch (status) {
    case kStart:
    case kInterim:
      ++(status == kStart ? stats_.starts : stats_.interim_updates);
      if (where.empty() || login.empty()) {
        ++stats_.without_address;
        break;
      }
      for (PrefixEntry& e : where) {
        e.login = login;
        auto it = sessions_.find(Key(e));
        if (it != sessions_.end() && it->second.session_id != session_id &&
            event_time < it->second.event_time) {
          // Another session holds the address since later than this request's event: this one
          // is stale (delayed, or replayed) and must not take the address back.
          ++stats_.stale;
          continue;
        }
        if (it == sessions_.end() && sessions_.size() >= max_sessions_) {
          ++stats_.table_full;
          continue;
        }
        sessions_[Key(e)] = {e, nas, session_id, event_time};
        dirty_ = true;
      }
      break;
    case kStop:
      ++stats_.stops;
      for (const PrefixEntry& e : where) {
        auto it = sessions_.find(Key(e));
        if (it == sessions_.end()) continue;
        // The Stop of another session than the one holding the address now (a late Stop of
        // the address's previous user), or of an event before it started: the current one
        // stays.
        if (it->second.session_id != session_id || event_time < it->second.event_time) {
          ++stats_.stale;
          continue;
        }
        sessions_.erase(it);
        dirty_ = true;
      }
      break;
    case kOn:
    case kOff:
      // The NAS (re)started: none of its sessions stands any more.
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (it->second.nas == nas) {
          it = sessions_.erase(it);
          dirty_ = true;
        } else {
          ++it;
        }
      }
      break;
    default:
      break;
  }
  // Accounting-Response (RFC 2866 3): no attributes; the Response Authenticator is
  // MD5(Code + Identifier + Length + Request Authenticator + attributes + secret).
  return answer;
}

void RadiusListener::Run() {
  int64_t last_publish = 0;
  char buf[4096];
  while (!stop_) {
    pollfd p{fd_.get(), POLLIN, 0};
    poll(&p, 1, 100);
    while (true) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      ssize_t n =
          recvfrom(fd_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) break;
      Endpoint peer;
      peer.addr = from;
      peer.len = from_len;
      std::string ep = peer.ToString();
      std::string nas = ep.substr(0, ep.rfind(':'));
      std::string answer = Handle(absl::string_view(buf, static_cast<size_t>(n)), nas);
      if (dirty_ && NowMs() - last_publish >= 100) {
        // Before the answer: a NAS (or a test) that acts on it finds the login in place.
        Publish();
        last_publish = NowMs();
      }
      if (!answer.empty()) {
        sendto(fd_.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from),
               from_len);
      }
    }
    if (dirty_ && NowMs() - last_publish >= 100) {
      Publish();
      last_publish = NowMs();
    }
  }
}

}  // namespace xsensor
