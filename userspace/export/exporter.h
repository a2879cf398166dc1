// The exporter: turns records into IPFIX messages for the three streams (clickstream,
// metadata, DNS) and sends each stream to every collector of its lists.
//
// A record is encoded once per stream into the stream's open message; when the message is
// full (ipfix_mtu_limit) or old, it is finished once and handed to every collector of the
// stream, each of which stamps its own sequence number. UDP collectors get the stream's
// templates at start and every ipfix_udp_template_timer seconds; TCP collectors on every new
// connection, before any data.
//
// With ipfix_collectors_share, the collectors of a list share its stream instead: a record goes
// to one collector of each list, picked by a hash of its SESSION_ID, so a session's request,
// reply and raw records reach the same collector. Each collector then has a message of its own.
//
// Each collector is a shard with its own bounded queue, batch, sequence numbers and error
// state (see collector.h). Threading: one exporter is used by one thread: the offline worker,
// or live the export thread, which takes the records the workers encoded from one bounded
// ring per worker; nothing on that thread blocks on the network.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "export/collector.h"
#include "export/cycle_stats.h"
#include "ipfix/ipfix.h"
#include "schema/record_sink.h"

namespace xsensor {

// The three streams' names, in stream order (logs, metrics, summaries).
inline constexpr const char* kStreamNames[] = {"clickstream", "metadata", "dns"};

struct ExporterStats {
  static constexpr size_t kTemplateSlots = 512;
  uint64_t records[3] = {};                   // per stream, encoded
  uint64_t by_template[kTemplateSlots] = {};  // per template id (ids below 512)
  uint64_t records_no_collector = 0;
  uint64_t values_cut = 0;
  uint64_t messages = 0;
  uint64_t log_write_errors = 0;  // statistics or alert lines not written
};

class Exporter : public RecordSink {
 public:
  static absl::StatusOr<std::unique_ptr<Exporter>> Create(const Config& config);
  ~Exporter() override;

  void Emit(const google::protobuf::Message& record) override;
  // A record already encoded (by a worker) for template `t`, of session `session_id`.
  void EmitEncoded(const TemplateSpec& t, absl::string_view encoded, uint64_t session_id);
  // Periodic work: TCP progress, template timer, flushing messages older than the flush
  // interval. `now_us` is monotonic.
  void Tick(int64_t now_us);
  // Sends every open message now.
  void Flush();
  // Flush, then wait (up to `timeout_us`) for TCP collectors to take everything queued.
  void Shutdown(int64_t timeout_us);

  // Records dropped before they reached the exporter (a worker's full ring): alerted like the
  // collectors' own drops.
  void NoteSkipped(const std::string& what, uint64_t records);

  const ExporterStats& stats() const { return stats_; }
  const CycleStats& cycle_stats() const { return cycles_; }
  // Every collector of every stream (for statistics and tests).
  std::vector<const Collector*> collectors() const;
  // The collectors of stream `stream` (schema::Stream - 1: 0 clickstream, 1 metadata, 2 dns).
  std::vector<const Collector*> stream_collectors(int stream) const;

 private:
  // A message being filled, and the collectors it goes to when finished.
  struct Lane {
    std::unique_ptr<MessageBuilder> builder;
    std::vector<Collector*> targets;
    int64_t opened_us = 0;
  };
  struct Stream {
    std::vector<std::unique_ptr<Collector>> collectors;
    std::vector<const TemplateSpec*> templates;
    std::vector<ElementInfo> elements;  // announced with RFC 5610 records
    // Not shared: one lane to every collector. Shared: a lane per collector; lists[l] are the
    // lanes of list l (UDP, TCP), of which a record uses one each.
    std::vector<Lane> lanes;
    std::vector<size_t> lists[2];
  };
  explicit Exporter(const Config& config);
  void AddToLane(Stream& s, Lane& lane, uint16_t template_id, absl::string_view encoded,
                 int64_t now_us);
  void FlushLane(Stream& s, Lane& lane, int64_t now_us);
  void FlushStream(Stream& s, int64_t now_us);
  // The export cycle of SPEC.md (every netflow_timeout seconds): sends every open message,
  // records how long that took, writes the statistics and alert lines.
  void RunCycle(int64_t now_us);
  void WriteLog(const std::string& path, const std::string& line);
  void SendTemplates(Stream& s, Collector& c, int64_t now_us);
  // At most once a second: an alert line for every collector (or noted source) that skipped
  // records since the last look.
  void AlertSkips(int64_t now_us, bool force = false);

  uint32_t domain_id_;
  size_t mtu_;
  int64_t template_interval_us_;
  std::array<Stream, 3> streams_;  // index: schema::Stream - 1
  std::string scratch_;
  ExporterStats stats_;
  int64_t cycle_period_us_;
  int64_t now_us_ = 0;  // as of the last Tick
  int64_t next_cycle_us_ = 0;
  int64_t last_cycle_us_ = 0;
  bool write_stats_;
  std::string stat_path_, alert_path_;
  bool log_error_reported_ = false;
  CycleStats cycles_;
  std::map<const Collector*, uint64_t> dropped_seen_;  // records_dropped at the last look
  std::map<std::string, uint64_t> skipped_noted_;      // NoteSkipped since the last look
  int64_t next_skip_look_us_ = 0;
};

}  // namespace xsensor
