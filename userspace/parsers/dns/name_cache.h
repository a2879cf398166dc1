// Names learned from DNS: answered addresses -> the name that was asked (the question's name,
// so CNAME chains lead back to what the client looked up), expiring by the answer's TTL.
// Shared by all workers (a DNS answer and the flow it precedes may belong to different
// workers): sharded, each shard a mutex-guarded bounded map with FIFO eviction.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/strings/string_view.h"

namespace xsensor {

class DnsNameCache {
 public:
  explicit DnsNameCache(size_t capacity = 1 << 20);
  // `addr` is 4 or 16 bytes; `now_s` and `ttl` in seconds.
  void Put(absl::string_view addr, absl::string_view name, uint32_t ttl, int64_t now_s);
  // The name for addr if known and not expired.
  bool Get(absl::string_view addr, int64_t now_s, std::string* name) const;
  size_t size() const;

 private:
  struct Entry {
    std::string name;
    int64_t expires_s;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> map;
    std::deque<std::string> order;  // insertion order, for eviction
  };
  static constexpr size_t kShards = 16;
  Shard& ShardOf(absl::string_view addr) const;
  size_t per_shard_;
  mutable Shard shards_[kShards];
};

}  // namespace xsensor
