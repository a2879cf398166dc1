#include "export/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/string_view.h"
#include "common/byte_reader.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace xsensor {
namespace {
constexpr int64_t kMinBackoffUs = 250'000;
constexpr int64_t kMaxBackoffUs = 30'000'000;
constexpr int64_t kQuietUs = 1'000'000;
constexpr int64_t kHangupCheckUs = 50'000;
}  // namespace

Collector::Collector(const Endpoint& endpoint, bool tcp, std::string bind_dev,
                     size_t max_queue_bytes)
    : endpoint_(endpoint),
      tcp_(tcp),
      bind_dev_(std::move(bind_dev)),
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

std::string Collector::Label() const {
  return absl::StrCat(stream_, stream_.empty() ? "" : " ", "collector ", tcp_ ? "tcp " : "udp ",
                      endpoint_.ToString());
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
  XS_LOG_WARN(Label(), ": ", std::strerror(err));
}

void Collector::NoteOk() {
  if (last_error_ == 0 || MonotonicMicros() - last_error_us_ < kQuietUs) return;
  XS_LOG_INFO(Label(), ": ( repeat error ", repeated_errors_, " ), now ok");
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
  ++stats_.disconnects;
  // What the collector acknowledged before the end was delivered; the rest went with the
  // connection (written into a socket that was reset is not delivered).
  CountAcknowledged();
  DropUnacknowledged();
  fd_.Reset();
  connected_ = connecting_ = false;
  need_templates_ = true;
  sequence_ = 0;
  backoff_us_ = backoff_us_ ? std::min(backoff_us_ * 2, kMaxBackoffUs) : kMinBackoffUs;
  next_connect_us_ = now_us + backoff_us_;
  // The data messages wait for the next connection (up to the bound), a message cut in the
  // middle whole again; the templates of this session go: the next one gets its own first,
  // and the waiting messages are numbered anew then.
  front_written_ = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->options) {
      queued_bytes_ -= it->bytes.size();
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void Collector::Renumber() {
  uint32_t seq = 0;
  for (auto& q : queue_) {
    SetU32At(&q.bytes, 8, seq);
    seq += q.records;
  }
  sequence_ = seq;
}

void Collector::DropQueue() {
  for (auto& q : queue_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += q.records;
    if (spare_.size() < kBatch) spare_.push_back(std::move(q.bytes));
  }
  queue_.clear();
  queued_bytes_ = 0;
  front_written_ = 0;
}

void Collector::CountSent(uint32_t records, bool options) {
  ++stats_.messages_sent;
  (options ? stats_.options_records_sent : stats_.records_sent) += records;
}

void Collector::CountAcknowledged() {
  if (unacked_.empty() || !fd_.valid()) return;
  // SIOCOUTQ: the bytes written and not yet acknowledged by the peer.
  int outq = 0;
  if (ioctl(fd_.get(), SIOCOUTQ, &outq) != 0 || outq < 0) return;
  const uint64_t acked = written_ - std::min<uint64_t>(written_, static_cast<uint64_t>(outq));
  while (!unacked_.empty() && unacked_.front().end <= acked) {
    CountSent(unacked_.front().records, unacked_.front().options);
    unacked_.pop_front();
  }
}

void Collector::DropUnacknowledged() {
  for (const Unacked& u : unacked_) {
    ++stats_.messages_dropped;
    stats_.records_dropped += u.records;
  }
  unacked_.clear();
  written_ = 0;
}

void Collector::Send(absl::string_view message, uint32_t records, bool options) {
  // A TCP collector that is down gets its data queued (up to the bound) for when it is back.
  // The templates are always taken (a few KB, once a connection): data without them is useless.
  bool down = !tcp_ && !fd_.valid();
  bool full = !options && queued_bytes_ + message.size() > max_queue_bytes_;
  if (down || full) {
    ++stats_.messages_dropped;
    stats_.records_dropped += records;
    return;
  }
  std::string bytes;
  if (!spare_.empty()) {
    bytes = std::move(spare_.back());
    spare_.pop_back();
  }
  bytes.assign(message.data(), message.size());
  SetU32At(&bytes, 8, sequence_);
  // The sequence number counts the records when queued. TCP: a session's queue is either
  // written in order or dropped with the session. UDP: the records count whether or not the
  // collector takes them (RFC 7011 10.3.2: the sequence number tells the collector what it
  // lost). (The delivery statistics are another matter: CountSent, CountAcknowledged.)
  sequence_ += records;
  queued_bytes_ += message.size();
  if (tcp_ && options) {
    // The templates of a new connection go before the data that waited for it (after the
    // templates already queued), and everything is numbered from there.
    auto pos = queue_.begin();
    while (pos != queue_.end() && pos->options) ++pos;
    bool renumber = pos != queue_.end();
    queue_.insert(pos, {std::move(bytes), records, options});
    if (renumber) Renumber();
  } else {
    queue_.push_back({std::move(bytes), records, options});
  }
  // A batch is due: sent now (a socket that is full is tried again a batch later or on Poll,
  // not once per message).
  if (++unwritten_ >= kBatch) {
    if (!tcp_) {
      SendDatagrams();
    } else if (connected_) {
      WriteQueued();
    }
  }
}

void Collector::SendDatagrams() {
  unwritten_ = 0;
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  while (!queue_.empty()) {
    size_t n = std::min(queue_.size(), kBatch);
    for (size_t i = 0; i < n; ++i) {
      iov[i] = {queue_[i].bytes.data(), queue_[i].bytes.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    ++stats_.send_calls;
    int sent = sendmmsg(fd_.get(), msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
    size_t done = sent > 0 ? static_cast<size_t>(sent) : 0;
    if (sent <= 0) {
      // The first message failed (refused, no buffer, no route): it is lost, the rest is
      // tried again; an error after the first stops the call early and shows on the next.
      NoteError(sent < 0 ? errno : EIO);
      ++stats_.messages_dropped;
      stats_.records_dropped += queue_.front().records;
      done = 1;
    } else {
      NoteOk();
      for (size_t i = 0; i < done; ++i) {
        CountSent(queue_[i]);
        stats_.bytes_sent += queue_[i].bytes.size();
      }
    }
    for (size_t i = 0; i < done; ++i) {
      queued_bytes_ -= queue_.front().bytes.size();
      if (spare_.size() < kBatch) spare_.push_back(std::move(queue_.front().bytes));
      queue_.pop_front();
    }
  }
}

void Collector::WriteQueued() {
  unwritten_ = 0;
  iovec iov[kBatch];
  while (!queue_.empty()) {
    size_t n = std::min(queue_.size(), kBatch);
    for (size_t i = 0; i < n; ++i) {
      size_t skip = i == 0 ? front_written_ : 0;
      iov[i] = {queue_[i].bytes.data() + skip, queue_[i].bytes.size() - skip};
    }
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = n;
    ++stats_.send_calls;
    ssize_t w = sendmsg(fd_.get(), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      Disconnect(MonotonicMicros(), errno);
      return;
    }
    NoteOk();
    size_t left = static_cast<size_t>(w);
    stats_.bytes_sent += left;
    uint64_t at = written_;
    written_ += left;
    while (left > 0) {
      Queued& q = queue_.front();
      size_t rest = q.bytes.size() - front_written_;
      if (left < rest) {
        front_written_ += left;
        CountAcknowledged();
        return;  // the socket is full
      }
      left -= rest;
      at += rest;
      front_written_ = 0;
      unacked_.push_back({at, q.records, q.options});
      queued_bytes_ -= q.bytes.size();
      if (spare_.size() < kBatch) spare_.push_back(std::move(q.bytes));
      queue_.pop_front();
    }
  }
}

void Collector::Poll(int64_t now_us) {
  if (!tcp_) {
    if (fd_.valid()) SendDatagrams();
    return;
  }
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
    XS_LOG_INFO(Label(), ": connected");
  }
  if (connected_ && now_us >= next_hangup_check_us_) {
    // Notice a collector that closed its end even when we have nothing to write (a write to
    // it fails anyway): checked every kHangupCheckUs, not on every poll.
    next_hangup_check_us_ = now_us + kHangupCheckUs;
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      char b[256];
      ssize_t n = recv(fd_.get(), b, sizeof(b), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        Disconnect(now_us, n == 0 ? ECONNRESET : errno);
        return;
      }
    }
  }
  if (connected_ && !queue_.empty()) WriteQueued();
  if (connected_) CountAcknowledged();
}

void Collector::Drain(int64_t deadline_us, const std::function<void()>& send_templates) {
  if (!tcp_) {
    Poll(MonotonicMicros());
    return;
  }
  // A collector that is down gets one more try now, not after its backoff; one that refuses it
  // is not waited for.
  if (!connected_ && !connecting_ && !queue_.empty()) Connect(MonotonicMicros());
  while (MonotonicMicros() < deadline_us && (connected_ || connecting_)) {
    if (need_templates_) send_templates();
    Poll(MonotonicMicros());
    if (connected_ && queue_.empty() && unacked_.empty()) return;
    pollfd p{fd_.get(), static_cast<short>(POLLOUT), 0};
    if (fd_.valid()) poll(&p, 1, 20);
  }
  if (!queue_.empty() || !unacked_.empty()) {
    XS_LOG_WARN(Label(), ": ", queue_.size() + unacked_.size(),
                " messages not delivered at shutdown (", unacked_.size(),
                " written but not acknowledged)");
  }
  CountAcknowledged();
  DropUnacknowledged();
  DropQueue();
}

}  // namespace xsensor
