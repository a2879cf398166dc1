#include "parsers/dns/name_cache.h"

#include <functional>

namespace xsensor {

DnsNameCache::DnsNameCache(size_t capacity) : per_shard_(std::max<size_t>(capacity / kShards, 1)) {}

DnsNameCache::Shard& DnsNameCache::ShardOf(absl::string_view addr) const {
  size_t h = std::hash<std::string_view>{}(std::string_view(addr.data(), addr.size()));
  return shards_[h % kShards];
}

void DnsNameCache::Put(absl::string_view addr, absl::string_view name, uint32_t ttl,
                       int64_t now_s) {
  Shard& s = ShardOf(addr);
  std::lock_guard<std::mutex> lock(s.mu);
  std::string key(addr);
  auto [it, inserted] = s.map.try_emplace(key);
  it->second.name.assign(name.data(), name.size());
  it->second.expires_s = now_s + ttl;
  if (!inserted) return;
  s.order.push_back(std::move(key));
  while (s.map.size() > per_shard_ && !s.order.empty()) {
    s.map.erase(s.order.front());
    s.order.pop_front();
  }
}

bool DnsNameCache::Get(absl::string_view addr, int64_t now_s, std::string* name) const {
  Shard& s = ShardOf(addr);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(std::string(addr));
  if (it == s.map.end() || it->second.expires_s < now_s) return false;
  *name = it->second.name;
  return true;
}

size_t DnsNameCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace xsensor
