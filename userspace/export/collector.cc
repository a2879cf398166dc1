#include "absl/strings/string_view.h"
#include "export/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include "common/byte_reader.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace xsensor {
namespace {
constexpr int64_t kMinBackoffUs = 250'000;
constexpr int64_t kMaxBackoffUs = 30'000'000;
constexpr int64_t kQuietUs = 1'000'000;
}  // namespace

Collector::Collector(const Endpoint& endpoint, bool tcp, std::string bind_dev,
                     size_t max_queue_bytes)
    : endpoint_(endpoint), tcp_(tcp), bind_dev_(std::move(bind_dev)),
      max_queue_bytes_(max_queue_bytes) {
  if (!tcp_) {
    fd_.Reset(socket(endpoint_.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd_.valid() && !bind_dev_.empty()) {
      setsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, bind_dev_.c_str(), bind_dev_.size());
    }
    if (!fd_.valid() || connect(fd_.get(), endpoint_.sa(), endpoint_.len) != 0) {
      NoteError(errno);
    }
    connected_ = fd_.valid();
  } else {
    Connect(MonotonicMicros());
  }
}

Collector::~Collector() = default;

bool Collector::NeedsTemplates(int64_t now_us, int64_t interval_us) const {
  if (tcp_) return need_templates_;
  return need_templates_ || now_us - templates_sent_us_ >= interval_us;
}

void Collector::NoteError(int err) {
  ++stats_.send_errors;
  last_error_us_ = MonotonicMicros();
  if (err == last_error_) {
    ++repeated_errors_;
    return;
  }
  last_error_ = err;
  repeated_errors_ = 0;
  XS_LOG_WARN("collector ", tcp_ ? "tcp " : "udp ", endpoint_.ToString(), ": ",
              std::strerror(err));
}

void Collector::NoteOk() {
  if (last_error_ == 0 || MonotonicMicros() - last_error_us_ < kQuietUs) return;
  XS_LOG_INFO("collector ", tcp_ ? "tcp " : "udp ", endpoint_.ToString(), ": ( repeat error ",
              repeated_errors_, " ), now ok");
  last_error_ = 0;
  repeated_errors_ = 0;
}

void Collector::Connect(int64_t now_us) {
  fd_.Reset(socket(endpoint_.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_.valid()) {
    Disconnect(now_us, errno);
    return;
  }
  if (!bind_dev_.empty()) {
    setsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, bind_dev_.c_str(), bind_dev_.size());
  }
  int one = 1;
  setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd_.get(), endpoint_.sa(), endpoint_.len) == 0) {
    connected_ = true;
  } else if (errno == EINPROGRESS) {
    connecting_ = true;
  } else {
    Disconnect(now_us, errno);
    return;
  }
  if (connected_) {
    ++stats_.connects;
    NoteOk();
  }
}

void Collector::Disconnect(int64_t now_us, int err) {
  if (err) NoteError(err);
  fd_.Reset();
  connected_ = connecting_ = false;
  need_templates_ = true;
  sequence_ = 0;
  backoff_us_ = backoff_us_ ? std::min(backoff_us_ * 2, kMaxBackoffUs) : kMinBackoffUs;
  next_connect_us_ = now_us + backoff_us_;
  // A message cut in the middle cannot be resumed on a new connection: drop its rest, and the
  // queued messages, which a new transport session must not receive before its templates.
  for (const auto& q : queue_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += q.records;
  }
  queue_.clear();
  queued_bytes_ = 0;
}

void Collector::Send(absl::string_view message, uint32_t records) {
  if (!tcp_) {
    if (!fd_.valid()) {
      ++stats_.messages_dropped;
      stats_.records_dropped += records;
      return;
    }
    std::string msg(message);
    SetU32At(&msg, 8, sequence_);
    ssize_t n = send(fd_.get(), msg.data(), msg.size(), 0);
    // UDP: the records count as sent whether or not the collector took them (RFC 7011 10.3.2:
    // the sequence number tells the collector what it lost).
    sequence_ += records;
    if (n < 0) {
      NoteError(errno);
      ++stats_.messages_dropped;
      stats_.records_dropped += records;
      return;
    }
    NoteOk();
    ++stats_.messages_sent;
    stats_.records_sent += records;
    stats_.bytes_sent += msg.size();
    return;
  }
  if (!connected_ && !connecting_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += records;
    return;
  }
  if (queued_bytes_ + message.size() > max_queue_bytes_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += records;
    return;
  }
  queue_.push_back({std::string(message), records, 0});
  queued_bytes_ += message.size();
  if (connected_) WriteQueued();
}

void Collector::WriteQueued() {
  while (!queue_.empty()) {
    Queued& q = queue_.front();
    if (q.written == 0) SetU32At(&q.bytes, 8, sequence_);
    ssize_t n = send(fd_.get(), q.bytes.data() + q.written, q.bytes.size() - q.written,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Disconnect(MonotonicMicros(), errno);
      return;
    }
    q.written += static_cast<size_t>(n);
    stats_.bytes_sent += static_cast<uint64_t>(n);
    if (q.written < q.bytes.size()) return;
    sequence_ += q.records;
    ++stats_.messages_sent;
    stats_.records_sent += q.records;
    queued_bytes_ -= q.bytes.size();
    queue_.pop_front();
  }
}

void Collector::Poll(int64_t now_us) {
  if (!tcp_) return;
  if (!connected_ && !connecting_) {
    if (now_us >= next_connect_us_) Connect(now_us);
    return;
  }
  if (connecting_) {
    pollfd p{fd_.get(), POLLOUT, 0};
    if (poll(&p, 1, 0) <= 0) return;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    connecting_ = false;
    if (err != 0) {
      Disconnect(now_us, err);
      return;
    }
    connected_ = true;
    backoff_us_ = 0;
    ++stats_.connects;
    NoteOk();
    XS_LOG_INFO("collector tcp ", endpoint_.ToString(), ": connected");
  }
  if (connected_) {
    // Notice a collector that closed its end even when we have nothing to write.
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      char b[256];
      ssize_t n = recv(fd_.get(), b, sizeof(b), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        Disconnect(now_us, n == 0 ? ECONNRESET : errno);
        return;
      }
    }
    WriteQueued();
  }
}

void Collector::Drain(int64_t deadline_us) {
  if (!tcp_) return;
  while (MonotonicMicros() < deadline_us) {
    Poll(MonotonicMicros());
    if (connected_ && queue_.empty()) return;
    if (!connected_ && !connecting_ && queue_.empty()) return;
    pollfd p{fd_.get(), static_cast<short>(POLLOUT), 0};
    if (fd_.valid()) poll(&p, 1, 20);
  }
  for (const auto& q : queue_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += q.records;
  }
  if (!queue_.empty()) {
    XS_LOG_WARN("collector tcp ", endpoint_.ToString(), ": ", queue_.size(),
                " messages not delivered at shutdown");
  }
  queue_.clear();
  queued_bytes_ = 0;
}

}  // namespace xsensor
