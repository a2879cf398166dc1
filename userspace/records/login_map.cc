#include "records/login_map.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

std::array<uint8_t, 16> Masked(const uint8_t* addr, int len_bytes, int prefix) {
  std::array<uint8_t, 16> k{};
  for (int i = 0; i < len_bytes; ++i) {
    int bits = std::clamp(prefix - 8 * i, 0, 8);
    k[i] = static_cast<uint8_t>(addr[i] & (bits == 8 ? 0xff : (0xff << (8 - bits)) & 0xff));
  }
  return k;
}

}  // namespace

std::shared_ptr<const LoginTable> LoginTable::Build(const std::vector<PrefixEntry>& entries) {
  auto t = std::make_shared<LoginTable>();
  for (const PrefixEntry& e : entries) {
    auto& table = e.len == 4 ? t->v4_ : t->v6_;
    table[e.prefix][Masked(e.addr.data(), e.len, e.prefix)] = e.login;
    ++t->size_;
  }
  return t;
}

absl::StatusOr<std::shared_ptr<const LoginTable>> LoginTable::Parse(absl::string_view file_name,
                                                                    absl::string_view text) {
  std::vector<PrefixEntry> entries;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ":", line_no, ": ", why));
    };
    if (f.size() != 2) return bad("expected 'ADDRESS[/PREFIX] LOGIN'");
    auto p = ParseIpPrefix(f[0]);
    if (!p.ok()) return bad(p.status().message());
    entries.push_back({*p, std::string(f[1])});
  }
  return Build(entries);
}

const std::string* LoginTable::Find(absl::string_view addr) const {
  if (addr.size() != 4 && addr.size() != 16) return nullptr;
  const auto& table = addr.size() == 4 ? v4_ : v6_;
  const auto* a = reinterpret_cast<const uint8_t*>(addr.data());
  for (const auto& [prefix, entries] : table) {
    auto it = entries.find(Masked(a, static_cast<int>(addr.size()), prefix));
    if (it != entries.end()) return &it->second;
  }
  return nullptr;
}

absl::Status LoginMap::Load(const std::string& path) {
  path_ = path;
  return Reload();
}

absl::Status LoginMap::Reload() {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat(path_, ": cannot open the login map"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto t = LoginTable::Parse(path_, ss.str());
  if (!t.ok()) return t.status();
  std::atomic_store(&table_, *t);
  return absl::OkStatus();
}

bool LoginMap::Find(absl::string_view addr, std::string* login) const {
  std::shared_ptr<const LoginTable> t = std::atomic_load(&table_);
  const std::string* l = t ? t->Find(addr) : nullptr;
  if (l) *login = *l;
  return l != nullptr;
}

int Subscribers::Find(absl::string_view a, absl::string_view b, std::string* login) const {
  const LoginTable* n = nets.get();  // immutable once set
  int side = 0;
  for (absl::string_view addr : {a, b}) {
    if (radius && radius->Find(addr, login)) return side;
    if (logins && logins->Find(addr, login)) return side;
    if (n && n->Find(addr)) return side;
    ++side;
  }
  return -1;
}

size_t LoginMap::size() const {
  std::shared_ptr<const LoginTable> t = std::atomic_load(&table_);
  return t ? t->size() : 0;
}

}  // namespace xsensor
