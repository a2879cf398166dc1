#include "sensor/core.h"

namespace xsensor {

absl::StatusOr<SensorCore> SensorCore::Create(const Config& config) {
  SensorCore c;
  auto exporter = Exporter::Create(config);
  if (!exporter.ok()) return exporter.status();
  c.exporter = std::move(*exporter);
  c.names = std::make_unique<DnsNameCache>();
  if (!config.login_map_file.empty()) {
    c.logins = std::make_unique<LoginMap>();
    if (absl::Status st = c.logins->Load(config.login_map_file); !st.ok()) return st;
  }
  if (config.ajb_save_dns) {
    auto log = DnsTextLog::Start(DnsLogOptions::FromConfig(config));
    if (!log.ok()) return log.status();
    c.dns_log = std::move(*log);
  }
  return c;
}

std::unique_ptr<Worker> SensorCore::MakeWorker(const Config& config, uint8_t id,
                                               RecordSink* sink) const {
  auto w = std::make_unique<Worker>(config, id, sink, names.get());
  if (dns_log) w->set_dns_log(dns_log.get());
  if (logins) w->set_login_map(logins.get());
  return w;
}

}  // namespace xsensor
