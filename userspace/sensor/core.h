// What every sensor run is built of, whatever feeds it (a capture file or AF_XDP queues): the
// exporter, the DNS name cache, the subscriber login map, the DNS text log, and workers wired
// to them. The offline and the live sensor assemble it the same way, here.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "export/exporter.h"
#include "parsers/dns/name_cache.h"
#include "records/dns_log.h"
#include "records/login_map.h"
#include "schema/record_sink.h"
#include "sensor/radius.h"
#include "sensor/worker.h"

namespace xsensor {

struct SensorCore {
  std::unique_ptr<Exporter> exporter;
  std::unique_ptr<DnsNameCache> names;       // shared by the workers
  std::unique_ptr<LoginMap> logins;          // login_map_file; null when none
  std::unique_ptr<RadiusListener> radius;    // radius_acct_listen; null when off
  std::unique_ptr<Subscribers> subscribers;  // RADIUS, the login map, subscriber_nets
  std::unique_ptr<DnsTextLog> dns_log;       // ajb_save_dns; null when off

  // Errors name what failed (a collector address, the login map file and line, the DNS log).
  // Opens everything and starts no thread: StartThreads does (after a privilege drop, so
  // that no thread keeps a capability: capabilities and no_new_privs are per thread).
  static absl::StatusOr<SensorCore> Create(const Config& config);
  // The RADIUS listener's and the DNS text log's threads.
  void StartThreads();
  // Worker `id`, its records to `sink`, with the name cache, login map and DNS log.
  std::unique_ptr<Worker> MakeWorker(const Config& config, uint8_t id, RecordSink* sink) const;
  absl::Status ReloadLogins() { return logins ? logins->Reload() : absl::OkStatus(); }
  // The radius.* lines of the counters file (nothing when RADIUS is off).
  std::string RadiusCountersText() const;
};

}  // namespace xsensor
