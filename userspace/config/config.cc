#include "config/config.h"

#include <pwd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace xsensor {
namespace {

// The value parsers of the key table (config.h): each takes a value's text into its member
// and says, for the help and the README, what it accepts.

struct Integer {
  uint32_t min, max;
  Integer(uint64_t lo, uint64_t hi)
      : min(static_cast<uint32_t>(lo)), max(static_cast<uint32_t>(hi)) {}
  absl::Status operator()(absl::string_view v, uint32_t* out) const {
    uint64_t n = 0;
    bool ok = absl::StartsWithIgnoreCase(v, "0x") ? absl::SimpleHexAtoi(v.substr(2), &n)
                                                  : absl::SimpleAtoi(v, &n);
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("'", v, "' is not a number"));
    if (n < min || n > max) {
      return absl::InvalidArgumentError(absl::StrCat(n, " is out of range [", min, ", ", max, "]"));
    }
    *out = static_cast<uint32_t>(n);
    return absl::OkStatus();
  }
  std::string Accepts() const { return absl::StrCat("an integer in [", min, ", ", max, "]"); }
};

// An integer in [lo, hi] that is a power of two (ring sizes).
struct PowerOfTwo {
  Integer range;
  PowerOfTwo(uint64_t lo, uint64_t hi) : range(lo, hi) {}
  absl::Status operator()(absl::string_view v, uint32_t* out) const {
    uint32_t n = 0;
    if (auto st = range(v, &n); !st.ok()) return st;
    if ((n & (n - 1)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(n, " is not a power of two"));
    }
    *out = n;
    return absl::OkStatus();
  }
  std::string Accepts() const {
    return absl::StrCat("a power of two in [", range.min, ", ", range.max, "]");
  }
};

struct Size {
  uint64_t min;
  explicit Size(uint64_t least) : min(least) {}
  absl::Status operator()(absl::string_view v, uint64_t* out) const {
    uint64_t mult = 1;
    absl::string_view num = v;
    if (!num.empty()) {
      switch (absl::ascii_toupper(num.back())) {
        case 'K':
          mult = 1ull << 10;
          break;
        case 'M':
          mult = 1ull << 20;
          break;
        case 'G':
          mult = 1ull << 30;
          break;
        default:
          break;
      }
      if (mult != 1) num.remove_suffix(1);
    }
    uint64_t n = 0;
    if (!absl::SimpleAtoi(num, &n) || n == 0 || n > (1ull << 40) / mult) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", v, "' is not a size (a positive number with optional K, M or G)"));
    }
    if (n * mult < min) {
      return absl::InvalidArgumentError(absl::StrCat("must be at least ", min, " bytes"));
    }
    *out = n * mult;
    return absl::OkStatus();
  }
  std::string Accepts() const {
    return min > 1 ? absl::StrCat("a size of at least ", min, " bytes (K/M/G)")
                   : "a size in bytes (K/M/G)";
  }
};

struct Flag {
  absl::Status operator()(absl::string_view v, bool* out) const {
    std::string l = absl::AsciiStrToLower(v);
    if (l == "1" || l == "on" || l == "yes" || l == "true") {
      *out = true;
    } else if (l == "0" || l == "off" || l == "no" || l == "false") {
      *out = false;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("'", v, "' is not 0/1/on/off"));
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "0/1 (or off/on)"; }
};

std::vector<std::string> SplitList(absl::string_view v, char sep) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(v, sep, absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(p));
  }
  return out;
}

struct Collectors {
  absl::Status operator()(absl::string_view v, std::vector<Endpoint>* out) const {
    out->clear();
    for (const std::string& part : SplitList(v, ',')) {
      auto ep = ResolveEndpoint(part);
      if (!ep.ok()) return ep.status();
      out->push_back(*ep);
    }
    return absl::OkStatus();
  }
  std::string Accepts() const {
    return "HOST:PORT[,HOST:PORT...] (an address, IPv6 as [ADDR]:PORT, or a name resolved at "
           "start)";
  }
};

struct Listen {
  absl::Status operator()(absl::string_view v, std::optional<Endpoint>* out) const {
    if (v.empty() || absl::AsciiStrToLower(v) == "off") {
      out->reset();
      return absl::OkStatus();
    }
    auto ep = ParseEndpoint(v, /*allow_port_zero=*/true);
    if (!ep.ok()) return ep.status();
    *out = *ep;
    return absl::OkStatus();
  }
  std::string Accepts() const { return "ADDR:PORT, or off"; }
};

struct Text {
  absl::Status operator()(absl::string_view v, std::string* out) const {
    *out = std::string(v);
    return absl::OkStatus();
  }
  std::string Accepts() const { return "any text"; }
};

struct Path {
  absl::Status operator()(absl::string_view v, std::string* out) const {
    if (v.empty()) return absl::InvalidArgumentError("must name a file or folder");
    *out = std::string(v);
    return absl::OkStatus();
  }
  std::string Accepts() const { return "a path"; }
};

constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

struct Interface {
  absl::Status operator()(absl::string_view v, std::string* out) const {
    if (v.size() > kMaxInterfaceName) return absl::InvalidArgumentError("interface name too long");
    *out = std::string(v);
    return absl::OkStatus();
  }
  std::string Accepts() const { return "an interface name, or empty"; }
};

struct Interfaces {
  absl::Status operator()(absl::string_view v, std::vector<std::string>* out) const {
    *out = SplitList(v, ',');
    for (const auto& d : *out) {
      if (d.size() > kMaxInterfaceName) {
        return absl::InvalidArgumentError(absl::StrCat("'", d, "' too long"));
      }
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "interface names, comma-separated"; }
};

struct Prefixes {
  absl::Status operator()(absl::string_view v, std::vector<std::string>* out) const {
    *out = SplitList(v, ',');
    for (const auto& p : *out) {
      if (!ParseIpPrefix(p).ok()) {
        return absl::InvalidArgumentError(absl::StrCat("'", p, "' is not ", Accepts()));
      }
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "ADDRESS[/PREFIX] (IPv4 or IPv6), comma-separated"; }
};

struct OneOf {
  std::vector<absl::string_view> choices;
  template <typename... T>
  explicit OneOf(T... c) : choices{c...} {}
  absl::Status operator()(absl::string_view v, std::string* out) const {
    for (absl::string_view c : choices) {
      if (v == c) {
        *out = std::string(v);
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("'", v, "' is not ", Accepts()));
  }
  std::string Accepts() const { return absl::StrJoin(choices, ", "); }
};

struct RedactMode {
  absl::Status operator()(absl::string_view v, Config::Redact* out) const {
    if (v == "0" || v == "none") {
      *out = Config::Redact::kNone;
    } else if (v == "empty") {
      *out = Config::Redact::kEmpty;
    } else if (v == "hash") {
      *out = Config::Redact::kHash;
    } else {
      return absl::InvalidArgumentError("expected 0, empty or hash");
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "0, empty, hash"; }
};

struct UserName {
  absl::Status operator()(absl::string_view v, std::string* out) const {
    if (!v.empty() && !getpwnam(std::string(v).c_str())) {
      return absl::InvalidArgumentError(absl::StrCat("no such user: ", v));
    }
    *out = std::string(v);
    return absl::OkStatus();
  }
  std::string Accepts() const { return "a user name, or empty"; }
};

struct Ports {
  absl::Status operator()(absl::string_view v, PortList* out) const {
    out->ports.clear();
    out->parsers = false;
    for (const auto& p : SplitList(v, ',')) {
      if (p == "parsers") {
        out->parsers = true;
        continue;
      }
      uint32_t port;
      if (auto st = Integer(1, 65535)(p, &port); !st.ok()) return st;
      out->ports.push_back(static_cast<uint16_t>(port));
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "'parsers' and/or ports, comma-separated"; }
};

struct CpuList {
  absl::Status operator()(absl::string_view v, std::vector<int>* out) const {
    out->clear();
    for (const auto& p : SplitList(v, ',')) {
      uint32_t cpu;
      if (auto st = Integer(0, 4095)(p, &cpu); !st.ok()) return st;
      out->push_back(static_cast<int>(cpu));
    }
    return absl::OkStatus();
  }
  std::string Accepts() const { return "CPU numbers, comma-separated, or empty"; }
};

constexpr absl::string_view kDnsLogFields[] = {"ts",      "ssid", "login",     "ipsrc", "ipdst",
                                               "psrc",    "pdst", "transport", "host",  "rrtype",
                                               "rrclass", "ttl",  "rdlen",     "rdata"};

struct DnsLogFields {
  absl::Status operator()(absl::string_view v, std::vector<std::string>* out) const {
    std::vector<std::string> fields = SplitList(v, ':');
    if (fields.empty()) return absl::InvalidArgumentError("no fields");
    for (const auto& f : fields) {
      bool known = false;
      for (auto k : kDnsLogFields) known |= (k == f);
      if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown field '", f, "'"));
    }
    *out = std::move(fields);
    return absl::OkStatus();
  }
  std::string Accepts() const {
    return absl::StrCat("fields of ", absl::StrJoin(kDnsLogFields, ", "), ", colon-separated");
  }
};

}  // namespace

const std::vector<ConfigKeyInfo>& ConfigKeys() {
  static const auto* keys = new std::vector<ConfigKeyInfo>{
#define XS_KEY_INFO_(key, type, parser, def, help) {#key, def, help, parser.Accepts()},
      XS_CONFIG_KEYS(XS_KEY_INFO_)
#undef XS_KEY_INFO_
  };
  return *keys;
}

std::string ConfigFlagHelp(absl::string_view key) {
  for (const auto& k : ConfigKeys()) {
    if (k.key == key) {
      return absl::StrCat(k.help, " (config key; ", k.accepts, "; default '", k.default_value,
                          "')");
    }
  }
  return "";
}

absl::Status ApplyConfigKey(Config* c, absl::string_view key, absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
#define XS_APPLY_KEY_(k, type, parser, def, help) \
  if (key == #k) return parser(value, &c->k);
  XS_CONFIG_KEYS(XS_APPLY_KEY_)
#undef XS_APPLY_KEY_
  return absl::NotFoundError(absl::StrCat("unknown key '", key, "'"));
}

}  // namespace xsensor

// One flag per configuration key; an empty flag means "not given".
#define XS_DEFINE_FLAG_(key, type, parser, def, help) \
  ABSL_FLAG(std::string, key, "", xsensor::ConfigFlagHelp(#key));
XS_CONFIG_KEYS(XS_DEFINE_FLAG_)
#undef XS_DEFINE_FLAG_

namespace xsensor {
namespace {

// Edit distance (insertions, deletions, substitutions) between a and b.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestConfigKey(absl::string_view key) {
  absl::string_view best;
  size_t best_distance = std::max<size_t>(2, key.size() / 4) + 1;  // a typo, not another key
  const std::string lower = absl::AsciiStrToLower(key);            // keys are lower case
  for (const auto& k : ConfigKeys()) {
    const size_t d = EditDistance(lower, k.key);
    if (d < best_distance) {
      best = k.key;
      best_distance = d;
    }
  }
  return std::string(best);
}

Config DefaultConfig() {
  Config c;
  for (const auto& k : ConfigKeys()) {
    absl::Status s = ApplyConfigKey(&c, k.key, k.default_value);
    (void)s;  // defaults are valid by construction (config_test checks)
  }
  return c;
}

namespace {
std::string DidYouMean(absl::string_view key) {
  const std::string closest = ClosestConfigKey(key);
  return closest.empty() ? "" : absl::StrCat(" (did you mean '", closest, "'?)");
}
}  // namespace

absl::Status ParseConfigText(absl::string_view file_name, absl::string_view text, Config* config,
                             std::vector<std::string>* warnings) {
  int line_no = 0;
  std::map<std::string, int, std::less<>> seen;  // key -> the line that gave it
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": expected key=value, got '", line, "'"));
    }
    absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, eq));
    absl::string_view value = line.substr(eq + 1);
    // A '#' preceded by white space starts a trailing comment.
    for (size_t i = 1; i < value.size(); ++i) {
      if (value[i] == '#' && absl::ascii_isspace(static_cast<unsigned char>(value[i - 1]))) {
        value = value.substr(0, i);
        break;
      }
    }
    // A key given twice: which one was meant is not for the sensor to guess.
    if (auto [it, fresh] = seen.emplace(std::string(key), line_no); !fresh) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ":", line_no, ": key '", key,
                                                     "' given twice (first at ", file_name, ":",
                                                     it->second, ")"));
    }
    absl::Status s = ApplyConfigKey(config, key, value);
    if (s.ok()) config->where[std::string(key)] = absl::StrCat(file_name, ":", line_no);
    if (absl::IsNotFound(s)) {
      // A misspelt key would leave its default in force unseen: refused, with the key meant.
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": unknown key '", key, "'", DidYouMean(key)));
    } else if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": key '", key, "': ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string Config::Where(const std::string& key) const {
  auto it = where.find(key);
  return it == where.end() ? absl::StrCat("key '", key, "'")
                           : absl::StrCat(it->second, ": key '", key, "'");
}

absl::StatusOr<Config> LoadConfig(const std::string& path, std::vector<std::string>* warnings) {
  Config config = DefaultConfig();
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open config file"));
    std::stringstream ss;
    ss << in.rdbuf();
    absl::Status s = ParseConfigText(path, ss.str(), &config, warnings);
    if (!s.ok()) return s;
  }
#define XS_APPLY_FLAG_(key, type, parser, def, help)                                       \
  {                                                                                        \
    std::string v = absl::GetFlag(FLAGS_##key);                                            \
    if (!v.empty()) {                                                                      \
      absl::Status s = ApplyConfigKey(&config, #key, v);                                   \
      if (!s.ok())                                                                         \
        return absl::InvalidArgumentError(absl::StrCat("flag --" #key ": ", s.message())); \
      config.where[#key] = "flag --" #key;                                                 \
    }                                                                                      \
  }
  XS_CONFIG_KEYS(XS_APPLY_FLAG_)
#undef XS_APPLY_FLAG_
  if (config.radius_acct_listen && config.radius_secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(config.Where("radius_acct_listen"),
                                                   ": RADIUS accounting needs its shared secret in "
                                                   "radius_secret"));
  }
  if (config.redact_credentials == Config::Redact::kHash && config.redact_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.Where("redact_credentials"), ": hash needs a secret in redact_key"));
  }
  return config;
}

}  // namespace xsensor
