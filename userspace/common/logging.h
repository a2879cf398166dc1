// Minimal leveled logging to stderr (one write per line, so lines from threads never mix).
// The operational logs of the spec (statistics, alert) are separate files owned by export/.
// When stderr is the systemd journal (JOURNAL_STREAM names it, as systemd sets it for a
// service), each line starts with its syslog priority ("<3>" error, "<4>" warning, "<6>" info,
// "<7>" debug) instead of a time stamp: `journalctl -p err` then finds the errors.
#pragma once

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace xsensor {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogLine(LogLevel level, absl::string_view message);
// Looks again whether stderr is the journal (done once, before the first line, otherwise).
void DetectJournalStderr();

template <typename... Args>
void Log(LogLevel level, const Args&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, absl::StrCat(args...));
}

#define XS_LOG_INFO(...) ::xsensor::Log(::xsensor::LogLevel::kInfo, __VA_ARGS__)
#define XS_LOG_WARN(...) ::xsensor::Log(::xsensor::LogLevel::kWarning, __VA_ARGS__)
#define XS_LOG_ERROR(...) ::xsensor::Log(::xsensor::LogLevel::kError, __VA_ARGS__)
#define XS_LOG_DEBUG(...) ::xsensor::Log(::xsensor::LogLevel::kDebug, __VA_ARGS__)

}  // namespace xsensor
