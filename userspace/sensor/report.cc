#include "absl/strings/string_view.h"
#include "sensor/report.h"

#include "absl/strings/str_cat.h"

namespace xsensor {
namespace {

template <typename Group>
void AppendGroup(std::string* out, absl::string_view prefix, const Group& g) {
  for (int i = 0; i < Group::kCount; ++i) {
    absl::StrAppend(out, prefix, ".", Group::kNames[i], " ",
                    g.Get(static_cast<typename Group::Id>(i)), "\n");
  }
}

}  // namespace

std::string CountersText(const Worker& w, const Exporter* e) {
  std::string out;
  AppendGroup(&out, "worker", w.counters());
  AppendGroup(&out, "decode", w.decode_counters());
  AppendGroup(&out, "flow", w.flows().counters());
  absl::StrAppend(&out, "flow.active ", w.flows().size(), "\n");
  AppendGroup(&out, "parser", w.parser_counters());
  AppendGroup(&out, "reassembly", w.reassembly_counters());
  absl::StrAppend(&out, "reassembly.buffered_bytes ", w.reassembly_buffered(), "\n");
  absl::StrAppend(&out, "records.emitted ", w.records_emitted(), "\n");
  if (e) {
    const char* names[] = {"clickstream", "metadata", "dns"};
    for (int s = 0; s < 3; ++s) {
      absl::StrAppend(&out, "export.records_", names[s], " ", e->stats().records[s], "\n");
    }
    absl::StrAppend(&out, "export.records_no_collector ", e->stats().records_no_collector, "\n");
    absl::StrAppend(&out, "export.values_cut ", e->stats().values_cut, "\n");
    absl::StrAppend(&out, "export.messages ", e->stats().messages, "\n");
    absl::StrAppend(&out, "export.cycles ", e->cycle_stats().cycles(), "\n");
    absl::StrAppend(&out, "export.cycles_overrun ", e->cycle_stats().overruns(), "\n");
    absl::StrAppend(&out, "export.log_write_errors ", e->stats().log_write_errors, "\n");
    for (const Collector* c : e->collectors()) {
      std::string id = absl::StrCat("collector.", c->tcp() ? "tcp:" : "udp:",
                                    c->endpoint().ToString());
      const auto& s = c->stats();
      absl::StrAppend(&out, id, ".messages_sent ", s.messages_sent, "\n", id, ".records_sent ",
                      s.records_sent, "\n", id, ".records_dropped ", s.records_dropped, "\n",
                      id, ".send_errors ", s.send_errors, "\n", id, ".connects ", s.connects,
                      "\n");
    }
  }
  return out;
}

}  // namespace xsensor
