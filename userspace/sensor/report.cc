#include "sensor/report.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace xsensor {
namespace {

template <typename Group>
void AppendGroup(std::string* out, absl::string_view prefix, const Group& g) {
  for (int i = 0; i < Group::kCount; ++i) {
    absl::StrAppend(out, prefix, ".", Group::kNames[i], " ",
                    g.Get(static_cast<typename Group::Id>(i)), "\n");
  }
}

template <typename Group>
void GroupMetrics(PromText* out, absl::string_view group, absl::string_view help, const Group& g,
                  const MetricLabels& labels) {
  for (int i = 0; i < Group::kCount; ++i) {
    out->Counter(absl::StrCat("xsensor_", group, "_", Group::kNames[i], "_total"), help, labels,
                 g.Get(static_cast<typename Group::Id>(i)));
  }
}

}  // namespace

void WorkerMetrics(const Worker& w, const MetricLabels& labels, PromText* out) {
  GroupMetrics(out, "worker", "Frames and payload a worker handled.", w.counters(), labels);
  // Decoding results partition the frames: one metric, the result a label.
  for (int i = 0; i < DecodeCounters::kCount; ++i) {
    MetricLabels l = labels;
    l.emplace_back("result", DecodeCounters::kNames[i]);
    out->Counter("xsensor_decode_frames_total", "Frames by decoding result.", l,
                 w.decode_counters().Get(static_cast<DecodeResult>(i)));
  }
  // Flows created, and flows ended by why (the reasons add up to the flows that ended).
  const FlowCounters& fc = w.flows().counters();
  out->Counter("xsensor_flows_created_total", "Flows created in the flow table.", labels,
               fc.Get(FlowCounters::kCreated));
  for (auto [id, why] :
       {std::pair<FlowCounters::Id, const char*>{FlowCounters::kExpiredIdle, "idle"},
        {FlowCounters::kExpiredClosed, "closed"},
        {FlowCounters::kEvicted, "evicted_table_full"},
        {FlowCounters::kEndedShutdown, "shutdown"}}) {
    MetricLabels l = labels;
    l.emplace_back("reason", why);
    out->Counter("xsensor_flows_ended_total",
                 "Flows ended, by why: idle timeout, closed (FIN/RST), evicted because the table "
                 "was full, the sensor's shutdown.",
                 l, fc.Get(id));
  }
  GroupMetrics(out, "parser", "Application parser events.", w.parser_counters(), labels);
  GroupMetrics(out, "reassembly", "TCP reassembly events.", w.reassembly_counters(), labels);
  GroupMetrics(out, "ipfrag", "IP fragment reassembly events.", w.ipfrag_counters(), labels);
  out->Gauge("xsensor_flows_active", "Flows in the flow table.", labels, w.flows_active());
  out->Gauge("xsensor_reassembly_buffered_bytes", "Out-of-order TCP bytes held.", labels,
             w.reassembly_buffered());
  out->Gauge("xsensor_parser_buffered_bytes",
             "Heap bytes the buffers of the flows' parsers take (parser_total_bytes bounds it).",
             labels, w.parser_buffered());
  out->Counter("xsensor_records_emitted_total", "Records the worker's parsers produced.", labels,
               w.records_emitted());
}

void ExporterMetrics(const Exporter& e, PromText* out) {
  const ExporterStats& st = e.stats();
  for (const TemplateSpec& t : Schema::Get().templates()) {
    if (t.template_id >= ExporterStats::kTemplateSlots) continue;
    out->Counter(
        "xsensor_export_records_total",
        "Records taken by the exporter, by record type and IP version.",
        {{"type", t.name}, {"ip", t.ipv6 ? "6" : "4"}, {"stream", kStreamNames[t.stream - 1]}},
        st.by_template[t.template_id]);
  }
  out->Counter("xsensor_export_records_no_collector_total",
               "Records of a stream that has no collector.", {}, st.records_no_collector);
  out->Counter("xsensor_export_values_cut_total", "Values cut to fit their field.", {},
               st.values_cut);
  out->Counter("xsensor_export_messages_total", "IPFIX data messages finished.", {}, st.messages);
  out->Counter("xsensor_export_cycles_total", "Export cycles run (netflow_timeout).", {},
               e.cycle_stats().cycles());
  out->Counter("xsensor_export_cycles_overrun_total", "Export cycles that overran.", {},
               e.cycle_stats().overruns());
  out->Counter("xsensor_export_log_write_errors_total", "Statistics/alert lines not written.", {},
               st.log_write_errors);
  for (int s = 0; s < 3; ++s) {
    for (const Collector* c : e.stream_collectors(s)) {
      MetricLabels l = {{"stream", kStreamNames[s]},
                        {"transport", c->tcp() ? "tcp" : "udp"},
                        {"collector", c->endpoint().ToString()}};
      const CollectorStats& cs = c->stats();
      out->Counter("xsensor_collector_records_sent_total", "Data records sent to a collector.", l,
                   cs.records_sent);
      out->Counter("xsensor_collector_options_records_sent_total",
                   "RFC 5610 element type records sent with the templates.", l,
                   cs.options_records_sent);
      out->Counter("xsensor_collector_messages_sent_total", "IPFIX messages sent.", l,
                   cs.messages_sent);
      out->Counter("xsensor_collector_bytes_sent_total", "Bytes written to the socket.", l,
                   cs.bytes_sent);
      out->Counter("xsensor_collector_records_dropped_total",
                   "Data records dropped: collector down, queue full or send error.", l,
                   cs.records_dropped);
      out->Counter("xsensor_collector_messages_dropped_total", "IPFIX messages dropped.", l,
                   cs.messages_dropped);
      out->Counter("xsensor_collector_send_errors_total", "Failed sends and connects.", l,
                   cs.send_errors);
      out->Counter("xsensor_collector_connects_total", "TCP connections established.", l,
                   cs.connects);
      out->Counter("xsensor_collector_reconnects_total",
                   "TCP connections lost or refused (each followed by a retry).", l,
                   cs.disconnects);
      out->Counter("xsensor_collector_send_calls_total", "sendmmsg/sendmsg system calls.", l,
                   cs.send_calls);
      out->Gauge("xsensor_collector_queued_bytes", "Bytes waiting for the collector.", l,
                 c->queued_bytes());
      out->Gauge("xsensor_collector_queued_messages", "Messages waiting for the collector.", l,
                 c->queued_messages());
      out->Gauge("xsensor_collector_up", "1 if the collector's socket is usable.", l,
                 c->tcp() ? c->connected() : c->up());
    }
  }
}

std::string DeliverySummary(const Exporter& e, uint64_t* undelivered) {
  std::string out;
  *undelivered = 0;
  const ExporterStats& st = e.stats();
  std::vector<std::string> streams;
  for (int s = 0; s < 3; ++s) {
    if (st.records[s]) streams.push_back(absl::StrCat(kStreamNames[s], " ", st.records[s]));
  }
  absl::StrAppend(&out, "records exported: ", streams.empty() ? "none" : "",
                  absl::StrJoin(streams, ", "), "\n");
  for (int s = 0; s < 3; ++s) {
    for (const Collector* c : e.stream_collectors(s)) {
      const CollectorStats& cs = c->stats();
      std::vector<std::string> parts = {absl::StrCat(cs.records_sent, " records sent")};
      if (cs.messages_sent) parts.back() += absl::StrCat(" in ", cs.messages_sent, " messages");
      if (cs.records_dropped) parts.push_back(absl::StrCat(cs.records_dropped, " NOT DELIVERED"));
      if (cs.send_errors) parts.push_back(absl::StrCat(cs.send_errors, " send errors"));
      if (cs.disconnects) parts.push_back(absl::StrCat(cs.disconnects, " connections lost"));
      if (c->queued_messages()) {
        parts.push_back(absl::StrCat(c->queued_messages(), " messages still queued"));
      }
      absl::StrAppend(&out, "  ", kStreamNames[s], " -> ", c->endpoint().ToString(), " (",
                      c->tcp() ? "tcp" : "udp", "): ", absl::StrJoin(parts, ", "), "\n");
      *undelivered += cs.records_dropped;
    }
  }
  if (st.records_no_collector) {
    absl::StrAppend(&out, "  ", st.records_no_collector,
                    " records of streams without a collector (not sent)\n");
  }
  if (st.values_cut) absl::StrAppend(&out, "  ", st.values_cut, " values cut to fit\n");
  return out;
}

std::string SumReports(const std::vector<std::string>& reports) {
  std::vector<std::string> order;
  std::map<std::string, uint64_t> sums;
  for (const auto& r : reports) {
    for (absl::string_view line : absl::StrSplit(r, '\n', absl::SkipEmpty())) {
      size_t sp = line.rfind(' ');
      uint64_t v = 0;
      if (sp == absl::string_view::npos || !absl::SimpleAtoi(line.substr(sp + 1), &v)) continue;
      std::string name(line.substr(0, sp));
      if (!sums.count(name)) order.push_back(name);
      sums[name] += v;
    }
  }
  std::string out;
  for (const auto& n : order) absl::StrAppend(&out, n, " ", sums[n], "\n");
  return out;
}

std::string CountersText(const Worker& w, const Exporter* e) {
  std::string out;
  AppendGroup(&out, "worker", w.counters());
  AppendGroup(&out, "decode", w.decode_counters());
  AppendGroup(&out, "flow", w.flows().counters());
  absl::StrAppend(&out, "flow.active ", w.flows_active(), "\n");
  AppendGroup(&out, "parser", w.parser_counters());
  AppendGroup(&out, "reassembly", w.reassembly_counters());
  AppendGroup(&out, "ipfrag", w.ipfrag_counters());
  absl::StrAppend(&out, "reassembly.buffered_bytes ", w.reassembly_buffered(), "\n");
  absl::StrAppend(&out, "parser.buffered_bytes ", w.parser_buffered(), "\n");
  absl::StrAppend(&out, "records.emitted ", w.records_emitted(), "\n");
  if (e) out += ExporterCountersText(*e);
  return out;
}

std::string ExporterCountersText(const Exporter& exporter) {
  std::string out;
  const Exporter* e = &exporter;
  {
    for (int s = 0; s < 3; ++s) {
      absl::StrAppend(&out, "export.records_", kStreamNames[s], " ", e->stats().records[s], "\n");
    }
    absl::StrAppend(&out, "export.records_no_collector ", e->stats().records_no_collector, "\n");
    absl::StrAppend(&out, "export.values_cut ", e->stats().values_cut, "\n");
    absl::StrAppend(&out, "export.messages ", e->stats().messages, "\n");
    absl::StrAppend(&out, "export.cycles ", e->cycle_stats().cycles(), "\n");
    absl::StrAppend(&out, "export.cycles_overrun ", e->cycle_stats().overruns(), "\n");
    absl::StrAppend(&out, "export.log_write_errors ", e->stats().log_write_errors, "\n");
    // One collector per stream it serves: the same address in two lists is two collectors.
    for (int st = 0; st < 3; ++st) {
      for (const Collector* c : e->stream_collectors(st)) {
        std::string id = absl::StrCat("collector.", kStreamNames[st], ".",
                                      c->tcp() ? "tcp:" : "udp:", c->endpoint().ToString());
        const auto& s = c->stats();
        absl::StrAppend(&out, id, ".messages_sent ", s.messages_sent, "\n", id, ".records_sent ",
                        s.records_sent, "\n", id, ".records_dropped ", s.records_dropped, "\n", id,
                        ".send_errors ", s.send_errors, "\n", id, ".connects ", s.connects, "\n",
                        id, ".reconnects ", s.disconnects, "\n");
      }
    }
  }
  return out;
}

}  // namespace xsensor
