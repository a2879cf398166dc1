// One AF_XDP socket on one interface queue (libxdp's xsk API; the program is ours, so libxdp
// is told not to load one). Zero-copy where the driver supports it, copy mode otherwise.
// Receive is batched: peek up to N descriptors, hand each frame to a callback, release them.
//
// Mirror mode: each socket has its own UMEM; a batch's frames go straight back to its fill ring.
// Inline mode (a bridge of two ports, CreateBridgePair): the sockets of queue q on both ports
// share one UMEM (XDP_SHARED_UMEM across devices), half of its frames each. A frame received on
// one port is, once the callback has read it, put on the other port's TX ring by its address:
// no copy in userspace. Its completion gives it back to the receiving socket's fill ring. Each
// socket is used by one thread, its worker: that worker consumes its RX ring, produces its fill
// ring, and produces the peer's TX ring and consumes the peer's completion ring (the peer's
// worker uses the peer's RX and fill rings and this socket's TX and completion rings).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct xsk_umem;
struct xsk_socket;

namespace xsensor {

struct XskStats {
  uint64_t rx_dropped = 0;  // dropped by the kernel (e.g. frame too large)
  uint64_t rx_invalid_descs = 0;
  uint64_t rx_ring_full = 0;        // rx ring had no room
  uint64_t rx_fill_ring_empty = 0;  // no fill ring entries for a packet
};

// Inline forwarding (frames this socket received, sent out of the peer port).
struct XskForwardStats {
  uint64_t forwarded = 0;       // put on the peer's TX ring
  uint64_t tx_dropped = 0;      // no room on the peer's TX ring: given back unsent
  uint64_t tx_kick_errors = 0;  // sendto() on the peer failed other than EAGAIN/EBUSY
};

struct XskOptions {
  uint32_t frame_size = 4096;
  // Rx ring entries; the fill ring has twice as many, and the UMEM one frame per fill entry
  // (all of them given to the kernel at start).
  uint32_t ring_size = 4096;
  bool try_zero_copy = true;
  bool skb_mode = false;  // the program is attached in generic mode: copy only
  // Busy polling (SO_PREFER_BUSY_POLL, SO_BUSY_POLL, SO_BUSY_POLL_BUDGET): the driver's NAPI
  // runs in the caller's BusyPoll() for up to this many microseconds, not in softirq after an
  // interrupt. 0: off.
  uint32_t busy_poll_us = 0;
  uint32_t busy_poll_budget = 64;  // frames a busy poll takes at most
};

class XskSocket {
 public:
  static absl::StatusOr<std::unique_ptr<XskSocket>> Create(const std::string& ifname,
                                                           uint32_t queue,
                                                           const XskOptions& options);
  // Queue `queue` of ports `a` and `b` of an inline bridge: two sockets on one UMEM, each
  // forwarding what it receives out of the other.
  static absl::StatusOr<std::pair<std::unique_ptr<XskSocket>, std::unique_ptr<XskSocket>>>
  CreateBridgePair(const std::string& a, const std::string& b, uint32_t queue,
                   const XskOptions& options);
  ~XskSocket();
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;

  int fd() const;
  bool zero_copy() const { return zero_copy_; }
  uint32_t queue() const { return queue_; }

  // Receives up to `max` frames, calling fn(frame_view) for each (the view is valid during
  // the call only); in a bridge pair then forwards them out of the peer. Returns the number of
  // frames.
  template <typename Fn>
  uint32_t Receive(uint32_t max, Fn&& fn);
  // Frames received and not yet read (after a Receive): how far the worker is behind.
  uint32_t Backlog();
  // Bridge pair: takes the peer's TX completions back into the fill ring, and kicks the peer's
  // TX ring if it still holds frames (copy mode sends a few dozen a kick). Receive does both;
  // an idle worker calls it so that nothing waits in the TX ring.
  void ServiceForwarding();
  bool forwarding() const { return peer_ != nullptr; }
  // Frames still on the peer's TX ring or not yet completed (bridge pair).
  uint32_t InFlight() const { return in_flight_; }
  // Read from any thread.
  XskForwardStats forward_stats() const {
    return {forwarded_.load(std::memory_order_relaxed), tx_dropped_.load(std::memory_order_relaxed),
            tx_kick_errors_.load(std::memory_order_relaxed)};
  }
  // Waits up to timeout_ms for frames (poll), or until `wake_fd` (an eventfd; -1: none) is
  // written, which it then resets.
  void Wait(int timeout_ms, int wake_fd = -1);
  // Busy polling (XskOptions::busy_poll_us): runs the driver's receive in this thread (a
  // recvfrom that does not sleep) instead of Wait.
  void BusyPoll();
  bool busy_polling() const { return busy_poll_; }
  XskStats Stats() const;

 private:
  struct Umem;
  XskSocket() = default;
  uint32_t Peek(uint32_t max, uint32_t* idx);
  absl::string_view Frame(uint32_t idx, uint64_t* addr, uint32_t* len);
  void ReleaseAndRefill(uint32_t n, const uint64_t* addrs);
  void ReleaseAndForward(uint32_t n, const uint64_t* addrs, const uint32_t* lens);
  void Refill(uint32_t n, const uint64_t* addrs);
  void KickPeer();
  // Binds this socket (its rings_ and umem_ set) to ifname's queue; tx: with a TX ring.
  absl::Status Bind(const std::string& ifname, uint32_t queue, const XskOptions& o, bool zc,
                    bool tx);
  void FillFrames(uint64_t first_frame, uint32_t frames);
  void TakeCompletions();

  struct Rings;
  // A UMEM of `frames` frames whose first socket's fill and completion rings are `rings`.
  static absl::StatusOr<std::shared_ptr<Umem>> NewUmem(uint32_t frames, uint32_t comp_size,
                                                       const XskOptions& o, Rings* rings);
  std::unique_ptr<Rings> rings_;
  std::shared_ptr<Umem> umem_;  // shared by a bridge pair's two sockets
  xsk_socket* xsk_ = nullptr;
  XskSocket* peer_ = nullptr;  // bridge pair: the other port's socket
  uint32_t in_flight_ = 0;
  uint32_t tx_size_ = 0;
  std::atomic<uint64_t> forwarded_{0}, tx_dropped_{0}, tx_kick_errors_{0};
  uint32_t queue_ = 0;
  uint32_t frame_size_ = 0;
  bool zero_copy_ = false;
  bool busy_poll_ = false;
};

template <typename Fn>
uint32_t XskSocket::Receive(uint32_t max, Fn&& fn) {
  constexpr uint32_t kMaxBatch = 256;
  uint64_t addrs[kMaxBatch];
  uint32_t lens[kMaxBatch];
  if (max > kMaxBatch) max = kMaxBatch;
  uint32_t idx = 0;
  uint32_t n = Peek(max, &idx);
  for (uint32_t i = 0; i < n; ++i) fn(Frame(idx + i, &addrs[i], &lens[i]));
  if (peer_) {
    ReleaseAndForward(n, addrs, lens);
  } else if (n) {
    ReleaseAndRefill(n, addrs);
  }
  return n;
}

}  // namespace xsensor
