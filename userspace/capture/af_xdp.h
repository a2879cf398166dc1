// One AF_XDP socket with its own UMEM on one interface queue (libxdp's xsk API; the program
// is ours, so libxdp is told not to load one). Zero-copy where the driver supports it, copy
// mode otherwise. Receive is batched: peek up to N descriptors, hand each frame to a callback,
// release them and give their frames back to the fill ring once per batch. Owned by the
// queue's worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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

struct XskOptions {
  uint32_t frame_size = 4096;
  // Rx ring entries; the fill ring has twice as many, and the UMEM one frame per fill entry
  // (all of them given to the kernel at start).
  uint32_t ring_size = 4096;
  bool try_zero_copy = true;
  bool skb_mode = false;  // the program is attached in generic mode: copy only
};

class XskSocket {
 public:
  static absl::StatusOr<std::unique_ptr<XskSocket>> Create(const std::string& ifname,
                                                           uint32_t queue,
                                                           const XskOptions& options);
  ~XskSocket();
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;

  int fd() const;
  bool zero_copy() const { return zero_copy_; }
  uint32_t queue() const { return queue_; }

  // Receives up to `max` frames, calling fn(frame_view) for each (the view is valid during
  // the call only). Returns the number of frames.
  template <typename Fn>
  uint32_t Receive(uint32_t max, Fn&& fn);
  // Waits up to timeout_ms for frames (poll), or until `wake_fd` (an eventfd; -1: none) is
  // written, which it then resets.
  void Wait(int timeout_ms, int wake_fd = -1);
  XskStats Stats() const;

 private:
  XskSocket() = default;
  uint32_t Peek(uint32_t max, uint32_t* idx);
  absl::string_view Frame(uint32_t idx, uint64_t* addr);
  void ReleaseAndRefill(uint32_t n, const uint64_t* addrs);

  struct Rings;
  std::unique_ptr<Rings> rings_;
  void* area_ = nullptr;
  size_t area_size_ = 0;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  uint32_t queue_ = 0;
  uint32_t frame_size_ = 0;
  bool zero_copy_ = false;
};

template <typename Fn>
uint32_t XskSocket::Receive(uint32_t max, Fn&& fn) {
  constexpr uint32_t kMaxBatch = 256;
  uint64_t addrs[kMaxBatch];
  if (max > kMaxBatch) max = kMaxBatch;
  uint32_t idx = 0;
  uint32_t n = Peek(max, &idx);
  for (uint32_t i = 0; i < n; ++i) fn(Frame(idx + i, &addrs[i]));
  if (n) ReleaseAndRefill(n, addrs);
  return n;
}

}  // namespace xsensor
