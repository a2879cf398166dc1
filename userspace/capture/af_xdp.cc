#include "capture/af_xdp.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace xsensor {

struct XskSocket::Rings {
  xsk_ring_prod fill;
  xsk_ring_cons comp;
  xsk_ring_cons rx;
  xsk_ring_prod tx;
};

// The frames' memory, registered with the kernel; freed after the last socket using it.
struct XskSocket::Umem {
  void* area = nullptr;
  size_t size = 0;
  xsk_umem* umem = nullptr;
  ~Umem() {
    if (umem) xsk_umem__delete(umem);
    if (area) munmap(area, size);
  }
};

// A UMEM of `frames` frames whose first socket's fill and completion rings are `rings`.
absl::StatusOr<std::shared_ptr<XskSocket::Umem>> XskSocket::NewUmem(uint32_t frames,
                                                                    uint32_t comp_size,
                                                                    const XskOptions& o,
                                                                    Rings* rings) {
  auto u = std::make_shared<Umem>();
  u->size = size_t{frames} * o.frame_size;
  u->area = mmap(nullptr, u->size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (u->area == MAP_FAILED) {
    u->area = nullptr;
    return absl::ResourceExhaustedError(absl::StrCat("UMEM mmap: ", strerror(errno)));
  }
  xsk_umem_config ucfg = {};
  ucfg.fill_size = o.ring_size * 2;
  ucfg.comp_size = comp_size;
  ucfg.frame_size = o.frame_size;
  ucfg.frame_headroom = 0;
  ucfg.flags = 0;
  int err = xsk_umem__create(&u->umem, u->area, u->size, &rings->fill, &rings->comp, &ucfg);
  if (err) {
    u->umem = nullptr;
    return absl::InternalError(absl::StrCat("xsk_umem__create: ", strerror(-err)));
  }
  return u;
}

absl::Status XskSocket::Bind(const std::string& ifname, uint32_t queue, const XskOptions& o,
                             bool zc, bool tx) {
  queue_ = queue;
  frame_size_ = o.frame_size;
  xsk_socket_config scfg = {};
  scfg.rx_size = o.ring_size;
  // A bridge pair's TX ring holds every frame the peer owns: a reserve never fails for room.
  tx_size_ = tx ? o.ring_size * 2 : 0;
  scfg.tx_size = tx_size_;
  scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  scfg.bind_flags = static_cast<uint16_t>((zc ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP);
  // (The first socket of a UMEM takes the fill and completion rings it was made with; a second
  // one, on another device or queue, gets its own: libxdp binds it with XDP_SHARED_UMEM.)
  int err =
      xsk_socket__create_shared(&xsk_, ifname.c_str(), queue, umem_->umem, &rings_->rx,
                                tx ? &rings_->tx : nullptr, &rings_->fill, &rings_->comp, &scfg);
  if (err) {
    xsk_ = nullptr;
    return absl::FailedPreconditionError(absl::StrCat(
        ifname, " queue ", queue, ": ", zc ? "zero-copy" : "copy", ": ", strerror(-err)));
  }
  zero_copy_ = zc;
  if (o.busy_poll_us) {
    const int fd = xsk_socket__fd(xsk_);
    const int prefer = 1, usecs = static_cast<int>(o.busy_poll_us),
              budget = static_cast<int>(o.busy_poll_budget);
    if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, sizeof(prefer)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          ifname, " queue ", queue, ": busy polling (xsk_busy_poll): ", strerror(errno)));
    }
    busy_poll_ = true;
  }
  return absl::OkStatus();
}

void XskSocket::FillFrames(uint64_t first_frame, uint32_t frames) {
  uint32_t idx = 0;
  uint32_t n = xsk_ring_prod__reserve(&rings_->fill, frames, &idx);
  for (uint32_t i = 0; i < n; ++i) {
    *xsk_ring_prod__fill_addr(&rings_->fill, idx + i) = (first_frame + i) * frame_size_;
  }
  xsk_ring_prod__submit(&rings_->fill, n);
}

absl::StatusOr<std::unique_ptr<XskSocket>> XskSocket::Create(const std::string& ifname,
                                                             uint32_t queue, const XskOptions& o) {
  std::string errors;
  for (bool zc : {true, false}) {
    if (zc && (!o.try_zero_copy || o.skb_mode)) continue;
    std::unique_ptr<XskSocket> s(new XskSocket());
    s->rings_ = std::make_unique<Rings>();
    const uint32_t frames = o.ring_size * 2;  // one per fill ring entry
    auto umem = NewUmem(frames, 64, o, s->rings_.get());
    if (!umem.ok()) return umem.status();
    s->umem_ = *std::move(umem);
    if (absl::Status st = s->Bind(ifname, queue, o, zc, /*tx=*/false); !st.ok()) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", st.message());
      continue;  // the destructor frees this attempt's UMEM
    }
    s->FillFrames(0, frames);  // every frame to the kernel
    return s;
  }
  return absl::FailedPreconditionError(absl::StrCat("AF_XDP socket: ", errors));
}

absl::StatusOr<std::pair<std::unique_ptr<XskSocket>, std::unique_ptr<XskSocket>>>
XskSocket::CreateBridgePair(const std::string& a, const std::string& b, uint32_t queue,
                            const XskOptions& o) {
  std::string errors;
  for (bool zc : {true, false}) {
    if (zc && (!o.try_zero_copy || o.skb_mode)) continue;
    std::unique_ptr<XskSocket> sa(new XskSocket()), sb(new XskSocket());
    sa->rings_ = std::make_unique<Rings>();
    sb->rings_ = std::make_unique<Rings>();
    const uint32_t half = o.ring_size * 2;  // each port's frames: one per fill ring entry
    auto umem = NewUmem(2 * half, half, o, sa->rings_.get());
    if (!umem.ok()) return umem.status();
    sa->umem_ = *umem;
    sb->umem_ = *std::move(umem);
    absl::Status st = sa->Bind(a, queue, o, zc, /*tx=*/true);
    if (st.ok()) st = sb->Bind(b, queue, o, zc, /*tx=*/true);
    if (!st.ok()) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", st.message());
      continue;
    }
    sa->FillFrames(0, half);
    sb->FillFrames(half, half);
    sa->peer_ = sb.get();
    sb->peer_ = sa.get();
    return std::make_pair(std::move(sa), std::move(sb));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("AF_XDP sockets sharing a UMEM (inline bridge): ", errors));
}

XskSocket::~XskSocket() {
  if (xsk_) xsk_socket__delete(xsk_);
  umem_.reset();  // the UMEM goes with its last socket
}

int XskSocket::fd() const { return xsk_socket__fd(xsk_); }

uint32_t XskSocket::Peek(uint32_t max, uint32_t* idx) {
  return xsk_ring_cons__peek(&rings_->rx, max, idx);
}

uint32_t XskSocket::Backlog() {
  const uint32_t produced = __atomic_load_n(rings_->rx.producer, __ATOMIC_ACQUIRE);
  return produced - *rings_->rx.consumer;
}

absl::string_view XskSocket::Frame(uint32_t idx, uint64_t* addr, uint32_t* len) {
  const xdp_desc* d = xsk_ring_cons__rx_desc(&rings_->rx, idx);
  *addr = d->addr;
  *len = d->len;
  return absl::string_view(static_cast<const char*>(xsk_umem__get_data(umem_->area, d->addr)),
                           d->len);
}

void XskSocket::Refill(uint32_t n, const uint64_t* addrs) {
  // Aligned chunks: the kernel takes any address inside a frame; give the frame start. The
  // fill ring has an entry for every frame this socket owns, so there is always room.
  uint32_t idx = 0;
  uint32_t got = xsk_ring_prod__reserve(&rings_->fill, n, &idx);
  for (uint32_t i = 0; i < got; ++i) {
    *xsk_ring_prod__fill_addr(&rings_->fill, idx + i) = addrs[i] - addrs[i] % frame_size_;
  }
  xsk_ring_prod__submit(&rings_->fill, got);
  if (xsk_ring_prod__needs_wakeup(&rings_->fill)) {
    recvfrom(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  }
}

void XskSocket::ReleaseAndRefill(uint32_t n, const uint64_t* addrs) {
  xsk_ring_cons__release(&rings_->rx, n);
  Refill(n, addrs);  // the frames just processed go straight back to the fill ring
}

void XskSocket::TakeCompletions() {
  constexpr uint32_t kMax = 256;
  uint64_t addrs[kMax];
  for (;;) {
    uint32_t idx = 0;
    const uint32_t n = xsk_ring_cons__peek(&peer_->rings_->comp, kMax, &idx);
    if (n == 0) return;
    for (uint32_t i = 0; i < n; ++i) {
      addrs[i] = *xsk_ring_cons__comp_addr(&peer_->rings_->comp, idx + i);
    }
    xsk_ring_cons__release(&peer_->rings_->comp, n);
    in_flight_ -= std::min(in_flight_, n);
    Refill(n, addrs);
    if (n < kMax) return;
  }
}

void XskSocket::KickPeer() {
  xsk_ring_prod* tx = &peer_->rings_->tx;
  uint32_t pending = peer_->tx_size_ - xsk_prod_nb_free(tx, peer_->tx_size_);
  if (pending == 0 || !xsk_ring_prod__needs_wakeup(tx)) return;
  // Copy mode sends at most 32 frames a call and says EAGAIN while more wait.
  for (uint32_t tries = pending / 32 + 2; tries > 0; --tries) {
    if (sendto(peer_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return;
    if (errno == EBUSY || errno == ENOBUFS) return;  // the device is busy: the next kick
    if (errno != EAGAIN) {
      tx_kick_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

void XskSocket::ReleaseAndForward(uint32_t n, const uint64_t* addrs, const uint32_t* lens) {
  if (n) xsk_ring_cons__release(&rings_->rx, n);
  TakeCompletions();
  if (n) {
    xsk_ring_prod* tx = &peer_->rings_->tx;
    uint32_t idx = 0;
    const uint32_t got = xsk_ring_prod__reserve(tx, n, &idx);
    for (uint32_t i = 0; i < got; ++i) {
      xdp_desc* d = xsk_ring_prod__tx_desc(tx, idx + i);
      d->addr = addrs[i];
      d->len = lens[i];
      d->options = 0;
    }
    xsk_ring_prod__submit(tx, got);
    in_flight_ += got;
    forwarded_.fetch_add(got, std::memory_order_relaxed);
    if (got < n) {
      tx_dropped_.fetch_add(n - got, std::memory_order_relaxed);
      Refill(n - got, addrs + got);
    }
  }
  KickPeer();
}

void XskSocket::ServiceForwarding() {
  if (!peer_) return;
  TakeCompletions();
  KickPeer();
}

void XskSocket::Wait(int timeout_ms, int wake_fd) {
  pollfd p[2] = {{fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  if (poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms) > 0 && wake_fd >= 0 && (p[1].revents & POLLIN)) {
    uint64_t n;
    (void)!read(wake_fd, &n, sizeof(n));
  }
}

void XskSocket::BusyPoll() {
  // With SO_PREFER_BUSY_POLL, a non-blocking receive call runs the queue's NAPI here.
  recvfrom(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
}

XskStats XskSocket::Stats() const {
  xdp_statistics st{};
  socklen_t len = sizeof(st);
  XskStats out;
  if (getsockopt(fd(), SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
    out.rx_dropped = st.rx_dropped;
    out.rx_invalid_descs = st.rx_invalid_descs;
    out.rx_ring_full = st.rx_ring_full;
    out.rx_fill_ring_empty = st.rx_fill_ring_empty_descs;
  }
  return out;
}

}  // namespace xsensor
