// The DNS text log (ajb_* keys): one line per dns record, the configured fields in order,
// separated by a tab (IPv6 addresses and RDATA hold colons). Workers hand lines to a writer
// thread through a bounded queue and never wait for the disk (a full queue drops and counts).
// The writer keeps a write buffer of `buffer_bytes`, switches to a new file when the current
// one would exceed `max_bytes` or when it is non-empty and `timeout` has passed, and renames
// closed files to PATH.YYYYMMDD-HHMMSS (with .N added rather than overwrite anything). Lines
// are written whole: none is lost or split by a switch or by Stop(). An unwritable path or a
// full disk is logged once, counted, retried, and the sensor goes on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "schema/record_sink.h"
#include "xsensor/records.pb.h"

namespace xsensor {

struct DnsLogOptions {
  std::string path;
  uint64_t max_bytes = 100 << 20;
  int64_t timeout_us = 3600'000'000;
  size_t buffer_bytes = 1 << 20;
  std::vector<std::string> fields;
  static DnsLogOptions FromConfig(const Config& c);
};

struct DnsLogStats {
  uint64_t lines_written = 0;
  uint64_t lines_dropped = 0;  // queue full, or the file could not be written
  uint64_t files_closed = 0;
  uint64_t write_errors = 0;
};

// One line for `rec` in the configured field order (without the newline), the fields separated
// by ':' as the specification writes the format (an IPv6 ipsrc/ipdst in brackets; rdata, last
// by default, as it is). `host` is the name
// that was asked (`question`; the record's own name when not given), as the specification
// says, not the answer's owner (a CNAME chain's target).
std::string FormatDnsLogLine(const schema::Dns& rec, const std::vector<std::string>& fields,
                             absl::string_view question = {});

class DnsTextLog : public RecordSink {
 public:
  // Open (the previous file closed off) and Begin (the writer thread); Start does both.
  static absl::StatusOr<std::unique_ptr<DnsTextLog>> Start(const DnsLogOptions& options);
  static absl::StatusOr<std::unique_ptr<DnsTextLog>> Open(const DnsLogOptions& options);
  // Starts the writer thread (once): lines added before it wait in the queue. A process that
  // drops its privileges calls it after the drop, so that the thread has none (capabilities are
  // per thread: a thread started earlier keeps them).
  void Begin();
  ~DnsTextLog();
  DnsTextLog(const DnsTextLog&) = delete;
  DnsTextLog& operator=(const DnsTextLog&) = delete;

  // Thread-safe; never blocks on I/O.
  void Add(const schema::Dns& rec, absl::string_view question = {});
  // RecordSink: `dns` records are logged, others ignored.
  void Emit(const google::protobuf::Message& record) override;
  // Writes everything queued, closes and renames the current file, stops the writer.
  void Stop();
  DnsLogStats stats() const;

 private:
  explicit DnsTextLog(const DnsLogOptions& options) : options_(options) {}
  void Run();
  void WriteLine(const std::string& line);
  void Flush();
  void Rotate();
  bool OpenIfNeeded();
  std::string ClosedName() const;

  DnsLogOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::thread writer_;
  // Writer thread only:
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
  int64_t opened_us_ = 0;
  int64_t next_open_try_us_ = 0;
  std::string buf_;
  int last_errno_ = 0;
  // Shared counters.
  std::atomic<uint64_t> written_{0}, dropped_{0}, closed_{0}, errors_{0};
};

}  // namespace xsensor
