// The sensor's configuration: a key=value file (SPEC.md keys plus the sensor's own), every key
// also settable by a command-line flag of the same name that overrides the file. One table
// (XS_CONFIG_KEYS) lists every key with its default and help; parsing, flags and the README
// table are derived from it. Errors name the file, line, key and reason.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net_address.h"

namespace xsensor {

// X(key, default, help)
#define XS_CONFIG_KEYS(X)                                                                          \
  X(ipfix_udp_collectors, "", "Clickstream collectors over UDP: ADDR:PORT[,ADDR:PORT...]")         \
  X(ipfix_tcp_collectors, "", "Clickstream collectors over TCP")                                   \
  X(ipfix_meta_udp_collectors, "", "Metadata (SIP/FTP/IM/mail/raw) collectors over UDP")           \
  X(ipfix_meta_tcp_collectors, "", "Metadata collectors over TCP")                                 \
  X(ipfix_dns_udp_collectors, "", "DNS collectors over UDP")                                       \
  X(ipfix_dns_tcp_collectors, "", "DNS collectors over TCP")                                       \
  X(ipfix_udp_template_timer, "20", "Seconds between template resends over UDP")                   \
  X(ipfix_mtu_limit, "1400", "Largest IPFIX message in bytes (UDP datagram payload)")              \
  X(ipfix_dev, "", "Network interface the export sockets are bound to (empty: any)")               \
  X(ipfix_tcp_queue_bytes, "16M",                                                                  \
    "Bytes queued per TCP collector while it is down or slow; more is dropped (K/M/G)")            \
  X(ipfix_collectors_share, "0",                                                                   \
    "1: the collectors of each list share its stream by SESSION_ID hash (0: each gets all)")       \
  X(observation_domain_id, "1", "IPFIX observation domain id")                                     \
  X(http_parse_reply, "0", "1: also export http_reply records")                                    \
  X(ssl_parse_reply, "0", "1: also export ssl_reply records")                                      \
  X(netflow_timeout, "30", "Export cycle period in seconds")                                       \
  X(dbg_log_mask, "0", "Debug log mask; 0x80 writes export statistics every cycle")                \
  X(log_dir, "/var/log/xsensor", "Folder of the statistics and alert logs")                        \
  X(stat_log_file, "fastdpi_stat.log",                                                             \
    "Statistics log (export cycles, dbg_log_mask 0x80): a name in log_dir or an absolute path")    \
  X(alert_log_file, "fastdpi_alert.log",                                                           \
    "Alert log ([NFLW] very long operation): a name in log_dir or an absolute path")               \
  X(metrics_listen, "127.0.0.1:9187",                                                              \
    "Prometheus metrics endpoint (http://ADDR:PORT/metrics) of the live sensor; off: none")        \
  X(ajb_save_dns, "off", "on: write DNS records to the DNS text log")                              \
  X(ajb_dns_path, "/var/log/xsensor/dns.log", "DNS text log path")                                 \
  X(ajb_dns_fsize, "100M", "DNS text log size at which the file is switched (K/M/G)")              \
  X(ajb_dns_ftimeout, "60", "Minutes after which a non-empty DNS text log is switched")            \
  X(ajb_dns_bufsize, "1M", "DNS text log write buffer (K/M/G)")                                    \
  X(ajb_save_dns_format,                                                                           \
    "ts:ssid:login:ipsrc:ipdst:psrc:pdst:transport:host:rrtype:rrclass:ttl:rdlen:rdata",           \
    "DNS text log fields, colon-separated")                                                        \
  X(in_dev, "", "Capture interface(s) for live capture, comma-separated")                          \
  X(in_queues, "0", "Receive queues captured per interface (0: all)")                              \
  X(xdp_mode, "auto", "XDP attach mode: auto (native, else generic), native or skb")               \
  X(capture_mode, "inline", "inline: pass what is not steered; mirror: drop it (SPAN copies)")     \
  X(ip_reassembly, "1",                                                                            \
    "1: reassemble IP fragments before parsing (live: XDP steers UDP fragments)")                  \
  X(xdp_sniff, "1",                                                                                \
    "1: also steer flows whose payload starts like HTTP, TLS, SIP, XMPP or an FTP/SMTP/POP3/IMAP " \
    "greeting")                                                                                    \
  X(steer_tcp_ports, "parsers",                                                                    \
    "TCP ports whose flows are steered to userspace; 'parsers': every port a parser serves "       \
    "(more may follow: parsers,8081)")                                                             \
  X(steer_udp_ports, "parsers", "UDP ports whose flows are steered to userspace (as above)")       \
  X(bypass_timeout, "120", "Seconds a finished flow's bulk stays bypassed in XDP")                 \
  X(redact_credentials, "0",                                                                       \
    "0: credentials exported in clear (the spec); empty: FTP/XMPP passwords, cookies and the "     \
    "secrets of raw login lines exported empty; hash: as a keyed hash (redact_key)")               \
  X(redact_key, "", "The secret of redact_credentials=hash (HMAC-SHA256)")                         \
  X(drop_privileges, "1",                                                                          \
    "1: once capture is set up, drop every capability (live; CAP_NET_RAW kept for ipfix_dev)")     \
  X(user, "",                                                                                      \
    "Live: run as this user once capture is set up (log_dir and ajb_dns_path given to it)")        \
  X(worker_cpus, "", "CPUs to pin the queue workers to, in queue order (empty: no pinning)")       \
  X(pcap_workers, "0",                                                                             \
    "Worker threads of an offline (--pcap) run; 0: one per CPU (at most 8); 1: one thread")        \
  X(vchannel, "0", "Channel number exported as BRIDGE_CHANNEL_NUM")                                \
  X(login_map_file, "", "Subscriber logins: 'ADDRESS[/PREFIX] LOGIN' lines (reloaded on SIGHUP)")  \
  X(flow_max, "1000000", "Most flows tracked at once; the least recently seen is evicted")         \
  X(flow_idle_timeout, "120", "Seconds without packets after which a flow ends")                   \
  X(flow_closed_timeout, "5", "Seconds a TCP flow is kept after FIN in both directions/RST")       \
  X(http_max_header_bytes, "16384", "Longest HTTP header block parsed per message")                \
  X(dns_max_records, "128", "dns records exported per DNS message at most (the rest counted)")     \
  X(raw_export, "0",                                                                               \
    "1: export the payload of SIP/FTP/SMTP/POP3/IMAP/XMPP packets as raw records")                 \
  X(raw_max_bytes, "1500", "Payload bytes of one packet in a raw record (longer is cut)")          \
  X(raw_max_packets, "64", "Raw records per flow at most")                                         \
  X(reassembly_flow_bytes, "256K",                                                                 \
    "Memory for out-of-order TCP segments per flow direction (K/M)")                               \
  X(reassembly_total_bytes, "64M", "Memory for out-of-order TCP segments per worker (K/M/G)")

struct Config {
  std::vector<Endpoint> ipfix_udp_collectors;
  std::vector<Endpoint> ipfix_tcp_collectors;
  std::vector<Endpoint> ipfix_meta_udp_collectors;
  std::vector<Endpoint> ipfix_meta_tcp_collectors;
  std::vector<Endpoint> ipfix_dns_udp_collectors;
  std::vector<Endpoint> ipfix_dns_tcp_collectors;
  uint32_t ipfix_udp_template_timer = 20;
  uint32_t ipfix_mtu_limit = 1400;
  std::string ipfix_dev;
  uint64_t ipfix_tcp_queue_bytes = 16 << 20;
  bool ipfix_collectors_share = false;
  uint32_t observation_domain_id = 1;
  bool http_parse_reply = false;
  bool ssl_parse_reply = false;
  uint32_t netflow_timeout = 30;
  uint32_t dbg_log_mask = 0;
  std::string log_dir = "/var/log/xsensor";
  std::string stat_log_file = "fastdpi_stat.log";
  std::string alert_log_file = "fastdpi_alert.log";
  std::optional<Endpoint> metrics_listen;
  bool ajb_save_dns = false;
  std::string ajb_dns_path;
  uint64_t ajb_dns_fsize = 0;
  uint32_t ajb_dns_ftimeout = 60;
  uint64_t ajb_dns_bufsize = 0;
  std::vector<std::string> ajb_save_dns_format;
  std::vector<std::string> in_dev;
  uint32_t in_queues = 0;
  std::string xdp_mode = "auto";
  bool capture_mirror = false;
  bool ip_reassembly = true;
  bool xdp_sniff = true;
  bool drop_privileges = true;
  enum class Redact { kNone, kEmpty, kHash } redact_credentials = Redact::kNone;
  std::string redact_key;
  std::string user;
  // Ports listed besides (or, without `parsers`, instead of) the parsers' own ports.
  std::vector<uint16_t> steer_tcp_ports;
  std::vector<uint16_t> steer_udp_ports;
  bool steer_tcp_parser_ports = true;  // the list has `parsers`
  bool steer_udp_parser_ports = true;
  uint32_t bypass_timeout = 120;
  std::vector<int> worker_cpus;
  uint32_t pcap_workers = 0;
  uint32_t vchannel = 0;
  std::string login_map_file;
  uint32_t flow_max = 1000000;
  uint32_t flow_idle_timeout = 120;
  uint32_t flow_closed_timeout = 5;
  uint32_t http_max_header_bytes = 16384;
  uint32_t dns_max_records = 128;
  bool raw_export = false;
  uint32_t raw_max_bytes = 1500;
  uint32_t raw_max_packets = 64;
  uint64_t reassembly_flow_bytes = 0;
  uint64_t reassembly_total_bytes = 0;

  // Where each key given was set: "FILE:LINE" or "flag --KEY" (for messages about values that
  // parse but cannot be used, such as an interface that does not exist).
  std::map<std::string, std::string> where;
  // "WHERE: key 'KEY'" for messages, or "key 'KEY'" when it was not set (a default).
  std::string Where(const std::string& key) const;
};

struct ConfigKeyInfo {
  absl::string_view key;
  absl::string_view default_value;
  absl::string_view help;
};
const std::vector<ConfigKeyInfo>& ConfigKeys();

// A config with every default applied.
Config DefaultConfig();

// Sets one key from its text value. Errors say what is wrong with the value (no location).
absl::Status ApplyConfigKey(Config* config, absl::string_view key, absl::string_view value);

// Parses file text; `file_name` is used in messages. Unknown keys are collected as warnings.
absl::Status ParseConfigText(absl::string_view file_name, absl::string_view text, Config* config,
                             std::vector<std::string>* warnings);

// Reads and parses a file (empty path: defaults only), then applies every command-line flag of
// the same name that was given (flags override the file).
absl::StatusOr<Config> LoadConfig(const std::string& path, std::vector<std::string>* warnings);

}  // namespace xsensor
