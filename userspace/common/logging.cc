#include "common/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace xsensor {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
constexpr const char* kPriorities[] = {"<7>", "<6>", "<4>", "<3>"};  // sd-daemon.h
std::atomic<bool> g_journal{false};
std::once_flag g_detected;

// JOURNAL_STREAM is "device:inode" of the journal's stream; stderr is the journal when its
// own device and inode are those (a redirection by the operator makes them differ).
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env) return false;
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(env, ':');
  uint64_t dev = 0, ino = 0;
  struct stat st;
  return absl::SimpleAtoi(parts.first, &dev) && absl::SimpleAtoi(parts.second, &ino) &&
         fstat(STDERR_FILENO, &st) == 0 && static_cast<uint64_t>(st.st_dev) == dev &&
         static_cast<uint64_t>(st.st_ino) == ino;
}
}  // namespace

void DetectJournalStderr() { g_journal.store(StderrIsJournal()); }

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogLine(LogLevel level, absl::string_view message) {
  std::call_once(g_detected, [] {
    if (!g_journal.load()) DetectJournalStderr();
  });
  if (g_journal.load(std::memory_order_relaxed)) {
    std::string line = kPriorities[static_cast<int>(level)];
    line.append(message.data(), message.size());
    line.push_back('\n');
    ssize_t r = write(STDERR_FILENO, line.data(), line.size());
    (void)r;
    return;
  }
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
