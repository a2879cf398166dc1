// Runs captures through the real sensor path in-process: Worker -> Exporter -> TCP or UDP
// socket on loopback -> Receiver (the decoder xsensor-recv uses). What comes back is what a
// collector would see.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "receiver/receiver.h"
#include "sensor/worker.h"

namespace xsensor::testing {

struct PipelineResult {
  std::vector<ReceivedRecord> records;
  std::vector<std::string> json;  // RecordToJson of each record
  uint64_t frames = 0;
  std::array<uint64_t, DecodeCounters::kCount> decode{};  // by DecodeCounters::Id
  uint64_t decode_sum = 0;
  DecoderStats receiver_stats;
  std::string counters_text;
};

// The records of template `name` ("clickstream", "dns", ...) as messages of type T.
template <typename T>
std::vector<T> RecordsOf(const PipelineResult& r, const std::string& name,
                         std::vector<bool>* ipv6 = nullptr) {
  std::vector<T> out;
  for (const auto& rec : r.records) {
    if (!rec.record.spec || rec.record.spec->name != name) continue;
    T m;
    m.CopyFrom(*rec.record.message);
    out.push_back(std::move(m));
    if (ipv6) ipv6->push_back(rec.record.spec->ipv6);
  }
  return out;
}

// `config` is taken as given, with collectors replaced by one TCP collector (or UDP when
// `udp`) on an ephemeral loopback port.
PipelineResult RunPipeline(const std::vector<std::string>& pcaps, Config config = DefaultConfig(),
                           bool udp = false);

// The same through OfflineSensor (what `xsensor --pcap` runs: config.pcap_workers workers,
// their record rings, one exporter). Only `frames` and `counters_text` besides the records.
PipelineResult RunOfflineSensor(const std::string& pcap, Config config = DefaultConfig());

}  // namespace xsensor::testing
