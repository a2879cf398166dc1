// The IPFIX receiver ("IPFIX Receiver" of the spec): listens on UDP and TCP, decodes templates
// and data records with the schema, and hands each record to a callback. Used by the
// xsensor-recv tool and by the tests that read what the sensor sends. Single-threaded: Run()
// polls all sockets until a stop condition.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net_address.h"
#include "common/unique_fd.h"
#include "ipfix/ipfix.h"

namespace xsensor {

struct ReceivedRecord {
  std::string exporter;  // the sender's address:port
  bool tcp = false;
  DecodedRecord record;
};

struct ReceiverLimits {
  int idle_exit_ms = 0;           // > 0: return after this long without data (once any came)
  int tcp_sessions_to_close = 0;  // > 0: return after this many TCP sessions have ended
  uint64_t max_records = 0;       // > 0: return after this many records
  int max_run_ms = 0;             // > 0: return after this long in any case
  // What peers on the network can make the receiver hold. A TCP connection over the cap is
  // accepted and closed at once; one silent for tcp_idle_ms is closed (an exporter reconnects
  // and sends its templates again). A UDP exporter address silent for udp_idle_ms is
  // forgotten with its templates (RFC 7011 8.4: a UDP collector ages templates out); over
  // max_udp_sessions the one silent longest goes.
  size_t max_tcp_sessions = 1024;
  size_t max_tcp_sessions_per_peer = 64;  // from one address (one host cannot lock out all)
  int tcp_idle_ms = 3600 * 1000;
  size_t max_udp_sessions = 4096;
  int udp_idle_ms = 1800 * 1000;
};

// What the receiver did to keep its limits.
struct ReceiverStats {
  uint64_t tcp_refused = 0;       // connections over max_tcp_sessions
  uint64_t tcp_refused_peer = 0;  // connections over max_tcp_sessions_per_peer
  uint64_t tcp_idle_closed = 0;   // connections closed after tcp_idle_ms
  uint64_t tcp_broken = 0;        // connections closed on a message length that cannot be
  uint64_t udp_sessions_pruned = 0;
  uint64_t accept_errors = 0;  // accept() failed (EMFILE, ...): listening paused a moment
};

class Receiver {
 public:
  using RecordCallback = std::function<void(ReceivedRecord&)>;
  using MessageCallback = std::function<void(absl::string_view message)>;

  static absl::StatusOr<std::unique_ptr<Receiver>> Create(const std::vector<Endpoint>& udp,
                                                          const std::vector<Endpoint>& tcp);
  // The addresses actually bound (port 0 resolved).
  const std::vector<Endpoint>& udp_endpoints() const { return udp_eps_; }
  const std::vector<Endpoint>& tcp_endpoints() const { return tcp_eps_; }

  void set_record_callback(RecordCallback cb) { on_record_ = std::move(cb); }
  // Every received message, verbatim (e.g. to save an IPFIX file for ipfixDump).
  void set_message_callback(MessageCallback cb) { on_message_ = std::move(cb); }

  void Run(const ReceiverLimits& limits, const std::atomic<bool>* stop);

  uint64_t records() const { return records_; }
  DecoderStats TotalStats() const;
  const ReceiverStats& stats() const { return stats_; }
  size_t tcp_sessions() const { return tcp_sessions_.size(); }
  size_t udp_sessions() const { return udp_sessions_.size(); }

 private:
  struct Session {
    UniqueFd fd;  // TCP only
    std::string peer;
    std::string addr;  // the peer's address, without its port (TCP)
    std::string buf;
    std::unique_ptr<IpfixDecoder> decoder;
    int64_t last_data_us = 0;
  };
  Receiver() = default;
  std::unique_ptr<Session> NewSession(std::string peer, bool tcp);
  Session& UdpSession(const std::string& peer);
  void HandleMessage(Session& s, absl::string_view msg);
  void Accept(int listen_fd, const ReceiverLimits& limits, int64_t now);
  void PruneUdpSessions(const ReceiverLimits& limits, int64_t now);

  std::vector<UniqueFd> udp_fds_, tcp_listen_fds_;
  std::vector<Endpoint> udp_eps_, tcp_eps_;
  std::map<std::string, std::unique_ptr<Session>> udp_sessions_;
  std::vector<std::unique_ptr<Session>> tcp_sessions_;
  DecoderStats closed_stats_;
  RecordCallback on_record_;
  MessageCallback on_message_;
  uint64_t records_ = 0;
  int tcp_closed_ = 0;
  ReceiverStats stats_;
  int64_t accept_paused_until_ = 0;  // after an accept() error
  int64_t last_prune_ = 0;
};

void AddDecoderStats(const DecoderStats& from, DecoderStats* to);

// One JSON object per record: template, template_id, ipv6, observation_domain, exporter, then every
// field by its schema name (addresses and MACs in presentation form, octet arrays in hex).
std::string RecordToJson(const ReceivedRecord& r);
// A multi-line, aligned "field: value" block per record.
std::string RecordToTable(const ReceivedRecord& r);

}  // namespace xsensor
