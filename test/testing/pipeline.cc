#include "testing/pipeline.h"

#include <cstdio>
#include <functional>
#include <thread>

#include "capture/pcap_source.h"
#include "common/time_util.h"
#include "export/exporter.h"
#include "parsers/dns/name_cache.h"
#include "records/login_map.h"
#include "sensor/core.h"
#include "sensor/offline.h"
#include "sensor/report.h"

namespace xsensor::testing {

namespace {

// A receiver on loopback, `config`'s collectors pointed at it, `run(config, out)` (the sensor
// under test), and what the receiver decoded.
PipelineResult WithReceiver(Config config, bool udp,
                            const std::function<void(const Config&, PipelineResult&)>& run) {
  PipelineResult out;
  auto any = ParseEndpoint("127.0.0.1:0", true);
  auto receiver = Receiver::Create(udp ? std::vector<Endpoint>{*any} : std::vector<Endpoint>{},
                                   udp ? std::vector<Endpoint>{} : std::vector<Endpoint>{*any});
  if (!receiver.ok()) return out;
  Endpoint ep = udp ? (*receiver)->udp_endpoints()[0] : (*receiver)->tcp_endpoints()[0];
  config.ipfix_udp_collectors.clear();
  config.ipfix_tcp_collectors.clear();
  (udp ? config.ipfix_udp_collectors : config.ipfix_tcp_collectors).push_back(ep);
  (udp ? config.ipfix_meta_udp_collectors : config.ipfix_meta_tcp_collectors) = {ep};
  (udp ? config.ipfix_dns_udp_collectors : config.ipfix_dns_tcp_collectors) = {ep};

  (*receiver)->set_record_callback([&out](ReceivedRecord& r) {
    out.json.push_back(RecordToJson(r));
    out.records.push_back(std::move(r));
  });
  ReceiverLimits limits;
  limits.tcp_sessions_to_close = udp ? 0 : 3;  // one session per stream
  limits.idle_exit_ms = udp ? 500 : 0;
  limits.max_run_ms = 30000;
  std::thread rx([&] { (*receiver)->Run(limits, nullptr); });
  run(config, out);  // the exporter closes its TCP sessions when it is destroyed
  rx.join();
  out.receiver_stats = (*receiver)->TotalStats();
  return out;
}

}  // namespace

PipelineResult RunPipeline(const std::vector<std::string>& pcaps, Config given, bool udp) {
  return WithReceiver(std::move(given), udp, [&](const Config& config, PipelineResult& out) {
    // As the sensor assembles it: the exporter, the subscribers (login map, subscriber_nets).
    auto core = SensorCore::Create(config);
    if (!core.ok()) {
      std::fprintf(stderr, "pipeline: %s\n", std::string(core.status().message()).c_str());
      return;  // no frames, no records: the caller's expectations fail
    }
    auto& exporter = core->exporter;
    std::unique_ptr<Worker> made = core->MakeWorker(config, 1, exporter.get());
    Worker& worker = *made;
    exporter->Tick(MonotonicMicros());
    for (const auto& p : pcaps) {
      auto r =
          ReadPcapFile(p, [&](LinkType link, const uint8_t* d, size_t caplen, size_t wire_len,
                              int64_t ts) { worker.HandleFrame(link, d, caplen, wire_len, ts); });
      if (r.ok()) out.frames += r->frames;
    }
    worker.Finish();
    exporter->Shutdown(5'000'000);
    for (int i = 0; i < DecodeCounters::kCount; ++i) {
      auto id = static_cast<DecodeCounters::Id>(i);
      out.decode[i] = worker.decode_counters().Get(id);
    }
    out.decode_sum = worker.decode_counters().Sum();
    out.counters_text = CountersText(worker, exporter.get());
  });
}

PipelineResult RunOfflineSensor(const std::string& pcap, Config given) {
  return WithReceiver(std::move(given), false, [&](const Config& config, PipelineResult& out) {
    auto sensor = OfflineSensor::Create(config);
    if (!sensor.ok()) return;
    auto r = (*sensor)->Run(pcap, nullptr);
    if (r.ok()) out.frames = r->frames;
    out.counters_text = (*sensor)->CountersText();
  });
}

}  // namespace xsensor::testing
