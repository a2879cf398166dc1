// xsensor-recv: the IPFIX receiver. Listens on UDP and TCP, decodes what xsensor (or any
// exporter using the same templates) sends, and prints one JSON line per record (or a table).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "receiver/clickhouse.h"
#include "receiver/receiver.h"

ABSL_FLAG(std::vector<std::string>, udp, {},
          "Listen for IPFIX over UDP on ADDR:PORT (repeatable, comma-separated)");
ABSL_FLAG(std::vector<std::string>, tcp, {},
          "Listen for IPFIX over TCP on ADDR:PORT (repeatable, comma-separated)");
ABSL_FLAG(std::string, format, "json", "json (one object per line) or table");
ABSL_FLAG(std::string, out, "", "Write records here instead of stdout");
ABSL_FLAG(std::string, raw, "", "Also save every received message verbatim (an IPFIX file)");
ABSL_FLAG(std::string, ready_file, "", "Write the bound endpoints here once listening");
ABSL_FLAG(int, idle_exit_ms, 0, "Exit after this long without data (once data came)");
ABSL_FLAG(int, exit_after_tcp_sessions, 0, "Exit after this many TCP sessions have closed");
ABSL_FLAG(uint64_t, max_records, 0, "Exit after this many records");
ABSL_FLAG(int, max_run_ms, 0, "Exit after this long in any case");
ABSL_FLAG(uint32_t, max_tcp_sessions, 1024, "TCP connections at once (more are closed)");
ABSL_FLAG(uint32_t, max_tcp_sessions_per_peer, 64,
          "TCP connections at once from one address (more are closed: one host cannot take them "
          "all)");
ABSL_FLAG(uint32_t, tcp_idle_s, 3600, "Close a TCP connection silent this long");
ABSL_FLAG(uint32_t, max_udp_sessions, 4096, "UDP exporter addresses remembered at once");
ABSL_FLAG(uint32_t, udp_idle_s, 1800, "Forget a UDP exporter (and its templates) silent this long");
ABSL_FLAG(std::vector<std::string>, clickhouse, {},
          "Store every record in ClickHouse: http://[user[:password]@]host[:port][/database] "
          "(repeatable, comma-separated: the shards of --clickhouse-cluster; database xsensor "
          "by default)");
ABSL_FLAG(std::string, clickhouse_cluster, "",
          "Write to Distributed tables over this cluster of the servers' remote_servers, sharded "
          "by SESSION_ID; the local tables are created on every --clickhouse server");
ABSL_FLAG(uint32_t, clickhouse_ttl_days, 0, "Keep this many days of records (0: all)");
ABSL_FLAG(uint32_t, clickhouse_batch_rows, 20000, "Rows per insert (at most)");
ABSL_FLAG(uint32_t, clickhouse_flush_ms, 1000, "Send a batch at least this often");
ABSL_FLAG(uint32_t, clickhouse_queue_mb, 256,
          "Rows waiting for the server beyond this are dropped (and counted)");
ABSL_FLAG(uint32_t, clickhouse_close_ms, 30000,
          "At exit, wait this long for a server to take what is queued");
ABSL_FLAG(bool, print_ddl, false,
          "Print the ClickHouse tables (for the --clickhouse server's version when given, else "
          "for 18.16) and exit");

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

// Abseil keeps only the last value of a repeated flag; --udp and --tcp accumulate.
std::vector<std::string> AllValues(int argc, char** argv, const std::string& name) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    if (a == "--" + name && i + 1 < argc) {
      v = argv[++i];
    } else if (a.rfind("--" + name + "=", 0) == 0) {
      v = a.substr(name.size() + 3);
    } else {
      continue;
    }
    for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipEmpty())) {
      out.emplace_back(part);
    }
  }
  return out;
}

// Flags may be spelt with dashes (--clickhouse-cluster) as well as underscores.
void UnderscoreFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0) continue;
    for (char* c = argv[i] + 2; *c && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "xsensor-recv --udp ADDR:PORT --tcp ADDR:PORT [--format table] [--clickhouse URL]");
  UnderscoreFlagNames(argc, argv);
  // --help lists this tool's flags (Abseil matches flag files by the program's name, and the
  // file is xsensor_recv.cc, the program xsensor-recv).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "xsensor_recv.");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  // --help: this tool's flags, exit 0, no build paths (Abseil's own ends with status 1).
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-help" || a == "-h" || a == "--helpfull" || a == "--helpshort") {
      std::vector<const absl::CommandLineFlag*> flags;
      for (const auto& [name, flag] : absl::GetAllFlags()) {
        if (absl::StrContains(flag->Filename(), "xsensor_recv.")) flags.push_back(flag);
      }
      std::sort(flags.begin(), flags.end(),
                [](const auto* x, const auto* y) { return x->Name() < y->Name(); });
      std::cout << absl::ProgramUsageMessage() << "\n\nOptions:\n";
      for (const auto* f : flags) {
        std::cout << "  --" << f->Name() << "  " << f->Help()
                  << " (default: " << (f->DefaultValue().empty() ? "none" : f->DefaultValue())
                  << ")\n";
      }
      return 0;
    }
  }
  absl::ParseCommandLine(argc, argv);
  using namespace xsensor;
  if (const std::string f = absl::GetFlag(FLAGS_format); f != "json" && f != "table") {
    XS_LOG_ERROR("--format '", f, "': json or table");
    return 2;
  }
  std::unique_ptr<ClickHouseSink> sink;
  ClickHouseOptions ch;
  for (const std::string& url : AllValues(argc, argv, "clickhouse")) {
    auto server = ParseClickHouseUrl(url);
    if (!server.ok()) {
      XS_LOG_ERROR("--clickhouse ", server.status().message());
      return 2;
    }
    // The password from the environment (a unit's EnvironmentFile), not from argv where any
    // local user can read it.
    if (const char* pw = getenv("XSENSOR_RECV_CLICKHOUSE_PASSWORD");
        pw && server->password.empty()) {
      server->password = pw;
    }
    ch.servers.push_back(*server);
  }
  ch.cluster = absl::GetFlag(FLAGS_clickhouse_cluster);
  for (char c : ch.cluster) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') {
      XS_LOG_ERROR("--clickhouse-cluster '", ch.cluster, "': letters, digits, _ and - only");
      return 2;
    }
  }
  ch.ttl_days = absl::GetFlag(FLAGS_clickhouse_ttl_days);
  ch.batch_rows = std::max(absl::GetFlag(FLAGS_clickhouse_batch_rows), 1u);
  ch.flush_ms = static_cast<int>(std::min(absl::GetFlag(FLAGS_clickhouse_flush_ms), 3600000u));
  ch.max_queue_bytes = size_t{absl::GetFlag(FLAGS_clickhouse_queue_mb)} << 20;
  if (absl::GetFlag(FLAGS_print_ddl)) {
    ClickHouseFeatures features;
    std::string database = ch.servers.empty() ? "xsensor" : ch.servers[0].database;
    if (!ch.servers.empty()) {
      auto probed = ProbeClickHouse(ch.servers[0]);
      if (!probed.ok()) {
        XS_LOG_ERROR("--print-ddl: ", probed.status().message());
        return 1;
      }
      features = *probed;
    }
    std::cout << "-- xsensor tables for ClickHouse " << features.major << "." << features.minor
              << "\n";
    for (const std::string& sql : ClickHouseDdl(ch, features, database)) {
      std::cout << sql << ";\n\n";
    }
    return 0;
  }
  if (!ch.cluster.empty() && ch.servers.empty()) {
    XS_LOG_ERROR("--clickhouse-cluster needs the shards' --clickhouse URLs");
    return 2;
  }
  std::vector<Endpoint> udp, tcp;
  for (const auto& [list, out] : {std::pair{AllValues(argc, argv, "udp"), &udp},
                                  std::pair{AllValues(argc, argv, "tcp"), &tcp}}) {
    for (const auto& s : list) {
      auto ep = ParseEndpoint(s, /*allow_port_zero=*/true);
      if (!ep.ok()) {
        XS_LOG_ERROR(ep.status().message());
        return 2;
      }
      out->push_back(*ep);
    }
  }
  if (udp.empty() && tcp.empty()) {
    XS_LOG_ERROR("nothing to listen on: give --udp and/or --tcp");
    return 2;
  }
  auto receiver = Receiver::Create(udp, tcp);
  if (!receiver.ok()) {
    XS_LOG_ERROR(receiver.status().message());
    return 2;
  }
  if (!ch.servers.empty()) sink = std::make_unique<ClickHouseSink>(ch);
  std::ofstream file;
  std::ostream* out = sink && absl::GetFlag(FLAGS_out).empty() ? nullptr : &std::cout;
  if (!absl::GetFlag(FLAGS_out).empty()) {
    file.open(absl::GetFlag(FLAGS_out));
    if (!file) {
      XS_LOG_ERROR(absl::GetFlag(FLAGS_out), ": cannot open");
      return 2;
    }
    out = &file;
  }
  std::ofstream raw;
  if (!absl::GetFlag(FLAGS_raw).empty()) {
    raw.open(absl::GetFlag(FLAGS_raw), std::ios::binary);
    if (!raw) {
      XS_LOG_ERROR(absl::GetFlag(FLAGS_raw), ": cannot open");
      return 2;
    }
    (*receiver)->set_message_callback([&raw](absl::string_view m) {
      raw.write(m.data(), static_cast<std::streamsize>(m.size()));
    });
  }
  bool table = absl::GetFlag(FLAGS_format) == "table";
  (*receiver)->set_record_callback([&](ReceivedRecord& r) {
    if (sink) sink->Add(r);
    if (!out) return;
    *out << (table ? RecordToTable(r) : RecordToJson(r)) << (table ? "" : "\n");
    out->flush();
  });
  std::string ready;
  for (const auto& ep : (*receiver)->udp_endpoints()) ready += "udp " + ep.ToString() + "\n";
  for (const auto& ep : (*receiver)->tcp_endpoints()) ready += "tcp " + ep.ToString() + "\n";
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    std::string tmp = absl::GetFlag(FLAGS_ready_file) + ".tmp";
    std::ofstream(tmp) << ready;
    std::rename(tmp.c_str(), absl::GetFlag(FLAGS_ready_file).c_str());
  }
  XS_LOG_INFO("listening: ", ready);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  ReceiverLimits limits;
  limits.idle_exit_ms = absl::GetFlag(FLAGS_idle_exit_ms);
  limits.tcp_sessions_to_close = absl::GetFlag(FLAGS_exit_after_tcp_sessions);
  limits.max_records = absl::GetFlag(FLAGS_max_records);
  limits.max_run_ms = absl::GetFlag(FLAGS_max_run_ms);
  limits.max_tcp_sessions = absl::GetFlag(FLAGS_max_tcp_sessions);
  limits.max_tcp_sessions_per_peer = absl::GetFlag(FLAGS_max_tcp_sessions_per_peer);
  limits.tcp_idle_ms = static_cast<int>(std::min(absl::GetFlag(FLAGS_tcp_idle_s), 2000000u) * 1000);
  limits.max_udp_sessions = absl::GetFlag(FLAGS_max_udp_sessions);
  limits.udp_idle_ms = static_cast<int>(std::min(absl::GetFlag(FLAGS_udp_idle_s), 2000000u) * 1000);
  (*receiver)->Run(limits, &g_stop);
  DecoderStats st = (*receiver)->TotalStats();
  const ReceiverStats& rs = (*receiver)->stats();
  XS_LOG_INFO("received ", st.messages, " messages, ", st.templates, " templates, ", st.records,
              " records; malformed ", st.malformed, ", without template ", st.missing_template,
              ", lost by sequence ", st.sequence_gaps, ", late ", st.sequence_late,
              ", templates refused ", st.templates_refused, "; tcp refused ", rs.tcp_refused, " (",
              rs.tcp_refused_peer, " by address)", ", idle closed ", rs.tcp_idle_closed,
              ", broken ", rs.tcp_broken, "; udp sessions pruned ", rs.udp_sessions_pruned,
              "; accept errors ", rs.accept_errors);
  if (!sink) return 0;
  bool whole =
      sink->Close(static_cast<int>(std::min(absl::GetFlag(FLAGS_clickhouse_close_ms), 3600000u)));
  ClickHouseStats cs = sink->stats();
  XS_LOG_INFO("clickhouse: ", cs.rows_inserted, " rows inserted in ", cs.batches_inserted,
              " batches; failed attempts ", cs.insert_failures, "; dropped: queue full ",
              cs.rows_dropped_overflow, ", refused ", cs.rows_dropped_refused,
              ", unknown template ", cs.rows_dropped_unknown, "; old partitions dropped ",
              cs.partitions_dropped);
  return whole && cs.rows_dropped_overflow + cs.rows_dropped_refused == 0 ? 0 : 1;
}
