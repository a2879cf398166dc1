// xsensor: reads traffic (a capture file with --pcap, or live from NIC queues through XDP and
// AF_XDP with --interface), extracts application metadata and exports it as IPFIX to the
// configured collectors. Exits 0 after everything read was exported (pcap) or, live, after
// SIGINT/SIGTERM once capture stopped, the exporter flushed and the program detached.
// `xsensor --stats` prints the metrics of a running sensor as a table.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "capture/pcap_source.h"
#include "common/build_info.h"
#include "common/logging.h"
#include "common/sd_notify.h"
#include "common/time_util.h"
#include "config/config.h"
#include "export/exporter.h"
#include "parsers/dns/name_cache.h"
#include "records/dns_log.h"
#include "records/login_map.h"
#include "sensor/config_check.h"
#include "sensor/live.h"
#include "sensor/metrics.h"
#include "sensor/offline.h"
#include "sensor/placement.h"
#include "sensor/privileges.h"
#include "sensor/report.h"
#include "sensor/worker.h"

ABSL_FLAG(std::string, config, "", "Configuration file (key=value lines)");
ABSL_FLAG(std::string, pcap, "", "Read frames from this pcap/pcapng file, export, and exit");
ABSL_FLAG(std::string, interface, "", "Capture live on these interfaces (comma-separated)");
ABSL_FLAG(std::string, counters_out, "",
          "Write the final counters (live: also on SIGUSR1) to this file");
ABSL_FLAG(bool, print_counters, true, "Print the final counters to stderr");
ABSL_FLAG(bool, verbose, false, "Debug logging");
ABSL_FLAG(bool, strict, false,
          "--pcap: exit with status 3 when records could not be delivered to a collector");
ABSL_FLAG(bool, progress, true,
          "--pcap: show progress (frames, share of the file, rate) when stderr is a terminal");
ABSL_FLAG(bool, stats, false,
          "Print the metrics of the sensor running with this configuration (its metrics_listen "
          "endpoint) once as a table, and exit");
ABSL_FLAG(bool, all, false, "--stats, and the counters printed at the end: zeros too");
ABSL_FLAG(bool, count_only, false,
          "Read, parse and count without exporting anything (a configuration with no collector "
          "and no DNS text log is refused without it)");
ABSL_FLAG(bool, check_config, false,
          "Load the configuration (file and flags), report what is wrong with it, and exit: 0 "
          "when it is usable, 2 when not");
ABSL_FLAG(bool, print_config, false,
          "Print a configuration file with every key, its default and its meaning, and exit");

namespace {
std::atomic<bool> g_stop{false};
std::atomic<bool> g_dump{false};
std::atomic<bool> g_reload{false};
void OnSignal(int) { g_stop.store(true); }
void OnDump(int) { g_dump.store(true); }
void OnReload(int) { g_reload.store(true); }

// SIGHUP: the login map file is read again (the old map stays if the new file is bad).
template <typename ReloadFn>
void ReloadIfAsked(ReloadFn reload) {
  if (!g_reload.exchange(false)) return;
  absl::Status s = reload();
  if (s.ok()) {
    XS_LOG_INFO("SIGHUP: login map reloaded");
  } else {
    XS_LOG_ERROR("SIGHUP: ", s.message(), " (the previous login map stays)");
  }
}

int WriteCounters(const std::string& counters) {
  if (absl::GetFlag(FLAGS_print_counters)) {
    // On the terminal what happened (zeros with --all); the file (--counters_out) has every
    // counter, for scripts.
    for (absl::string_view line : absl::StrSplit(counters, '\n', absl::SkipEmpty())) {
      if (absl::GetFlag(FLAGS_all) || !absl::EndsWith(line, " 0")) std::cerr << line << "\n";
    }
  }
  std::string out = absl::GetFlag(FLAGS_counters_out);
  if (!out.empty()) {
    // Written whole, then renamed: a reader never sees half a snapshot.
    std::string tmp = out + ".tmp";
    std::ofstream f(tmp);
    f << counters;
    f.close();
    if (!f || std::rename(tmp.c_str(), out.c_str()) != 0) {
      XS_LOG_ERROR(out, ": cannot write counters");
      return 1;
    }
  }
  return 0;
}
// The end of a run, live or offline: `head` (what was read), what went where, and what was not
// delivered (--strict: exit status 3). Returns the exit status.
int EndSummary(const xsensor::Exporter& exporter, const std::string& head, int rc) {
  uint64_t undelivered = 0;
  const std::string summary = xsensor::DeliverySummary(exporter, &undelivered);
  XS_LOG_INFO(head);
  for (absl::string_view line : absl::StrSplit(summary, '\n', absl::SkipEmpty())) {
    XS_LOG_INFO(line);
  }
  if (undelivered > 0) {
    XS_LOG_WARN(undelivered, " records were not delivered to their collectors",
                absl::GetFlag(FLAGS_strict) ? " (--strict: exit status 3)" : "");
    if (absl::GetFlag(FLAGS_strict) && rc == 0) rc = 3;
  }
  return rc;
}
}  // namespace

static void PrintHelp() {
  std::cout << absl::ProgramUsageMessage() << "\n\nOptions:\n";
  std::vector<const absl::CommandLineFlag*> program;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "xsensor_main")) program.push_back(flag);
  }
  std::sort(program.begin(), program.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  for (const auto* f : program) {
    std::cout << "  --" << f->Name() << "  " << f->Help()
              << " (default: " << (f->DefaultValue().empty() ? "none" : f->DefaultValue()) << ")\n";
  }
  std::cout
      << "\nConfiguration keys (KEY=VALUE in --config FILE, or --KEY=VALUE; the flag wins):\n";
  for (const auto& k : xsensor::ConfigKeys()) {
    std::cout << "  " << k.key
              << " (default: " << (k.default_value.empty() ? "empty" : k.default_value) << ")  "
              << k.help << "\n";
  }
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xsensor --config FILE (--pcap FILE | --interface IFACE[,IFACE...]) [--KEY=VALUE ...]\n"
      "Every configuration key is also a flag; flags override the file.");
  absl::FlagsUsageConfig usage;
  usage.version_string = [] {  // --version: the release and the commit it was built from
    const std::string commit = xsensor::BuildCommit();
    return absl::StrCat("xsensor ", xsensor::BuildVersion(),
                        commit.empty() ? "" : absl::StrCat(" (", commit, ")"), "\n");
  };
  absl::SetFlagsUsageConfig(usage);
  // --help: what an operator types first; the program's flags and every configuration key, and
  // a success (Abseil's own help ends with status 1 and names the build tree's files).
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-help" || a == "-h" || a == "--helpfull" || a == "--helpshort") {
      PrintHelp();
      return 0;
    }
  }
  absl::ParseCommandLine(argc, argv);
  using namespace xsensor;
  if (absl::GetFlag(FLAGS_verbose)) SetLogLevel(LogLevel::kDebug);
  if (absl::GetFlag(FLAGS_print_config)) {
    for (const auto& k : ConfigKeys()) {
      std::cout << "# " << k.help << "\n# accepts " << k.accepts << "\n"
                << k.key << "=" << k.default_value << "\n\n";
    }
    return 0;
  }

  std::vector<std::string> warnings;
  auto config = LoadConfig(absl::GetFlag(FLAGS_config), &warnings);
  for (const auto& w : warnings) XS_LOG_WARN(w);
  const size_t warnings_logged = warnings.size();
  if (!config.ok()) {
    XS_LOG_ERROR(config.status().message());
    return 2;
  }
  // Values that parse but cannot be used here: refused the same way by --check_config and at
  // start, before anything is touched.
  if (absl::Status env = CheckConfigEnvironment(*config, &warnings); !env.ok()) {
    XS_LOG_ERROR(env.message());
    return 2;
  }
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i >= warnings_logged) XS_LOG_WARN(warnings[i]);
  }
  // A sensor that would export nothing is refused, not run: it would look healthy and send
  // nothing (the packaged configuration has no collector until the operator gives one).
  if (!absl::GetFlag(FLAGS_stats) && !absl::GetFlag(FLAGS_count_only) &&
      !ExportsAnything(*config)) {
    XS_LOG_ERROR(
        absl::GetFlag(FLAGS_config).empty() ? "the configuration" : absl::GetFlag(FLAGS_config),
        ": nothing would be exported: no collector (ipfix_tcp_collectors, "
        "ipfix_udp_collectors, ipfix_meta_*_collectors, ipfix_dns_*_collectors) and no "
        "DNS text log (ajb_save_dns=on); give one, or --count_only to read and count only");
    return 2;
  }
  // The live capture interfaces (--interface, else in_dev), and whether the capture mode fits
  // them: refused by --check_config as at start (a mirror of a host's own interface, inline on
  // one interface or without a bridge).
  std::vector<std::string> ifaces = config->in_dev;
  if (const std::string flag = absl::GetFlag(FLAGS_interface); !flag.empty()) {
    ifaces = absl::StrSplit(flag, ',', absl::SkipEmpty());
  }
  if (absl::GetFlag(FLAGS_pcap).empty() && !ifaces.empty()) {
    if (absl::Status st = CheckPlacement(*config, ifaces); !st.ok()) {
      XS_LOG_ERROR(st.message());
      return 2;
    }
  }
  if (absl::GetFlag(FLAGS_check_config)) {
    std::cout << (absl::GetFlag(FLAGS_config).empty() ? "defaults" : absl::GetFlag(FLAGS_config))
              << ": configuration ok" << (warnings.empty() ? "" : " (with warnings above)") << "\n";
    return 0;
  }
  if (absl::GetFlag(FLAGS_stats)) {
    if (!config->metrics_listen) {
      XS_LOG_ERROR(
          "--stats: metrics_listen is off; give the running sensor's address with "
          "--metrics_listen=ADDR:PORT");
      return 2;
    }
    auto text = FetchMetrics(*config->metrics_listen, 3000);
    if (!text.ok()) {
      XS_LOG_ERROR("--stats: ", text.status().message());
      return 1;
    }
    auto table = MetricsTable(*text, absl::GetFlag(FLAGS_all));
    if (!table.ok()) {
      XS_LOG_ERROR("--stats: ", table.status().message());
      return 1;
    }
    std::cout << *table;
    return 0;
  }
  std::string pcap = absl::GetFlag(FLAGS_pcap);
  std::string iface = absl::GetFlag(FLAGS_interface);
  if (pcap.empty() == (iface.empty() && config->in_dev.empty())) {
    XS_LOG_ERROR("give exactly one input: --pcap FILE or --interface IFACE (config key in_dev)");
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, OnReload);

  if (pcap.empty()) {
    auto live = LiveSensor::Create(*config, ifaces);
    if (!live.ok()) {
      XS_LOG_ERROR(live.status().message());
      return 2;
    }
    if (config->drop_privileges || !config->user.empty()) {
      PrivilegeDrop drop;
      drop.user = config->user;
      drop.dirs.push_back(config->log_dir);
      if (const std::string out = absl::GetFlag(FLAGS_counters_out); !out.empty()) {
        const size_t slash = out.rfind('/');  // the counters' folder (SIGUSR1, at the stop)
        if (slash != std::string::npos && slash > 0) drop.dirs.push_back(out.substr(0, slash));
      }
      if (config->ajb_save_dns && !config->ajb_dns_path.empty()) {
        // The log's folder (the log is renamed there when it is switched), not the log itself.
        const std::string parent = std::filesystem::path(config->ajb_dns_path).parent_path();
        if (!parent.empty()) drop.dirs.push_back(parent);
      }
      drop.keep = CapabilitiesNeededLater(!config->ipfix_dev.empty());
      if (auto s = DropPrivileges(drop); !s.ok()) {
        XS_LOG_ERROR(s.message());
        return 2;
      }
      XS_LOG_INFO("privileges dropped", config->user.empty() ? "" : " to user ", config->user,
                  "; effective capabilities 0x", absl::Hex(EffectiveCapabilities()));
    }
    const std::string capturing =
        absl::StrCat("capturing on ", absl::StrJoin(ifaces, ","), " with ", (*live)->workers(),
                     " workers, ", (*live)->mode_description());
    XS_LOG_INFO(capturing, "; SIGINT/SIGTERM to stop");
    // SIGUSR1: write the counters now (to --counters_out, else stderr).
    std::signal(SIGUSR1, OnDump);
    // Under systemd (Type=notify): ready once the program is attached and the sockets bound;
    // keep-alives at half the watchdog period from the loop that drains the workers, so a
    // stuck exporter loop is restarted; "stopping" as soon as a stop is asked.
    SdNotify(absl::StrCat("READY=1\nSTATUS=", capturing));
    const int64_t watchdog_us = SdWatchdogMicros();
    int64_t watchdog_last = MonotonicMicros();
    bool stopping = false;
    LiveSensor* sensor = live->get();
    const int64_t started = MonotonicMicros();
    const int64_t status_us = int64_t{config->status_interval} * 1'000'000;
    int64_t status_last = started;
    (*live)->Run(&g_stop, [&] {
      if (status_us > 0 && !stopping) {
        const int64_t now = MonotonicMicros();
        if (now - status_last >= status_us) {
          status_last = now;
          const std::string status = sensor->StatusLine();
          XS_LOG_INFO("status: ", status);
          SdNotify(absl::StrCat("STATUS=", capturing, "; ", status));
        }
      }
      if (g_dump.exchange(false)) WriteCounters(sensor->CountersText());
      ReloadIfAsked([sensor] { return sensor->ReloadLogins(); });
      if (!stopping && g_stop.load()) {
        stopping = true;
        SdNotify("STOPPING=1\nSTATUS=stopping: ending flows and exporting the rest");
      }
      if (watchdog_us > 0) {
        const int64_t now = MonotonicMicros();
        if (now - watchdog_last >= watchdog_us / 2) {
          SdNotify("WATCHDOG=1");
          watchdog_last = now;
        }
      }
    });
    int rc = WriteCounters((*live)->CountersText());
    // The summary, as an offline run ends.
    const double seconds = std::max(1e-6, (MonotonicMicros() - started) / 1e6);
    return EndSummary(
        sensor->exporter(),
        absl::StrCat(absl::StrJoin(ifaces, ","), ": ", sensor->FramesReceived(), " frames read in ",
                     absl::StrFormat("%.0f s", seconds), "; ", sensor->StatusLine()),
        rc);
  }

  auto offline = OfflineSensor::Create(*config);
  if (!offline.ok()) {
    XS_LOG_ERROR(offline.status().message());
    return 2;
  }
  OfflineSensor* sensor = offline->get();
  // On a terminal: one line rewritten in place twice a second (frames, share of the file, rate).
  const bool show_progress = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  const int64_t started = MonotonicMicros();
  int64_t shown = started;
  bool progress_shown = false;
  auto result = sensor->Run(pcap, &g_stop, [&] {
    if (!config->login_map_file.empty()) ReloadIfAsked([&] { return sensor->ReloadLogins(); });
    if (!show_progress) return;
    const int64_t now = MonotonicMicros();
    if (now - shown < 500'000) return;
    shown = now;
    const OfflineSensor::Progress& p = sensor->progress();
    std::string line = absl::StrFormat("\r%s: %.2f M frames", pcap, p.frames / 1e6);
    if (p.file_bytes > 0) {
      absl::StrAppend(&line, absl::StrFormat(" (%.0f%%)", 100.0 * p.bytes / p.file_bytes));
    }
    absl::StrAppend(&line, absl::StrFormat(", %.2f M frames/s \033[K",
                                           p.frames / static_cast<double>(now - started)));
    progress_shown = write(STDERR_FILENO, line.data(), line.size()) > 0;
  });
  if (progress_shown) {
    const char clear[] = "\r\033[K";
    progress_shown = write(STDERR_FILENO, clear, sizeof(clear) - 1) > 0;
  }
  if (!result.ok()) {
    XS_LOG_ERROR(result.status().message());
    return 2;
  }
  if (result->truncated) {
    XS_LOG_WARN(pcap, ": read stopped at a damaged record after ", result->frames,
                " frames: ", result->error);
  }
  std::string counters = sensor->CountersText();
  absl::StrAppend(&counters, "capture.frames_read ", result->frames, "\n", "capture.damaged_tail ",
                  result->truncated ? 1 : 0, "\n");
  int rc = WriteCounters(counters);
  // The summary, last: what was read, what went where, and whether anything was not delivered.
  const double seconds = std::max(1e-6, (MonotonicMicros() - started) / 1e6);
  return EndSummary(sensor->exporter(),
                    absl::StrCat(pcap, ": ", result->frames, " frames in ",
                                 absl::StrFormat("%.2f s (%.2f M frames/s)", seconds,
                                                 result->frames / seconds / 1e6)),
                    rc);
}
