#include "sensor/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/build_info.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace xsensor {
namespace {

constexpr size_t kMaxConnections = 16;
constexpr size_t kMaxRequestBytes = 8192;
constexpr int64_t kConnectionTimeoutUs = 5'000'000;

void AppendEscaped(std::string* out, absl::string_view v) {
  for (char ch : v) {
    if (ch == '\\') {
      out->append("\\\\");
    } else if (ch == '"') {
      out->append("\\\"");
    } else if (ch == '\n') {
      out->append("\\n");
    } else {
      out->push_back(ch);
    }
  }
}

bool ReadSmallFile(const char* path, std::string* out) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) out->append(buf, static_cast<size_t>(n));
  return n == 0;
}

}  // namespace

void PromText::Add(absl::string_view name, absl::string_view type, absl::string_view help,
                   const MetricLabels& labels, double value) {
  AddText(name, type, help, labels, absl::StrFormat("%.3f", value));  // milliseconds
}

void PromText::AddText(absl::string_view name, absl::string_view type, absl::string_view help,
                       const MetricLabels& labels, std::string value) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    it = index_.emplace(std::string(name), families_.size()).first;
    families_.push_back({std::string(name), std::string(type), std::string(help), {}});
  }
  std::string l;
  if (!labels.empty()) {
    l.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) l.push_back(',');
      absl::StrAppend(&l, labels[i].first, "=\"");
      AppendEscaped(&l, labels[i].second);
      l.push_back('"');
    }
    l.push_back('}');
  }
  families_[it->second].samples.emplace_back(std::move(l), std::move(value));
}

std::string PromText::Render() const {
  std::string out;
  for (const Family& f : families_) {
    absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const auto& [labels, value] : f.samples) {
      absl::StrAppend(&out, f.name, labels, " ", value, "\n");
    }
  }
  return out;
}

void ProcessMetrics(PromText* out) {
  out->Gauge("xsensor_build_info", "The sensor's release and the commit it was built from.",
             {{"version", BuildVersion()}, {"commit", BuildCommit()}}, 1);
  // /proc/self/stat: the fields after the command name (which may hold spaces), from field 3.
  std::string stat;
  if (ReadSmallFile("/proc/self/stat", &stat)) {
    size_t close = stat.rfind(')');
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(stat).substr(close == std::string::npos ? 0 : close + 2),
                       ' ', absl::SkipEmpty());
    auto field = [&](size_t n) {  // n: the field's number in proc(5)
      uint64_t v = 0;
      return n >= 3 && n - 3 < f.size() && absl::SimpleAtoi(f[n - 3], &v) ? v : 0;
    };
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    out->CounterSeconds("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                        static_cast<double>(field(14) + field(15)) / tick);
    out->Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, field(23));
    out->Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
               static_cast<uint64_t>(static_cast<double>(field(24)) * page));
    std::string boot;
    uint64_t btime = 0;
    if (ReadSmallFile("/proc/stat", &boot)) {
      size_t at = boot.find("\nbtime ");
      if (at != std::string::npos) {
        absl::string_view rest = absl::string_view(boot).substr(at + 7);
        (void)absl::SimpleAtoi(rest.substr(0, rest.find('\n')), &btime);
      }
    }
    if (btime != 0) {
      out->GaugeSeconds("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.",
                        static_cast<double>(btime) + static_cast<double>(field(22)) / tick);
    }
  }
  uint64_t fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (const dirent* e = readdir(d)) fds += e->d_name[0] != '.';
    closedir(d);
    out->Gauge("process_open_fds", "Number of open file descriptors.", {}, fds > 0 ? fds - 1 : 0);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out->Gauge("process_max_fds", "Maximum number of open file descriptors.", {}, lim.rlim_cur);
  }
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Create(const Endpoint& listen) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->listen_.Reset(
      socket(listen.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
  if (!s->listen_.valid()) return absl::ErrnoToStatus(errno, "metrics socket");
  int one = 1;
  setsockopt(s->listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(s->listen_.get(), listen.sa(), listen.len) != 0 || ::listen(s->listen_.get(), 16) != 0) {
    const std::string what = absl::StrCat("metrics_listen ", listen.ToString());
    if (errno == EADDRINUSE) return absl::AlreadyExistsError(absl::StrCat(what, ": port in use"));
    return absl::ErrnoToStatus(errno, what);
  }
  s->endpoint_ = listen;
  socklen_t len = sizeof(s->endpoint_.addr);
  getsockname(s->listen_.get(), reinterpret_cast<sockaddr*>(&s->endpoint_.addr), &len);
  s->endpoint_.len = len;
  return s;
}

void MetricsServer::Accept(int64_t now_us) {
  while (conns_.size() < kMaxConnections) {
    int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    Conn c;
    c.fd.Reset(fd);
    c.opened_us = now_us;
    conns_.push_back(std::move(c));
  }
}

bool MetricsServer::Read(Conn& c) {
  char buf[2048];
  for (;;) {
    ssize_t n = recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > kMaxRequestBytes) return true;
      continue;
    }
    if (n == 0) return true;  // the peer sent all it will
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      c.done = true;
      return false;
    }
    break;
  }
  return c.in.find("\r\n\r\n") != std::string::npos || c.in.find("\n\n") != std::string::npos;
}

bool MetricsServer::RequestPath(absl::string_view head, std::string* path) {
  absl::string_view line = head.substr(0, head.find('\n'));
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (parts.size() != 3 || parts[0] != "GET" ||
      !absl::StartsWith(absl::StripAsciiWhitespace(parts[2]), "HTTP/1.")) {
    return false;
  }
  *path = std::string(parts[1]);
  return true;
}

void MetricsServer::Answer(Conn& c, int status, absl::string_view type, absl::string_view body) {
  ++requests_;
  c.answered = true;
  c.out = absl::StrCat("HTTP/1.1 ", status, status == 200 ? " OK" : " Not Found",
                       "\r\nContent-Type: ", type, "\r\nContent-Length: ", body.size(),
                       "\r\nConnection: close\r\n\r\n", body);
}

void MetricsServer::Write(Conn& c) {
  while (c.written < c.out.size()) {
    ssize_t n = send(c.fd.get(), c.out.data() + c.written, c.out.size() - c.written,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c.done = true;
      return;
    }
    c.written += static_cast<size_t>(n);
  }
  c.done = true;
}

void MetricsServer::Reap(int64_t now_us) {
  for (size_t i = 0; i < conns_.size();) {
    if (conns_[i].done || now_us - conns_[i].opened_us > kConnectionTimeoutUs) {
      if (conns_[i].done && conns_[i].fd.valid()) shutdown(conns_[i].fd.get(), SHUT_WR);
      conns_[i] = std::move(conns_.back());
      conns_.pop_back();
    } else {
      ++i;
    }
  }
}

absl::StatusOr<std::string> FetchMetrics(const Endpoint& at, int timeout_ms) {
  UniqueFd fd(socket(at.family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd.get(), at.sa(), at.len) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("no sensor metrics at ", at.ToString()));
  }
  std::string req = absl::StrCat("GET /metrics HTTP/1.1\r\nHost: ", at.ToString(),
                                 "\r\nConnection: close\r\n\r\n");
  if (send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    return absl::ErrnoToStatus(errno, "sending the request");
  }
  std::string resp;
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "reading the answer");
    }
    resp.append(buf, static_cast<size_t>(n));
  }
  size_t head_end = resp.find("\r\n\r\n");
  if (head_end == std::string::npos || !absl::StartsWith(resp, "HTTP/1.1 200")) {
    return absl::UnavailableError(absl::StrCat("unexpected answer from ", at.ToString(), ": ",
                                               absl::string_view(resp).substr(0, resp.find('\r'))));
  }
  return resp.substr(head_end + 4);
}

absl::StatusOr<std::string> MetricsTable(absl::string_view exposition, bool all) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    double v;
    if (sp == absl::string_view::npos || sp == 0 || !absl::SimpleAtod(line.substr(sp + 1), &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics line ", line_no, " is not 'name value': ", line));
    }
    if (!all && v == 0) continue;
    rows.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
    width = std::max(width, sp);
  }
  std::string out;
  for (const auto& [name, value] : rows) {
    absl::StrAppend(&out, name, std::string(width + 2 - name.size(), ' '), value, "\n");
  }
  return out;
}

}  // namespace xsensor
