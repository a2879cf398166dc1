#include "records/dns_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/net_address.h"
#include "common/time_util.h"
#include "parsers/dns/dns_message.h"

namespace xsensor {

DnsLogOptions DnsLogOptions::FromConfig(const Config& c) {
  DnsLogOptions o;
  o.path = c.ajb_dns_path;
  o.max_bytes = c.ajb_dns_fsize;
  o.timeout_us = int64_t{c.ajb_dns_ftimeout} * 60'000'000;
  o.buffer_bytes = c.ajb_dns_bufsize;
  o.fields = c.ajb_save_dns_format;
  return o;
}

namespace {
// An address in a ':'-separated line: IPv6 in brackets, so that the fields still split.
std::string LogIp(const std::string& bytes) {
  return bytes.size() == 16 ? absl::StrCat("[", FormatIp(bytes), "]") : FormatIp(bytes);
}
}  // namespace

std::string FormatDnsLogLine(const schema::Dns& r, const std::vector<std::string>& fields,
                             absl::string_view question) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line.push_back(':');
    const std::string& f = fields[i];
    if (f == "ts")
      absl::StrAppend(&line, r.time_stamp());
    else if (f == "ssid")
      absl::StrAppend(&line, r.session_id());
    else if (f == "login")
      line += r.login();
    else if (f == "ipsrc")
      line += LogIp(r.ip_source());
    else if (f == "ipdst")
      line += LogIp(r.ip_destination());
    else if (f == "psrc")
      absl::StrAppend(&line, r.port_source());
    else if (f == "pdst")
      absl::StrAppend(&line, r.port_destination());
    else if (f == "transport")
      line += r.transport() ? "tcp" : "udp";
    else if (f == "host")
      absl::StrAppend(&line, question.empty() ? absl::string_view(r.domain()) : question);
    else if (f == "rrtype")
      line += DnsTypeName(static_cast<uint16_t>(r.rrtype()));
    else if (f == "rrclass") {
      line += r.rrclass() == 1   ? "IN"
              : r.rrclass() == 3 ? "CH"
              : r.rrclass() == 4 ? "HS"
                                 : absl::StrCat("CLASS", r.rrclass());
    } else if (f == "ttl")
      absl::StrAppend(&line, r.ttl());
    else if (f == "rdlen")
      absl::StrAppend(&line, r.rdata().size());
    else if (f == "rdata") {
      if (!r.rdata().empty()) line += DnsRdataText(static_cast<uint16_t>(r.rrtype()), r.rdata());
    }
  }
  return line;
}

absl::StatusOr<std::unique_ptr<DnsTextLog>> DnsTextLog::Start(const DnsLogOptions& options) {
  auto log = Open(options);
  if (log.ok()) (*log)->Begin();
  return log;
}

void DnsTextLog::Begin() {
  if (!writer_.joinable()) writer_ = std::thread([this] { Run(); });
}

absl::StatusOr<std::unique_ptr<DnsTextLog>> DnsTextLog::Open(const DnsLogOptions& options) {
  std::unique_ptr<DnsTextLog> log(new DnsTextLog(options));
  // A file left by an earlier run is closed off first, never appended to or overwritten.
  struct stat st;
  if (stat(options.path.c_str(), &st) == 0 && st.st_size > 0) {
    std::string to = log->ClosedName();
    if (rename(options.path.c_str(), to.c_str()) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(options.path, ": cannot rename the previous log: ", strerror(errno)));
    }
  }
  return log;
}

DnsTextLog::~DnsTextLog() { Stop(); }

void DnsTextLog::Add(const schema::Dns& rec, absl::string_view question) {
  std::string line = FormatDnsLogLine(rec, options_.fields, question);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  // The queue may hold a few write buffers' worth; beyond that the disk is not keeping up.
  if (stopping_ ||
      queued_bytes_ + line.size() > 4 * std::max<size_t>(options_.buffer_bytes, 1 << 20)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queued_bytes_ += line.size();
  queue_.push_back(std::move(line));
  if (queue_.size() == 1) cv_.notify_one();
}

void DnsTextLog::Emit(const google::protobuf::Message& record) {
  if (record.GetDescriptor() == schema::Dns::descriptor()) {
    Add(static_cast<const schema::Dns&>(record));
  }
}

std::string DnsTextLog::ClosedName() const {
  time_t now = time(nullptr);
  tm t;
  gmtime_r(&now, &t);
  char stamp[32];
  strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &t);
  std::string base = absl::StrCat(options_.path, ".", stamp);
  std::string name = base;
  struct stat st;
  for (int n = 1; stat(name.c_str(), &st) == 0; ++n) name = absl::StrCat(base, ".", n);
  return name;
}

bool DnsTextLog::OpenIfNeeded() {
  if (fd_ >= 0) return true;
  int64_t now = MonotonicMicros();
  if (now < next_open_try_us_) return false;
  fd_ = open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (errno != last_errno_) {
      XS_LOG_ERROR("DNS log ", options_.path, ": ", strerror(errno),
                   " (lines are dropped "
                   "and counted until it can be written)");
      last_errno_ = errno;
    }
    next_open_try_us_ = now + 5'000'000;
    return false;
  }
  struct stat st;
  file_bytes_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  opened_us_ = now;
  return true;
}

void DnsTextLog::Flush() {
  if (buf_.empty()) return;
  size_t lines = 0;
  for (char c : buf_) lines += c == '\n';
  if (!OpenIfNeeded()) {
    dropped_.fetch_add(lines, std::memory_order_relaxed);
    buf_.clear();
    return;
  }
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      errors_.fetch_add(1, std::memory_order_relaxed);
      if (errno != last_errno_) {
        XS_LOG_ERROR("DNS log ", options_.path, ": ", strerror(errno));
        last_errno_ = errno;
      }
      // Whole lines not written are counted as dropped (a partial line is completed with a
      // newline so the next line starts clean).
      size_t unwritten = 0;
      for (size_t i = off; i < buf_.size(); ++i) unwritten += buf_[i] == '\n';
      if (off > 0 && buf_[off - 1] != '\n') {
        (void)!write(fd_, "\n", 1);
        --unwritten;
      }
      dropped_.fetch_add(unwritten, std::memory_order_relaxed);
      lines -= unwritten;
      break;
    }
    off += static_cast<size_t>(n);
    file_bytes_ += static_cast<uint64_t>(n);
  }
  if (off == buf_.size()) last_errno_ = 0;
  written_.fetch_add(lines, std::memory_order_relaxed);
  buf_.clear();
}

void DnsTextLog::Rotate() {
  Flush();
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
  std::string to = ClosedName();
  if (rename(options_.path.c_str(), to.c_str()) != 0) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    XS_LOG_ERROR("DNS log ", options_.path, ": cannot rename to ", to, ": ", strerror(errno));
    return;
  }
  closed_.fetch_add(1, std::memory_order_relaxed);
}

void DnsTextLog::WriteLine(const std::string& line) {
  // Switch before a line that would take the file past its limit (a file holds at least one).
  if (file_bytes_ + buf_.size() > 0 &&
      file_bytes_ + buf_.size() + line.size() > options_.max_bytes) {
    Rotate();
  }
  if (buf_.empty() && fd_ < 0) OpenIfNeeded();
  buf_ += line;
  if (buf_.size() >= options_.buffer_bytes) Flush();
}

void DnsTextLog::Run() {
  std::vector<std::string> batch;
  while (true) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200),
                   [this] { return !queue_.empty() || stopping_; });
      batch.swap(queue_);
      queued_bytes_ = 0;
      stop = stopping_;
    }
    for (const std::string& line : batch) WriteLine(line);
    batch.clear();
    Flush();
    if (fd_ >= 0 && file_bytes_ > 0 && MonotonicMicros() - opened_us_ >= options_.timeout_us) {
      Rotate();
    }
    if (stop) break;
  }
  Rotate();  // the last file is closed off like the others
}

void DnsTextLog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

DnsLogStats DnsTextLog::stats() const {
  return DnsLogStats{written_.load(), dropped_.load(), closed_.load(), errors_.load()};
}

}  // namespace xsensor
