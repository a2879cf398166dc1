// One collector: a transport session to one IPFIX collector. Owned by the exporter's thread.
//
// A collector is one shard of the exporter: its own socket, its own bounded queue, its own
// sequence numbers (per observation domain and transport session), its own error state, so one
// collector's trouble never reaches another. Nothing here ever blocks.
//
// UDP: a connected datagram socket; messages are batched (up to kBatch) and sent with one
// sendmmsg; send errors (ICMP port unreachable -> ECONNREFUSED, ...) are counted and summarised
// in the log, never fatal.
// TCP: a non-blocking stream with a bounded queue of whole messages, written with one
// gathering sendmsg (writev with MSG_NOSIGNAL) of up to kBatch messages; partial writes are
// kept; a broken or refused connection is retried with capped exponential backoff, the data
// waiting meanwhile (up to the bound; beyond it dropped and counted); on every new connection
// the templates go first, then what waited, numbered anew (a new transport session).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/net_address.h"
#include "common/unique_fd.h"

namespace xsensor {

struct CollectorStats {
  uint64_t messages_sent = 0;
  uint64_t records_sent = 0;          // data records of the stream
  uint64_t options_records_sent = 0;  // RFC 5610 element type records (with the templates)
  uint64_t bytes_sent = 0;
  uint64_t send_errors = 0;
  uint64_t messages_dropped = 0;  // queue full or collector down
  uint64_t records_dropped = 0;
  uint64_t connects = 0;
  uint64_t disconnects = 0;  // TCP: connections lost or refused, each followed by a retry
  uint64_t send_calls = 0;   // sendmmsg / sendmsg system calls
};

class Collector {
 public:
  Collector(const Endpoint& endpoint, bool tcp, std::string bind_dev, size_t max_queue_bytes);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  bool tcp() const { return tcp_; }
  const Endpoint& endpoint() const { return endpoint_; }
  // The stream it serves ("clickstream", "metadata", "dns"), named in its log lines.
  void set_stream(std::string stream) { stream_ = std::move(stream); }
  // "clickstream collector tcp 127.0.0.1:4739": how its log lines name it.
  std::string Label() const;
  // True when the collector needs the templates before the next data message (a new TCP
  // connection, or the UDP template timer).
  bool NeedsTemplates(int64_t now_us, int64_t udp_template_interval_us) const;
  void TemplatesSent(int64_t now_us) {
    if (tcp_ && !connected_ && !connecting_) return;  // they were dropped, not sent
    templates_sent_us_ = now_us;
    need_templates_ = false;
  }
  // Queues one finished message of `records` data records (dropped and counted if the queue
  // is full, or the UDP socket could not be made). The header's sequence number is set here from
  // this session's count. A full batch is sent at once; Poll sends the rest. `options`: the records
  // are the RFC 5610 options records sent with the templates (they count in the sequence numbers,
  // and in their own statistic).
  void Send(absl::string_view message, uint32_t records, bool options = false);
  // Sends what is queued and makes progress on TCP connects, without blocking.
  void Poll(int64_t now_us);
  // Blocks until the TCP queue is written or `deadline_us` (monotonic) passes; a collector that
  // is down is tried once more first. `send_templates` queues the templates of a new
  // connection (the exporter's). What is left is dropped and counted.
  void Drain(int64_t deadline_us, const std::function<void()>& send_templates);
  size_t queued_bytes() const { return queued_bytes_; }
  size_t queued_messages() const { return queue_.size(); }
  // TCP: messages written whole that the collector has not acknowledged yet (sent when it
  // does, dropped if the connection ends first).
  size_t unacknowledged_messages() const { return unacked_.size(); }
  static constexpr size_t kBatch = 64;
  bool connected() const { return connected_; }
  // UDP: socket open; TCP: connected or connecting.
  bool up() const { return tcp_ ? (connected_ || connecting_) : fd_.valid(); }
  const CollectorStats& stats() const { return stats_; }

 private:
  void Connect(int64_t now_us);
  void Disconnect(int64_t now_us, int err);
  void WriteQueued();
  void SendDatagrams();
  void DropQueue();
  void Renumber();
  void NoteError(int err);
  void NoteOk();

  Endpoint endpoint_;
  std::string stream_;
  bool tcp_;
  std::string bind_dev_;
  size_t max_queue_bytes_;
  UniqueFd fd_;
  bool connected_ = false;
  bool connecting_ = false;
  bool need_templates_ = true;
  int64_t templates_sent_us_ = 0;
  int64_t next_connect_us_ = 0;
  int64_t backoff_us_ = 0;
  uint32_t sequence_ = 0;  // data records queued in this transport session
  struct Queued {
    std::string bytes;
    uint32_t records;
    bool options;
  };
  void CountSent(const Queued& q) { CountSent(q.records, q.options); }
  void CountSent(uint32_t records, bool options);
  // TCP: messages written whole, waiting for the collector's TCP to acknowledge their last
  // byte; counted as sent then, and as dropped when the connection ends before.
  struct Unacked {
    uint64_t end;  // offset just past the message in this connection's byte stream
    uint32_t records;
    bool options;
  };
  void CountAcknowledged();
  void DropUnacknowledged();
  std::deque<Unacked> unacked_;
  uint64_t written_ = 0;  // bytes written on this connection
  std::deque<Queued> queue_;
  size_t front_written_ = 0;  // TCP: bytes of queue_.front() already written
  size_t unwritten_ = 0;      // messages queued since the last write attempt
  int64_t next_hangup_check_us_ = 0;
  size_t queued_bytes_ = 0;
  std::vector<std::string> spare_;  // buffers of sent messages, reused

  // Error log summarising: the first error is logged, repeats are counted, and recovery is
  // logged with their count once sends have succeeded for kQuietUs after the last error (a UDP
  // collector behind ICMP port unreachable fails every other send: that is not recovery).
  int last_error_ = 0;
  int64_t last_error_us_ = 0;
  uint64_t repeated_errors_ = 0;
  CollectorStats stats_;
};

}  // namespace xsensor
