#include "export/exporter.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace xsensor {
namespace {
constexpr int64_t kFlushIntervalUs = 200'000;

// A log file's path: `file` itself when absolute, else in `dir`.
std::string LogPath(const std::string& dir, const std::string& file) {
  return !file.empty() && file[0] == '/' ? file : dir + "/" + file;
}
}  // namespace

Exporter::Exporter(const Config& config)
    : domain_id_(config.observation_domain_id),
      mtu_(config.ipfix_mtu_limit),
      template_interval_us_(int64_t{config.ipfix_udp_template_timer} * 1000000),
      cycle_period_us_(int64_t{config.netflow_timeout} * 1000000),
      write_stats_((config.dbg_log_mask & 0x80) != 0),
      stat_path_(LogPath(config.log_dir, config.stat_log_file)),
      alert_path_(LogPath(config.log_dir, config.alert_log_file)) {}

Exporter::~Exporter() = default;

absl::StatusOr<std::unique_ptr<Exporter>> Exporter::Create(const Config& config) {
  std::unique_ptr<Exporter> e(new Exporter(config));
  const std::vector<Endpoint>* lists[3][2] = {
      {&config.ipfix_udp_collectors, &config.ipfix_tcp_collectors},
      {&config.ipfix_meta_udp_collectors, &config.ipfix_meta_tcp_collectors},
      {&config.ipfix_dns_udp_collectors, &config.ipfix_dns_tcp_collectors}};
  for (int s = 0; s < 3; ++s) {
    Stream& st = e->streams_[s];
    for (const auto& t : Schema::Get().templates()) {
      if (t.stream == s + 1) st.templates.push_back(&t);
    }
    st.elements = Schema::Get().EnterpriseElements(static_cast<schema::Stream>(s + 1));
    if (!config.ipfix_collectors_share) st.lanes.emplace_back();
    for (int tcp = 0; tcp < 2; ++tcp) {
      for (const Endpoint& ep : *lists[s][tcp]) {
        st.collectors.push_back(std::make_unique<Collector>(ep, tcp == 1, config.ipfix_dev,
                                                            config.ipfix_tcp_queue_bytes));
        st.collectors.back()->set_stream(kStreamNames[s]);
        if (config.ipfix_collectors_share) {
          st.lists[tcp].push_back(st.lanes.size());
          st.lanes.emplace_back();
        }
        st.lanes.back().targets.push_back(st.collectors.back().get());
      }
    }
    for (Lane& lane : st.lanes) lane.builder = std::make_unique<MessageBuilder>(e->mtu_);
  }
  return e;
}

std::vector<const Collector*> Exporter::collectors() const {
  std::vector<const Collector*> out;
  for (int s = 0; s < 3; ++s) {
    for (const Collector* c : stream_collectors(s)) out.push_back(c);
  }
  return out;
}

std::vector<const Collector*> Exporter::stream_collectors(int stream) const {
  std::vector<const Collector*> out;
  for (const auto& c : streams_[stream].collectors) out.push_back(c.get());
  return out;
}

void Exporter::SendTemplates(Stream& s, Collector& c, int64_t now_us) {
  // First the RFC 5610 element type records (options template 300 and its data), so that a
  // collector knows the enterprise elements before it reads the templates that use them;
  // then the data templates. Messages are split at the MTU like data.
  MessageBuilder b(mtu_);
  uint32_t now = static_cast<uint32_t>(time(nullptr));
  auto send = [&] {
    if (b.empty()) return;
    // Element type records are options data: they count in the sequence numbers.
    c.Send(b.Finish(now, 0, domain_id_), b.data_records(), /*options=*/true);
    b.Reset();
  };
  b.AddOptionsTemplate(ElementTypeOptionsTemplate());
  std::string rec;
  for (const ElementInfo& e : s.elements) {
    rec.clear();
    EncodeElementTypeRecord(e, &rec);
    if (!b.AddRecord(kElementTypeTemplateId, rec)) {
      send();
      b.AddOptionsTemplate(ElementTypeOptionsTemplate());
      b.AddRecord(kElementTypeTemplateId, rec);
    }
  }
  for (const TemplateSpec* t : s.templates) {
    if (!b.AddTemplate(*t)) {
      send();
      b.AddTemplate(*t);
    }
  }
  send();
  c.TemplatesSent(now_us);
}

void Exporter::Emit(const google::protobuf::Message& record) {
  const TemplateSpec* t = TemplateFor(record);
  if (!t) return;
  scratch_.clear();
  stats_.values_cut += EncodeDataRecord(*t, record, &scratch_);
  EmitEncoded(*t, scratch_, SessionIdOf(record));
}

void Exporter::EmitEncoded(const TemplateSpec& t, absl::string_view encoded, uint64_t session_id) {
  Stream& s = streams_[t.stream - 1];
  ++stats_.records[t.stream - 1];
  if (t.template_id < ExporterStats::kTemplateSlots) ++stats_.by_template[t.template_id];
  if (s.collectors.empty()) {
    ++stats_.records_no_collector;
    return;
  }
  // The time of the last Tick (at most a millisecond old live): a clock read per record would
  // cost more than the rest of this function.
  int64_t now = now_us_;
  if (s.lists[0].empty() && s.lists[1].empty()) {
    AddToLane(s, s.lanes[0], t.template_id, encoded, now);
    return;
  }
  // Session ids are times in microseconds with a counter: mix them (the splitmix64 finalizer,
  // the same in every run) before taking the modulo.
  uint64_t h = session_id;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  for (const auto& list : s.lists) {
    if (!list.empty()) AddToLane(s, s.lanes[list[h % list.size()]], t.template_id, encoded, now);
  }
}

void Exporter::AddToLane(Stream& s, Lane& lane, uint16_t template_id, absl::string_view encoded,
                         int64_t now_us) {
  if (lane.builder->empty()) lane.opened_us = now_us;
  if (!lane.builder->AddRecord(template_id, encoded)) {
    FlushLane(s, lane, now_us);
    lane.opened_us = now_us;
    if (!lane.builder->AddRecord(template_id, encoded)) {
      XS_LOG_WARN("record of ", encoded.size(), " bytes does not fit an IPFIX message");
    }
  }
}

void Exporter::FlushLane(Stream& s, Lane& lane, int64_t now_us) {
  if (lane.builder->empty()) return;
  uint32_t records = lane.builder->data_records();
  absl::string_view msg = lane.builder->Finish(static_cast<uint32_t>(time(nullptr)), 0, domain_id_);
  // No Poll here (a system call per message): Tick polls, and a full batch goes out by itself.
  for (Collector* c : lane.targets) {
    if (c->up() && c->NeedsTemplates(now_us, template_interval_us_)) {
      SendTemplates(s, *c, now_us);
    }
    c->Send(msg, records);
  }
  ++stats_.messages;
  lane.builder->Reset();
}

void Exporter::FlushStream(Stream& s, int64_t now_us) {
  for (Lane& lane : s.lanes) FlushLane(s, lane, now_us);
}

void Exporter::NoteSkipped(const std::string& what, uint64_t records) {
  if (records) skipped_noted_[what] += records;
}

void Exporter::AlertSkips(int64_t now_us, bool force) {
  if (!force && now_us < next_skip_look_us_) return;
  next_skip_look_us_ = now_us + 1'000'000;
  std::map<std::string, uint64_t> skips;
  skips.swap(skipped_noted_);
  for (const Collector* c : collectors()) {
    uint64_t& seen = dropped_seen_[c];
    uint64_t now = c->stats().records_dropped;
    if (now > seen) {
      skips[absl::StrCat("collector ", c->tcp() ? "tcp:" : "udp:", c->endpoint().ToString())] +=
          now - seen;
    }
    seen = now;
  }
  if (skips.empty()) return;
  int64_t wall = WallMicros();
  for (const auto& [what, n] : skips) WriteLog(alert_path_, CycleStats::SkipLine(wall, what, n));
}

void Exporter::Tick(int64_t now_us) {
  now_us_ = now_us;
  AlertSkips(now_us);
  if (next_cycle_us_ == 0) {
    last_cycle_us_ = now_us;
    next_cycle_us_ = now_us + cycle_period_us_;
  } else if (now_us >= next_cycle_us_) {
    RunCycle(now_us);
  }
  for (auto& s : streams_) {
    for (auto& c : s.collectors) {
      c->Poll(now_us);
      if (c->up() && c->NeedsTemplates(now_us, template_interval_us_)) {
        SendTemplates(s, *c, now_us);
      }
    }
    for (Lane& lane : s.lanes) {
      if (!lane.builder->empty() && now_us - lane.opened_us >= kFlushIntervalUs) {
        FlushLane(s, lane, now_us);
      }
    }
  }
}

void Exporter::RunCycle(int64_t now_us) {
  int64_t start = MonotonicMicros();
  for (auto& s : streams_) {
    FlushStream(s, start);
    for (auto& c : s.collectors) c->Poll(start);
  }
  int64_t took = MonotonicMicros() - start;
  AlertSkips(now_us, true);  // what was skipped up to now belongs to this cycle
  bool overran = cycles_.Record(took, now_us - last_cycle_us_, cycle_period_us_);
  last_cycle_us_ = now_us;
  next_cycle_us_ = now_us + cycle_period_us_;
  int64_t wall = WallMicros();
  if (write_stats_) WriteLog(stat_path_, cycles_.StatLine(wall));
  if (overran) WriteLog(alert_path_, cycles_.AlertLine(wall, cycle_period_us_));
}

void Exporter::WriteLog(const std::string& path, const std::string& line) {
  if (AppendLine(path, line)) return;
  if (errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (AppendLine(path, line)) return;
  }
  ++stats_.log_write_errors;
  if (!log_error_reported_) {
    log_error_reported_ = true;
    XS_LOG_WARN("cannot write ", path, ": ", strerror(errno), " (counted from now on)");
  }
}

void Exporter::Flush() {
  int64_t now = MonotonicMicros();
  for (auto& s : streams_) {
    FlushStream(s, now);
    for (auto& c : s.collectors) c->Poll(now);
  }
}

void Exporter::Shutdown(int64_t timeout_us) {
  Flush();
  int64_t deadline = MonotonicMicros() + timeout_us;
  for (auto& s : streams_) {
    for (auto& c : s.collectors) {
      Collector& col = *c;
      col.Drain(deadline, [&] { SendTemplates(s, col, MonotonicMicros()); });
    }
  }
  AlertSkips(MonotonicMicros(), true);  // what the end could not deliver
  // The last, partial cycle is a cycle too: a run shorter than netflow_timeout (an offline
  // read) still writes its statistics.
  const int64_t now = MonotonicMicros();
  if (last_cycle_us_ && now > last_cycle_us_) RunCycle(now);
}

}  // namespace xsensor
