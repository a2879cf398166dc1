// The export cycle statistics of SPEC.md. Every `netflow_timeout` seconds the exporter runs a
// cycle (sends every open message, makes progress on every collector) and, with bit 0x80 of
// `dbg_log_mask`, appends to `log_dir/fastdpi_stat.log` exactly
//   [STAT    ][YYYY/MM/DD-HH:MM:SS:uuuuuu] Statistics on NFLW_export : {a/b/c%/d/e}
// a = cycles run; b = cycles whose sending took longer than the cycle period; c = 100*b/a with
// two decimals; d = the longest cycle's sending, in µs; e = the time since the previous cycle
// (the period as it ran), in µs. A cycle that overran its period also appends to
// `log_dir/fastdpi_alert.log` a `[NFLW] very long operation ...` line. Both files are opened
// for each line, so logrotate needs no signal.
#pragma once

#include <cstdint>
#include <string>

namespace xsensor {

class CycleStats {
 public:
  // One cycle whose sending took `took_us`, `elapsed_us` after the previous one, against a
  // configured period of `period_us`. Returns true when it overran the period. A cycle in
  // which records were skipped (`skipped`: dropped for a collector or before the exporter)
  // counts among the bad cycles (b) too: the link to a collector was too poor for it.
  bool Record(int64_t took_us, int64_t elapsed_us, int64_t period_us);
  // The statistics line for wall-clock time `unix_us` (local time, like the spec's example).
  std::string StatLine(int64_t unix_us) const;
  // The alert line for the last cycle.
  std::string AlertLine(int64_t unix_us, int64_t period_us) const;
  // The alert line for `records` skipped for `what` (a collector, a worker's queue).
  static std::string SkipLine(int64_t unix_us, const std::string& what, uint64_t records);

  uint64_t cycles() const { return cycles_; }
  uint64_t overruns() const { return overruns_; }
  int64_t longest_us() const { return longest_us_; }

 private:
  uint64_t cycles_ = 0;
  uint64_t overruns_ = 0;
  int64_t longest_us_ = 0;
  int64_t last_took_us_ = 0;
  int64_t last_elapsed_us_ = 0;
};

// "[YYYY/MM/DD-HH:MM:SS:uuuuuu]" in local time.
std::string LogStamp(int64_t unix_us);
// Appends `line` and a newline to `path`; false (and errno) when it cannot.
bool AppendLine(const std::string& path, const std::string& line);

}  // namespace xsensor
