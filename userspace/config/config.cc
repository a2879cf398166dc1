#include "config/config.h"

#include <pwd.h>

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

// One flag per configuration key; an empty flag means "not given".
#define XS_DEFINE_FLAG_(key, def, help) \
  ABSL_FLAG(std::string, key, "", absl::StrCat(help, " (config key; default '", def, "')"));
XS_CONFIG_KEYS(XS_DEFINE_FLAG_)
#undef XS_DEFINE_FLAG_

namespace xsensor {
namespace {

absl::Status ParseU32(absl::string_view v, uint32_t min, uint32_t max, uint32_t* out) {
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

absl::Status ParseSize(absl::string_view v, uint64_t* out) {
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
  *out = n * mult;
  return absl::OkStatus();
}

absl::Status ParseBool(absl::string_view v, bool* out) {
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

absl::Status ParseEndpoints(absl::string_view v, std::vector<Endpoint>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
    auto ep = ParseEndpoint(absl::StripAsciiWhitespace(part));
    if (!ep.ok()) return ep.status();
    out->push_back(*ep);
  }
  return absl::OkStatus();
}

std::vector<std::string> SplitList(absl::string_view v, char sep) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(v, sep, absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(p));
  }
  return out;
}

constexpr absl::string_view kDnsLogFields[] = {"ts",      "ssid", "login",     "ipsrc", "ipdst",
                                               "psrc",    "pdst", "transport", "host",  "rrtype",
                                               "rrclass", "ttl",  "rdlen",     "rdata"};

}  // namespace

const std::vector<ConfigKeyInfo>& ConfigKeys() {
  static const auto* keys = new std::vector<ConfigKeyInfo>{
#define XS_KEY_INFO_(key, def, help) {#key, def, help},
      XS_CONFIG_KEYS(XS_KEY_INFO_)
#undef XS_KEY_INFO_
  };
  return *keys;
}

absl::Status ApplyConfigKey(Config* c, absl::string_view key, absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (key == "ipfix_udp_collectors") return ParseEndpoints(value, &c->ipfix_udp_collectors);
  if (key == "ipfix_tcp_collectors") return ParseEndpoints(value, &c->ipfix_tcp_collectors);
  if (key == "ipfix_meta_udp_collectors")
    return ParseEndpoints(value, &c->ipfix_meta_udp_collectors);
  if (key == "ipfix_meta_tcp_collectors")
    return ParseEndpoints(value, &c->ipfix_meta_tcp_collectors);
  if (key == "ipfix_dns_udp_collectors") return ParseEndpoints(value, &c->ipfix_dns_udp_collectors);
  if (key == "ipfix_dns_tcp_collectors") return ParseEndpoints(value, &c->ipfix_dns_tcp_collectors);
  if (key == "ipfix_udp_template_timer")
    return ParseU32(value, 1, 86400, &c->ipfix_udp_template_timer);
  if (key == "ipfix_mtu_limit") return ParseU32(value, 512, 65535, &c->ipfix_mtu_limit);
  if (key == "ipfix_dev") {
    if (value.size() >= 16) return absl::InvalidArgumentError("interface name too long");
    c->ipfix_dev = std::string(value);
    return absl::OkStatus();
  }
  if (key == "observation_domain_id")
    return ParseU32(value, 0, 0xffffffffu, &c->observation_domain_id);
  if (key == "ipfix_tcp_queue_bytes") {
    if (auto st = ParseSize(value, &c->ipfix_tcp_queue_bytes); !st.ok()) return st;
    if (c->ipfix_tcp_queue_bytes < 65536) {
      return absl::InvalidArgumentError("must be at least 64K (one IPFIX message)");
    }
    return absl::OkStatus();
  }
  if (key == "ip_reassembly") return ParseBool(value, &c->ip_reassembly);
  if (key == "ipfix_collectors_share") return ParseBool(value, &c->ipfix_collectors_share);
  if (key == "http_parse_reply") return ParseBool(value, &c->http_parse_reply);
  if (key == "ssl_parse_reply") return ParseBool(value, &c->ssl_parse_reply);
  if (key == "netflow_timeout") return ParseU32(value, 1, 3600, &c->netflow_timeout);
  if (key == "dbg_log_mask") return ParseU32(value, 0, 0xffffffffu, &c->dbg_log_mask);
  if (key == "ajb_save_dns") return ParseBool(value, &c->ajb_save_dns);
  if (key == "metrics_listen") {
    if (value.empty() || absl::AsciiStrToLower(value) == "off") {
      c->metrics_listen.reset();
      return absl::OkStatus();
    }
    auto ep = ParseEndpoint(value, /*allow_port_zero=*/true);
    if (!ep.ok()) return ep.status();
    c->metrics_listen = *ep;
    return absl::OkStatus();
  }
  if (key == "stat_log_file" || key == "alert_log_file") {
    if (value.empty()) return absl::InvalidArgumentError("must name a file");
    (key == "stat_log_file" ? c->stat_log_file : c->alert_log_file) = std::string(value);
    return absl::OkStatus();
  }
  if (key == "log_dir") {
    if (value.empty()) return absl::InvalidArgumentError("must name a folder");
    c->log_dir = std::string(value);
    return absl::OkStatus();
  }
  if (key == "ajb_dns_path") {
    if (value.empty()) return absl::InvalidArgumentError("empty path");
    c->ajb_dns_path = std::string(value);
    return absl::OkStatus();
  }
  if (key == "ajb_dns_fsize") return ParseSize(value, &c->ajb_dns_fsize);
  if (key == "ajb_dns_ftimeout") return ParseU32(value, 1, 10080, &c->ajb_dns_ftimeout);
  if (key == "ajb_dns_bufsize") return ParseSize(value, &c->ajb_dns_bufsize);
  if (key == "ajb_save_dns_format") {
    std::vector<std::string> fields = SplitList(value, ':');
    if (fields.empty()) return absl::InvalidArgumentError("no fields");
    for (const auto& f : fields) {
      bool known = false;
      for (auto k : kDnsLogFields) known |= (k == f);
      if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown field '", f, "'"));
    }
    c->ajb_save_dns_format = std::move(fields);
    return absl::OkStatus();
  }
  if (key == "in_dev") {
    c->in_dev = SplitList(value, ',');
    for (const auto& d : c->in_dev) {
      if (d.size() >= 16) return absl::InvalidArgumentError(absl::StrCat("'", d, "' too long"));
    }
    return absl::OkStatus();
  }
  if (key == "in_queues") return ParseU32(value, 0, 256, &c->in_queues);
  if (key == "xdp_mode") {
    if (value != "auto" && value != "native" && value != "skb") {
      return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not auto, native or skb"));
    }
    c->xdp_mode = std::string(value);
    return absl::OkStatus();
  }
  if (key == "capture_mode") {
    if (value != "inline" && value != "mirror") {
      return absl::InvalidArgumentError(absl::StrCat("'", value, "' is not inline or mirror"));
    }
    c->capture_mirror = value == "mirror";
    return absl::OkStatus();
  }
  if (key == "xdp_sniff") return ParseBool(value, &c->xdp_sniff);
  if (key == "drop_privileges") return ParseBool(value, &c->drop_privileges);
  if (key == "redact_credentials") {
    if (value == "0" || value == "none") {
      c->redact_credentials = Config::Redact::kNone;
    } else if (value == "empty") {
      c->redact_credentials = Config::Redact::kEmpty;
    } else if (value == "hash") {
      c->redact_credentials = Config::Redact::kHash;
    } else {
      return absl::InvalidArgumentError("expected 0, empty or hash");
    }
    return absl::OkStatus();
  }
  if (key == "redact_key") {
    c->redact_key = std::string(value);
    return absl::OkStatus();
  }
  if (key == "user") {
    if (!value.empty() && !getpwnam(std::string(value).c_str())) {
      return absl::InvalidArgumentError(absl::StrCat("no such user: ", value));
    }
    c->user = std::string(value);
    return absl::OkStatus();
  }
  if (key == "steer_tcp_ports" || key == "steer_udp_ports") {
    bool tcp = key == "steer_tcp_ports";
    auto* out = tcp ? &c->steer_tcp_ports : &c->steer_udp_ports;
    bool* parsers = tcp ? &c->steer_tcp_parser_ports : &c->steer_udp_parser_ports;
    out->clear();
    *parsers = false;
    for (const auto& p : SplitList(value, ',')) {
      if (p == "parsers") {
        *parsers = true;
        continue;
      }
      uint32_t port;
      if (auto st = ParseU32(p, 1, 65535, &port); !st.ok()) return st;
      out->push_back(static_cast<uint16_t>(port));
    }
    return absl::OkStatus();
  }
  if (key == "bypass_timeout") return ParseU32(value, 1, 86400, &c->bypass_timeout);
  if (key == "worker_cpus") {
    c->worker_cpus.clear();
    for (const auto& p : SplitList(value, ',')) {
      uint32_t cpu;
      if (auto st = ParseU32(p, 0, 4095, &cpu); !st.ok()) return st;
      c->worker_cpus.push_back(static_cast<int>(cpu));
    }
    return absl::OkStatus();
  }
  if (key == "login_map_file") {
    c->login_map_file = std::string(value);
    return absl::OkStatus();
  }
  if (key == "vchannel") return ParseU32(value, 0, 65535, &c->vchannel);
  if (key == "pcap_workers") return ParseU32(value, 0, 64, &c->pcap_workers);
  if (key == "flow_max") return ParseU32(value, 16, 100000000, &c->flow_max);
  if (key == "flow_idle_timeout") return ParseU32(value, 1, 86400, &c->flow_idle_timeout);
  if (key == "flow_closed_timeout") return ParseU32(value, 0, 3600, &c->flow_closed_timeout);
  if (key == "raw_export") return ParseBool(value, &c->raw_export);
  if (key == "raw_max_bytes") return ParseU32(value, 1, 4000, &c->raw_max_bytes);
  if (key == "raw_max_packets") return ParseU32(value, 1, 1000000, &c->raw_max_packets);
  if (key == "reassembly_flow_bytes") return ParseSize(value, &c->reassembly_flow_bytes);
  if (key == "reassembly_total_bytes") return ParseSize(value, &c->reassembly_total_bytes);
  if (key == "dns_max_records") return ParseU32(value, 1, 65535, &c->dns_max_records);
  if (key == "http_max_header_bytes")
    return ParseU32(value, 256, 1 << 20, &c->http_max_header_bytes);
  return absl::NotFoundError(absl::StrCat("unknown key '", key, "'"));
}

Config DefaultConfig() {
  Config c;
  for (const auto& k : ConfigKeys()) {
    absl::Status s = ApplyConfigKey(&c, k.key, k.default_value);
    (void)s;  // defaults are valid by construction (config_test checks)
  }
  return c;
}

absl::Status ParseConfigText(absl::string_view file_name, absl::string_view text, Config* config,
                             std::vector<std::string>* warnings) {
  int line_no = 0;
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
    absl::Status s = ApplyConfigKey(config, key, value);
    if (s.ok()) config->where[std::string(key)] = absl::StrCat(file_name, ":", line_no);
    if (absl::IsNotFound(s)) {
      if (warnings) {
        warnings->push_back(
            absl::StrCat(file_name, ":", line_no, ": unknown key '", key, "' ignored"));
      }
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
#define XS_APPLY_FLAG_(key, def, help)                                                     \
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
  if (config.redact_credentials == Config::Redact::kHash && config.redact_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(config.Where("redact_credentials"), ": hash needs a secret in redact_key"));
  }
  return config;
}

}  // namespace xsensor
