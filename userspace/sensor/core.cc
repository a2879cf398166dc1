#include "sensor/core.h"

#include "absl/strings/str_cat.h"

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
  c.subscribers = std::make_unique<Subscribers>();
  c.subscribers->logins = c.logins.get();
  if (!config.subscriber_nets.empty()) {
    std::vector<PrefixEntry> nets;
    for (const std::string& n : config.subscriber_nets) {
      auto p = ParseIpPrefix(n);
      if (!p.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(config.Where("subscriber_nets"), ": ", p.status().message()));
      }
      nets.push_back({*p, ""});
    }
    c.subscribers->nets = LoginTable::Build(nets);
  }
  if (config.radius_acct_listen) {
    auto r = RadiusListener::Open(*config.radius_acct_listen, config.radius_secret,
                                  config.radius_login_attribute == "calling-station-id");
    if (!r.ok()) {
      return absl::UnavailableError(
          absl::StrCat(config.Where("radius_acct_listen"), ": ", r.status().message()));
    }
    c.radius = std::move(*r);
    c.radius->set_max_sessions(config.radius_max_sessions);
    c.subscribers->radius = c.radius->sessions();
  }
  if (config.ajb_save_dns) {
    auto log = DnsTextLog::Open(DnsLogOptions::FromConfig(config));
    if (!log.ok()) return log.status();
    c.dns_log = std::move(*log);
  }
  return c;
}

void SensorCore::StartThreads() {
  if (radius) radius->Begin();
  if (dns_log) dns_log->Begin();
}

std::unique_ptr<Worker> SensorCore::MakeWorker(const Config& config, uint8_t id,
                                               RecordSink* sink) const {
  auto w = std::make_unique<Worker>(config, id, sink, names.get());
  if (dns_log) w->set_dns_log(dns_log.get());
  w->set_subscribers(subscribers.get());
  return w;
}

std::string SensorCore::RadiusCountersText() const {
  if (!radius) return "";
  const RadiusStats& s = radius->stats();
  return absl::StrCat(
      "radius.requests ", s.requests.load(), "\nradius.bad_authenticator ",
      s.bad_authenticator.load(), "\nradius.malformed ", s.malformed.load(), "\nradius.starts ",
      s.starts.load(), "\nradius.interim_updates ", s.interim_updates.load(), "\nradius.stops ",
      s.stops.load(), "\nradius.without_address ", s.without_address.load(), "\nradius.sessions ",
      s.sessions.load(), "\nradius.duplicates ", s.duplicates.load(), "\nradius.stale ",
      s.stale.load(), "\nradius.table_full ", s.table_full.load(), "\n");
}

}  // namespace xsensor
