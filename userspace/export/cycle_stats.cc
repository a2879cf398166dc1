#include "export/cycle_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xsensor {

bool CycleStats::Record(int64_t took_us, int64_t elapsed_us, int64_t period_us) {
  ++cycles_;
  longest_us_ = std::max(longest_us_, took_us);
  last_took_us_ = took_us;
  last_elapsed_us_ = elapsed_us;
  // b: the cycles whose sending took longer than the period (the specification); records a
  // collector could not take are the skip alert's business, not b's.
  bool overran = took_us > period_us;
  if (overran) ++overruns_;
  return overran;
}

std::string CycleStats::SkipLine(int64_t unix_us, const std::string& what, uint64_t records) {
  return absl::StrCat("[NFLW] very long operation ", LogStamp(unix_us), ": ", records,
                      " records skipped for ", what,
                      " (the link could not take them: queue full or send refused)");
}

std::string LogStamp(int64_t unix_us) {
  time_t secs = static_cast<time_t>(unix_us / 1000000);
  tm t{};
  localtime_r(&secs, &t);
  return absl::StrFormat("[%04d/%02d/%02d-%02d:%02d:%02d:%06d]", t.tm_year + 1900, t.tm_mon + 1,
                         t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                         static_cast<int>(unix_us % 1000000));
}

std::string CycleStats::StatLine(int64_t unix_us) const {
  double percent =
      cycles_ ? 100.0 * static_cast<double>(overruns_) / static_cast<double>(cycles_) : 0.0;
  // Two lines, as the specification's example has them: the header, then {a/b/c%/d/e}.
  return absl::StrFormat("[STAT    ]%s Statistics on NFLW_export :\n{%u/%u/%.2f%%/%dus/%dus}",
                         LogStamp(unix_us), cycles_, overruns_, percent, longest_us_,
                         last_elapsed_us_);
}

std::string CycleStats::AlertLine(int64_t unix_us, int64_t period_us) const {
  return absl::StrCat("[NFLW] very long operation ", LogStamp(unix_us), ": export cycle ", cycles_,
                      " took ", last_took_us_, "us, longer than the ", period_us,
                      "us period; collectors that could not take their messages dropped them "
                      "(counted per collector)");
}

bool AppendLine(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::string out = line + "\n";
  ssize_t n = write(fd, out.data(), out.size());
  close(fd);
  return n == static_cast<ssize_t>(out.size());
}

}  // namespace xsensor
