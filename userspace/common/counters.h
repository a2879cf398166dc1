// Named counter groups. A group is declared with an X-macro list so the enum and the printable
// names come from one place:
//   #define MY_COUNTERS(X) X(kFoo, "foo") X(kBar, "bar")
//   XS_COUNTER_GROUP(MyCounters, MY_COUNTERS);
// Counters are owned by one thread (a worker); readers on other threads see relaxed values.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace xsensor {

#define XS_COUNTER_ENUM_(id, name) id,
#define XS_COUNTER_NAME_(id, name) name,
#define XS_COUNTER_GROUP(Type, LIST)                                                          \
  struct Type {                                                                               \
    enum Id : int { LIST(XS_COUNTER_ENUM_) kCount };                                          \
    static constexpr std::array<absl::string_view, kCount> kNames = {LIST(XS_COUNTER_NAME_)}; \
    std::array<std::atomic<uint64_t>, kCount> v{};                                            \
    void Inc(Id id, uint64_t n = 1) {                                                         \
      v[id].store(v[id].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);      \
    }                                                                                         \
    uint64_t Get(Id id) const { return v[id].load(std::memory_order_relaxed); }               \
    uint64_t Sum() const {                                                                    \
      uint64_t s = 0;                                                                         \
      for (const auto& c : v) s += c.load(std::memory_order_relaxed);                         \
      return s;                                                                               \
    }                                                                                         \
  }

}  // namespace xsensor
