// A bounded single-producer/single-consumer ring. One thread pushes, one thread pops; neither
// blocks: a full ring refuses (the producer counts a drop), an empty ring returns nothing.
// Slots are reused in place, so elements that own buffers (std::string) keep their capacity
// and steady-state use allocates nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

namespace xsensor {

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(size_t capacity_pow2)
      : mask_(capacity_pow2 - 1), slots_(new T[capacity_pow2]) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer: the slot to fill, or null when full. Publish() makes it visible.
  T* Claim() {
    size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ > mask_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ > mask_) return nullptr;
    }
    return &slots_[head & mask_];
  }
  void Publish() {
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Consumer: the oldest element, or null when empty. Release() frees its slot.
  T* Peek() {
    size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) return nullptr;
    }
    return &slots_[tail & mask_];
  }
  // Consumer: the element `k` places after the oldest, or null when it is not published yet
  // (as far as this side last looked: it does not look again).
  T* PeekAhead(size_t k) {
    size_t tail = tail_.load(std::memory_order_relaxed);
    return head_cache_ - tail > k ? &slots_[(tail + k) & mask_] : nullptr;
  }
  void Release() {
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  size_t size() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }
  size_t capacity() const { return mask_ + 1; }
  // Producer: slots it can still claim (at least).
  size_t free() const { return capacity() - size(); }
  // Elements published and released since the start (they only grow).
  size_t published() const { return head_.load(std::memory_order_acquire); }
  size_t released() const { return tail_.load(std::memory_order_acquire); }

 private:
  const size_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // producer's view of tail_
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // consumer's view of head_
};

}  // namespace xsensor
