// Human-readable and machine-readable counter reports for a worker and the exporter.
#pragma once

#include <string>
#include <vector>

#include "export/exporter.h"
#include "sensor/metrics.h"
#include "sensor/worker.h"

namespace xsensor {

// "name value" lines, one counter per line, grouped by prefix (decode., flow., parser., ...).
std::string CountersText(const Worker& worker, const Exporter* exporter);
// The exporter's part of it.
std::string ExporterCountersText(const Exporter& exporter);
// The end of an offline run in a few lines: records per stream, and per collector by stream,
// address and transport what was sent and, when not zero, what was not delivered, the errors
// and what is still queued. *undelivered: the records no collector of their stream took.
std::string DeliverySummary(const Exporter& exporter, uint64_t* undelivered);

// Sums "name value" lines of several reports by name, keeping first-seen order.
std::string SumReports(const std::vector<std::string>& reports);

// Prometheus metrics of a worker (its counter groups as xsensor_<group>_<name>_total, flow
// table and reassembly occupancy as gauges), every sample labelled with `labels`.
void WorkerMetrics(const Worker& worker, const MetricLabels& labels, PromText* out);
// The exporter's: records per type, messages, cycles, and per collector sent, queued, dropped,
// errors, connects and disconnects.
void ExporterMetrics(const Exporter& exporter, PromText* out);

}  // namespace xsensor
