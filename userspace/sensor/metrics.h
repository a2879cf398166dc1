// Metrics for operators: Prometheus text exposition (version 0.0.4) served over HTTP on
// `metrics_listen`, and the same read back by `xsensor --stats` and printed as a table.
//
// The server is polled by the thread that owns the numbers (the export thread), so it never
// needs a lock: it accepts, reads a request and writes the answer without blocking, a few
// connections at a time, each closed after its answer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/net_address.h"
#include "common/unique_fd.h"
#include "sensor/perf_page.h"

namespace xsensor {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Builds one exposition: samples of a metric are kept together under one HELP and TYPE line,
// in the order metrics were first added.
class PromText {
 public:
  void Counter(absl::string_view name, absl::string_view help, const MetricLabels& labels,
               uint64_t value) {
    Add(name, "counter", help, labels, value);
  }
  void Gauge(absl::string_view name, absl::string_view help, const MetricLabels& labels,
             uint64_t value) {
    Add(name, "gauge", help, labels, value);
  }
  // Seconds and other quantities that are not whole numbers.
  void CounterSeconds(absl::string_view name, absl::string_view help, double value) {
    Add(name, "counter", help, {}, value);
  }
  void GaugeSeconds(absl::string_view name, absl::string_view help, double value) {
    Add(name, "gauge", help, {}, value);
  }
  std::string Render() const;

 private:
  void Add(absl::string_view name, absl::string_view type, absl::string_view help,
           const MetricLabels& labels, uint64_t value) {
    AddText(name, type, help, labels, absl::StrCat(value));
  }
  void Add(absl::string_view name, absl::string_view type, absl::string_view help,
           const MetricLabels& labels, double value);
  void AddText(absl::string_view name, absl::string_view type, absl::string_view help,
               const MetricLabels& labels, std::string value);
  struct Family {
    std::string name, type, help;
    std::vector<std::pair<std::string, std::string>> samples;  // label text, value
  };
  std::vector<Family> families_;
  std::map<std::string, size_t, std::less<>> index_;
};

class MetricsServer {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Create(const Endpoint& listen);
  const Endpoint& endpoint() const { return endpoint_; }
  // Accepts and answers without blocking. `render` is called only when a request for
  // /metrics is complete.
  template <typename Render>
  void Poll(int64_t now_us, Render&& render) {
    Accept(now_us);
    for (auto& c : conns_) Serve(c, render);
    Reap(now_us);
  }
  uint64_t requests() const { return requests_; }
  // The path of a complete "GET PATH HTTP/1.x" head; false for anything else.
  static bool RequestPath(absl::string_view head, std::string* path);

 private:
  struct Conn {
    UniqueFd fd;
    std::string in, out;
    size_t written = 0;
    bool answered = false;
    bool done = false;  // written or failed: closed by Reap
    int64_t opened_us = 0;
  };
  MetricsServer() = default;
  void Accept(int64_t now_us);
  template <typename Render>
  void Serve(Conn& c, Render& render) {
    if (!c.answered && Read(c)) {
      std::string path;
      const bool ok = RequestPath(c.in, &path);
      if (ok && (path == "/metrics" || path.rfind("/metrics?", 0) == 0)) {
        Answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", render());
      } else if (ok && (path == "/" || path == "/index.html")) {
        Answer(c, 200, "text/html; charset=utf-8", kPerfPage);
      } else {
        Answer(c, 404, "text/plain", "xsensor: metrics are at /metrics, the live page at /\n");
      }
    }
    if (c.answered) Write(c);
  }
  // Reads what is there; true when the request head is complete (or the peer stopped).
  bool Read(Conn& c);
  void Answer(Conn& c, int status, absl::string_view type, absl::string_view body);
  void Write(Conn& c);
  void Reap(int64_t now_us);

  Endpoint endpoint_;
  UniqueFd listen_;
  std::vector<Conn> conns_;
  uint64_t requests_ = 0;
};

// What every exporter of the process says about itself: xsensor_build_info{version,commit} 1
// and the standard process_* metrics (CPU seconds, resident and virtual memory, start time,
// open and maximum file descriptors) from /proc/self.
void ProcessMetrics(PromText* out);

// `xsensor --stats`: GET /metrics from a running sensor (blocking, with a timeout).
absl::StatusOr<std::string> FetchMetrics(const Endpoint& at, int timeout_ms);
// The samples of an exposition as an aligned table ("metric{labels}  value"), comments left
// out; malformed lines are an error naming the line.
// `all`: samples whose value is 0 too (by default left out: most counters of a quiet sensor).
absl::StatusOr<std::string> MetricsTable(absl::string_view exposition, bool all = true);

}  // namespace xsensor
