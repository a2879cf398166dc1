#include "capture/af_xdp.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace xsensor {

struct XskSocket::Rings {
  xsk_ring_prod fill;
  xsk_ring_cons comp;
  xsk_ring_cons rx;
};

absl::StatusOr<std::unique_ptr<XskSocket>> XskSocket::Create(const std::string& ifname,
                                                             uint32_t queue, const XskOptions& o) {
  std::string errors;
  for (bool zc : {true, false}) {
    if (zc && (!o.try_zero_copy || o.skb_mode)) continue;
    std::unique_ptr<XskSocket> s(new XskSocket());
    s->rings_ = std::make_unique<Rings>();
    s->queue_ = queue;
    s->frame_size_ = o.frame_size;
    const uint32_t frames = o.ring_size * 2;  // one per fill ring entry
    s->area_size_ = size_t{frames} * o.frame_size;
    s->area_ = mmap(nullptr, s->area_size_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (s->area_ == MAP_FAILED) {
      s->area_ = nullptr;
      return absl::ResourceExhaustedError(absl::StrCat("UMEM mmap: ", strerror(errno)));
    }
    xsk_umem_config ucfg = {};
    ucfg.fill_size = o.ring_size * 2;
    ucfg.comp_size = 64;
    ucfg.frame_size = o.frame_size;
    ucfg.frame_headroom = 0;
    ucfg.flags = 0;
    int err = xsk_umem__create(&s->umem_, s->area_, s->area_size_, &s->rings_->fill,
                               &s->rings_->comp, &ucfg);
    if (err) return absl::InternalError(absl::StrCat("xsk_umem__create: ", strerror(-err)));
    xsk_socket_config scfg = {};
    scfg.rx_size = o.ring_size;
    scfg.tx_size = 0;
    scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    scfg.bind_flags = static_cast<uint16_t>((zc ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP);
    err = xsk_socket__create(&s->xsk_, ifname.c_str(), queue, s->umem_, &s->rings_->rx, nullptr,
                             &scfg);
    if (err) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", zc ? "zero-copy" : "copy", ": ",
                      strerror(-err));
      continue;  // the destructor frees this attempt's UMEM
    }
    s->zero_copy_ = zc;
    // Give the kernel every frame it can hold in the fill ring.
    uint32_t n = std::min(frames, ucfg.fill_size);
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&s->rings_->fill, n, &idx) != n) {
      return absl::InternalError("fill ring reserve");
    }
    for (uint32_t i = 0; i < n; ++i) {
      *xsk_ring_prod__fill_addr(&s->rings_->fill, idx + i) = uint64_t{i} * o.frame_size;
    }
    xsk_ring_prod__submit(&s->rings_->fill, n);
    return s;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("AF_XDP socket on ", ifname, " queue ", queue, ": ", errors));
}

XskSocket::~XskSocket() {
  if (xsk_) xsk_socket__delete(xsk_);
  if (umem_) xsk_umem__delete(umem_);
  if (area_) munmap(area_, area_size_);
}

int XskSocket::fd() const { return xsk_socket__fd(xsk_); }

uint32_t XskSocket::Peek(uint32_t max, uint32_t* idx) {
  return xsk_ring_cons__peek(&rings_->rx, max, idx);
}

absl::string_view XskSocket::Frame(uint32_t idx, uint64_t* addr) {
  const xdp_desc* d = xsk_ring_cons__rx_desc(&rings_->rx, idx);
  *addr = d->addr;
  return absl::string_view(static_cast<const char*>(xsk_umem__get_data(area_, d->addr)), d->len);
}

void XskSocket::ReleaseAndRefill(uint32_t n, const uint64_t* addrs) {
  xsk_ring_cons__release(&rings_->rx, n);
  // The frames just processed go straight back to the fill ring (aligned chunks: the
  // kernel takes any address inside a frame; give the frame start).
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

void XskSocket::Wait(int timeout_ms, int wake_fd) {
  pollfd p[2] = {{fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  if (poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms) > 0 && wake_fd >= 0 && (p[1].revents & POLLIN)) {
    uint64_t n;
    (void)!read(wake_fd, &n, sizeof(n));
  }
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
