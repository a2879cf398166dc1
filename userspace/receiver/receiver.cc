#include "receiver/receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "google/protobuf/reflection.h"

namespace xsensor {
namespace {

// The peer's address without its port.
std::string PeerAddress(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, text, sizeof(text));
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, text, sizeof(text));
  }
  return text;
}

std::string PeerName(const sockaddr_storage& ss, socklen_t len) {
  Endpoint ep;
  std::memcpy(&ep.addr, &ss, len);
  ep.len = len;
  return ep.ToString();
}

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void AppendJsonString(std::string* out, absl::string_view s) {
  bool utf8 = ValidUtf8(s);
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<uint8_t>(ch);
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || (c >= 0x80 && !utf8)) {
          // Bytes that are not UTF-8 text are shown as the Latin-1 character of their value.
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// The value of one field as text; *quoted tells whether it is a JSON string.
std::string FieldText(const FieldSpec& fs, const google::protobuf::Message& m, bool* quoted) {
  const auto* r = m.GetReflection();
  const auto* f = fs.field;
  *quoted = true;
  switch (f->cpp_type()) {
    case google::protobuf::FieldDescriptor::CPPTYPE_UINT32:
      *quoted = false;
      return absl::StrCat(r->GetUInt32(m, f));
    case google::protobuf::FieldDescriptor::CPPTYPE_UINT64:
      *quoted = false;
      return absl::StrCat(r->GetUInt64(m, f));
    case google::protobuf::FieldDescriptor::CPPTYPE_STRING: {
      std::string v = r->GetString(m, f);
      switch (fs.type) {
        case schema::IPV4_ADDRESS:
        case schema::IPV6_ADDRESS:
          return FormatIp(v);
        case schema::MAC_ADDRESS:
          return FormatMac(v);
        case schema::OCTET_ARRAY:
          return absl::BytesToHexString(v);
        default:
          return v;
      }
    }
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Receiver>> Receiver::Create(const std::vector<Endpoint>& udp,
                                                           const std::vector<Endpoint>& tcp) {
  std::unique_ptr<Receiver> r(new Receiver());
  int one = 1;
  for (const Endpoint& ep : udp) {
    UniqueFd fd(socket(ep.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int rcvbuf = 16 << 20;
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!fd.valid() || bind(fd.get(), ep.sa(), ep.len) != 0) {
      return absl::UnavailableError(
          absl::StrCat("udp ", ep.ToString(), ": bind: ", std::strerror(errno)));
    }
    r->udp_eps_.push_back(BoundEndpoint(fd.get()));
    r->udp_fds_.push_back(std::move(fd));
  }
  for (const Endpoint& ep : tcp) {
    UniqueFd fd(socket(ep.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (!fd.valid() || bind(fd.get(), ep.sa(), ep.len) != 0 || listen(fd.get(), 16) != 0) {
      return absl::UnavailableError(
          absl::StrCat("tcp ", ep.ToString(), ": bind/listen: ", std::strerror(errno)));
    }
    r->tcp_eps_.push_back(BoundEndpoint(fd.get()));
    r->tcp_listen_fds_.push_back(std::move(fd));
  }
  return r;
}

void Receiver::HandleMessage(Session& s, absl::string_view msg) {
  if (on_message_) on_message_(msg);
  s.decoder->DecodeMessage(msg);
}

std::unique_ptr<Receiver::Session> Receiver::NewSession(std::string peer, bool tcp) {
  auto s = std::make_unique<Session>();
  s->peer = std::move(peer);
  Session* sp = s.get();
  s->decoder = std::make_unique<IpfixDecoder>([this, sp, tcp](DecodedRecord& d) {
    ++records_;
    if (!on_record_) return;
    ReceivedRecord rr{sp->peer, tcp, std::move(d)};
    on_record_(rr);
  });
  return s;
}

Receiver::Session& Receiver::UdpSession(const std::string& peer) {
  auto& slot = udp_sessions_[peer];
  if (!slot) slot = NewSession(peer, false);
  return *slot;
}

void Receiver::PruneUdpSessions(const ReceiverLimits& limits, int64_t now) {
  auto forget = [&](std::map<std::string, std::unique_ptr<Session>>::iterator it) {
    AddDecoderStats(it->second->decoder->stats(), &closed_stats_);
    ++stats_.udp_sessions_pruned;
    return udp_sessions_.erase(it);
  };
  for (auto it = udp_sessions_.begin(); it != udp_sessions_.end();) {
    bool idle = now - it->second->last_data_us > int64_t{limits.udp_idle_ms} * 1000;
    it = idle ? forget(it) : std::next(it);
  }
  // Over the cap, the sessions that never delivered a record go first (a burst of new source
  // addresses: one datagram each), the silent-longest of them; only then exporters that did,
  // so a quiet exporter between its template refreshes keeps its session and templates.
  while (udp_sessions_.size() > limits.max_udp_sessions) {
    auto pick = udp_sessions_.end();
    bool pick_delivered = true;
    for (auto it = udp_sessions_.begin(); it != udp_sessions_.end(); ++it) {
      const bool delivered = it->second->decoder->stats().records > 0;
      if (pick == udp_sessions_.end() || (pick_delivered && !delivered) ||
          (delivered == pick_delivered && it->second->last_data_us < pick->second->last_data_us)) {
        pick = it;
        pick_delivered = delivered;
      }
    }
    forget(pick);
  }
}

void Receiver::Accept(int listen_fd, const ReceiverLimits& limits, int64_t now) {
  sockaddr_storage from;
  socklen_t flen = sizeof(from);
  int fd =
      accept4(listen_fd, reinterpret_cast<sockaddr*>(&from), &flen, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
    // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the backlog and
    // poll() would report it again at once. Listening pauses instead of spinning.
    if (stats_.accept_errors++ % 1000 == 0) {
      XS_LOG_WARN("accept: ", std::strerror(errno), "; not accepting for 100 ms (",
                  stats_.accept_errors, " times)");
    }
    accept_paused_until_ = now + 100'000;
    return;
  }
  // One address does not take every connection: past max_tcp_sessions_per_peer it is closed,
  // and the other exporters still get in.
  const std::string addr = PeerAddress(from);
  size_t same = 0;
  for (const auto& t : tcp_sessions_) same += t->addr == addr;
  if (same >= limits.max_tcp_sessions_per_peer) {
    if (stats_.tcp_refused_peer++ % 1000 == 0) {
      XS_LOG_WARN("tcp ", PeerName(from, flen), ": ", same,
                  " connections from this address already (max_tcp_sessions_per_peer); closed");
    }
    close(fd);
    return;
  }
  if (tcp_sessions_.size() >= limits.max_tcp_sessions) {
    if (stats_.tcp_refused++ % 1000 == 0) {
      XS_LOG_WARN("tcp ", PeerName(from, flen), ": ", tcp_sessions_.size(),
                  " connections already (max_tcp_sessions); closed");
    }
    close(fd);
    return;
  }
  auto s = NewSession(PeerName(from, flen), true);
  s->addr = addr;
  s->fd.Reset(fd);
  s->last_data_us = now;
  tcp_sessions_.push_back(std::move(s));
}

void AddDecoderStats(const DecoderStats& s, DecoderStats* to) {
  to->messages += s.messages;
  to->templates += s.templates;
  to->records += s.records;
  to->malformed += s.malformed;
  to->missing_template += s.missing_template;
  to->options_records += s.options_records;
  to->sequence_gaps += s.sequence_gaps;
  to->sequence_late += s.sequence_late;
  to->templates_refused += s.templates_refused;
}

DecoderStats Receiver::TotalStats() const {
  DecoderStats t = closed_stats_;
  for (const auto& [k, s] : udp_sessions_) AddDecoderStats(s->decoder->stats(), &t);
  for (const auto& s : tcp_sessions_) AddDecoderStats(s->decoder->stats(), &t);
  return t;
}

void Receiver::Run(const ReceiverLimits& limits, const std::atomic<bool>* stop) {
  int64_t start = MonotonicMicros();
  int64_t last_data = 0;
  std::vector<char> dgram(65536);
  while (!(stop && stop->load())) {
    std::vector<pollfd> pfds;
    const bool accepting = MonotonicMicros() >= accept_paused_until_;
    for (const auto& fd : udp_fds_) pfds.push_back({fd.get(), POLLIN, 0});
    for (const auto& fd : tcp_listen_fds_)
      pfds.push_back({fd.get(), static_cast<short>(accepting ? POLLIN : 0), 0});
    for (const auto& s : tcp_sessions_) pfds.push_back({s->fd.get(), POLLIN, 0});
    poll(pfds.data(), pfds.size(), 50);
    int64_t now = MonotonicMicros();
    size_t i = 0;
    for (; i < udp_fds_.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      for (int k = 0; k < 256; ++k) {
        sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(udp_fds_[i].get(), dgram.data(), dgram.size(), 0,
                             reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) break;
        last_data = now;
        Session& s = UdpSession(PeerName(from, flen));
        s.last_data_us = now;
        HandleMessage(s, absl::string_view(dgram.data(), static_cast<size_t>(n)));
      }
    }
    for (size_t l = 0; l < tcp_listen_fds_.size(); ++l, ++i) {
      if (pfds[i].revents & POLLIN) Accept(tcp_listen_fds_[l].get(), limits, now);
    }
    size_t first_tcp = i;
    std::vector<size_t> closed;
    for (size_t t = 0; t + first_tcp < pfds.size(); ++t) {
      Session& s = *tcp_sessions_[t];
      if (!(pfds[first_tcp + t].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (now - s.last_data_us > int64_t{limits.tcp_idle_ms} * 1000) {
          XS_LOG_WARN("tcp ", s.peer, ": nothing for ", limits.tcp_idle_ms / 1000, " s; closing");
          ++stats_.tcp_idle_closed;
          closed.push_back(t);
        }
        continue;
      }
      char buf[65536];
      ssize_t n = recv(s.fd.get(), buf, sizeof(buf), 0);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        closed.push_back(t);
        continue;
      }
      last_data = now;
      s.buf.append(buf, static_cast<size_t>(n));
      size_t off = 0;
      while (true) {
        absl::string_view rest(s.buf.data() + off, s.buf.size() - off);
        if (rest.size() < 4) break;
        size_t len = IpfixDecoder::PeekMessageLength(rest);
        uint16_t version = static_cast<uint16_t>((uint8_t(rest[0]) << 8) | uint8_t(rest[1]));
        // A stream cannot be resynchronised: a length that is no message's, or another
        // version, ends the connection (the buffer never waits for what cannot come).
        if (len < kMessageHeaderLen || version != 10) {
          XS_LOG_WARN("tcp ", s.peer, ": version ", version, ", message length ", len, "; closing");
          ++stats_.tcp_broken;
          closed.push_back(t);
          off = s.buf.size();
          break;
        }
        if (len > rest.size()) break;
        // Idle counts from the last whole message, not the last byte: a peer trickling a
        // byte a second does not keep its connection.
        s.last_data_us = now;
        HandleMessage(s, rest.substr(0, len));
        off += len;
      }
      s.buf.erase(0, off);
    }
    if (now - last_prune_ > 1'000'000) {
      PruneUdpSessions(limits, now);
      last_prune_ = now;
    } else if (udp_sessions_.size() > limits.max_udp_sessions) {
      PruneUdpSessions(limits, now);
    }
    for (auto it = closed.rbegin(); it != closed.rend(); ++it) {
      AddDecoderStats(tcp_sessions_[*it]->decoder->stats(), &closed_stats_);
      tcp_sessions_.erase(tcp_sessions_.begin() + static_cast<long>(*it));
      ++tcp_closed_;
    }
    if (limits.tcp_sessions_to_close > 0 && tcp_closed_ >= limits.tcp_sessions_to_close) return;
    if (limits.max_records > 0 && records_ >= limits.max_records) return;
    if (limits.idle_exit_ms > 0 && last_data > 0 &&
        now - last_data > int64_t{limits.idle_exit_ms} * 1000) {
      return;
    }
    if (limits.max_run_ms > 0 && now - start > int64_t{limits.max_run_ms} * 1000) return;
  }
}

std::string RecordToJson(const ReceivedRecord& rr) {
  const DecodedRecord& d = rr.record;
  std::string out = "{";
  absl::StrAppend(&out, "\"template\":\"", d.spec ? d.spec->name : "unknown",
                  "\",\"template_id\":", d.template_id,
                  ",\"ipv6\":", d.spec && d.spec->ipv6 ? "true" : "false",
                  ",\"observation_domain\":", d.domain_id, ",\"exporter\":\"", rr.exporter, "\"");
  if (d.spec) {
    for (const FieldSpec& fs : d.spec->fields) {
      bool quoted;
      std::string v = FieldText(fs, *d.message, &quoted);
      absl::StrAppend(&out, ",\"", fs.field->name(), "\":");
      if (quoted) {
        AppendJsonString(&out, v);
      } else {
        out.append(v);
      }
    }
  } else {
    for (const DecodedField& f : d.raw) {
      absl::StrAppend(&out, ",\"ie", f.pen, "_", f.id, "\":\"", absl::BytesToHexString(f.value),
                      "\"");
    }
  }
  out.append("}");
  return out;
}

std::string RecordToTable(const ReceivedRecord& rr) {
  const DecodedRecord& d = rr.record;
  std::string out =
      absl::StrFormat("== %s (template %d, domain %d) from %s\n", d.spec ? d.spec->name : "unknown",
                      d.template_id, d.domain_id, rr.exporter);
  if (d.spec) {
    for (const FieldSpec& fs : d.spec->fields) {
      bool quoted;
      std::string v = FieldText(fs, *d.message, &quoted);
      if (v.empty() || v == "0") continue;  // the table shows what is set
      absl::StrAppendFormat(&out, "  %-20s %s\n", fs.field->name(), absl::CHexEscape(v));
    }
  }
  return out;
}

}  // namespace xsensor
