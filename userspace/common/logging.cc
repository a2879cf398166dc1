#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "absl/strings/string_view.h"

namespace xsensor {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogLine(LogLevel level, absl::string_view message) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char head[64];
  int n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", t.tm_year + 1900,
                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
                   kNames[static_cast<int>(level)]);
  std::string line(head, n > 0 ? static_cast<size_t>(n) : 0);
  line.append(message.data(), message.size());
  line.push_back('\n');
  // One write per line so concurrent threads never interleave within a line.
  ssize_t r = write(STDERR_FILENO, line.data(), line.size());
  (void)r;
}

}  // namespace xsensor
