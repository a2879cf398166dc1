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

// Every key, once: X(key, type, parser, default, help). The Config members, the file parser,
// the flags, --print_config and the README table (docs_test) all follow from this table;
// `parser` (config.cc) checks a value and says what it accepts.
#define XS_CONFIG_KEYS(X)                                                                          \
  X(ipfix_udp_collectors, Endpoints, Collectors(), "",                                             \
    "Clickstream collectors over UDP: ADDR:PORT[,ADDR:PORT...]")                                   \
  X(ipfix_tcp_collectors, Endpoints, Collectors(), "", "Clickstream collectors over TCP")          \
  X(ipfix_meta_udp_collectors, Endpoints, Collectors(), "",                                        \
    "Metadata (SIP/FTP/IM/mail/raw) collectors over UDP")                                          \
  X(ipfix_meta_tcp_collectors, Endpoints, Collectors(), "", "Metadata collectors over TCP")        \
  X(ipfix_dns_udp_collectors, Endpoints, Collectors(), "", "DNS collectors over UDP")              \
  X(ipfix_dns_tcp_collectors, Endpoints, Collectors(), "", "DNS collectors over TCP")              \
  X(ipfix_udp_template_timer, uint32_t, Integer(1, 86400), "20",                                   \
    "Seconds between template resends over UDP")                                                   \
  X(ipfix_mtu_limit, uint32_t, Integer(512, 65535), "1400",                                        \
    "Largest IPFIX message in bytes (UDP datagram payload)")                                       \
  X(ipfix_dev, std::string, Interface(), "",                                                       \
    "Network interface the export sockets are bound to (empty: any)")                              \
  X(ipfix_tcp_queue_bytes, uint64_t, Size(64 << 10), "16M",                                        \
    "Bytes queued per TCP collector while it is down or slow; more is dropped (K/M/G)")            \
  X(ipfix_collectors_share, bool, Flag(), "0",                                                     \
    "1: the collectors of each list share its stream by SESSION_ID hash (0: each gets all)")       \
  X(observation_domain_id, uint32_t, Integer(0, 0xffffffff), "1", "IPFIX observation domain id")   \
  X(http_parse_reply, bool, Flag(), "0", "1: also export http_reply records")                      \
  X(ssl_parse_reply, bool, Flag(), "0", "1: also export ssl_reply records")                        \
  X(netflow_timeout, uint32_t, Integer(1, 3600), "30", "Export cycle period in seconds")           \
  X(dbg_log_mask, uint32_t, Integer(0, 0xffffffff), "0",                                           \
    "Debug log mask; 0x80 writes export statistics every cycle")                                   \
  X(log_dir, std::string, Path(), "/var/log/xsensor", "Folder of the statistics and alert logs")   \
  X(stat_log_file, std::string, Path(), "fastdpi_stat.log",                                        \
    "Statistics log (export cycles, dbg_log_mask 0x80): a name in log_dir or an absolute path")    \
  X(alert_log_file, std::string, Path(), "fastdpi_alert.log",                                      \
    "Alert log ([NFLW] very long operation): a name in log_dir or an absolute path")               \
  X(status_interval, uint32_t, Integer(0, 86400), "60",                                            \
    "Live: seconds between status lines in the log and systemd's STATUS (frames seen, steered, "   \
    "bypassed, read; records exported, dropped; collectors up); 0: none")                          \
  X(metrics_listen, std::optional<Endpoint>, Listen(), "127.0.0.1:10187",                          \
    "Prometheus metrics endpoint (http://ADDR:PORT/metrics) of the live sensor; off: none")        \
  X(ajb_save_dns, bool, Flag(), "off", "on: write DNS records to the DNS text log")                \
  X(ajb_dns_path, std::string, Path(), "/var/log/xsensor/dns.log", "DNS text log path")            \
  X(ajb_dns_fsize, uint64_t, Size(1), "100M",                                                      \
    "DNS text log size at which the file is switched (K/M/G)")                                     \
  X(ajb_dns_ftimeout, uint32_t, Integer(1, 10080), "60",                                           \
    "Minutes after which a non-empty DNS text log is switched")                                    \
  X(ajb_dns_bufsize, uint64_t, Size(1), "1M", "DNS text log write buffer (K/M/G)")                 \
  X(ajb_save_dns_format, Names, DnsLogFields(),                                                    \
    "ts:ssid:login:ipsrc:ipdst:psrc:pdst:transport:host:rrtype:rrclass:ttl:rdlen:rdata",           \
    "DNS text log fields, colon-separated")                                                        \
  X(in_dev, Names, Interfaces(), "", "Capture interface(s) for live capture, comma-separated")     \
  X(in_queues, uint32_t, Integer(0, 256), "0", "Receive queues captured per interface (0: all)")   \
  X(xdp_mode, std::string, OneOf("auto", "native", "skb"), "auto",                                 \
    "XDP attach mode: auto (native, else generic), native or skb")                                 \
  X(xsk_ring_size, uint32_t, PowerOfTwo(512, 32768), "4096",                                       \
    "Frames each AF_XDP receive ring holds (the UMEM has twice as many, 4 KiB each): what a "      \
    "worker can fall behind in a burst before the kernel drops")                                   \
  X(xsk_busy_poll, uint32_t, Integer(0, 1000), "0",                                                \
    "Live: microseconds of AF_XDP busy polling (SO_PREFER_BUSY_POLL) a worker spends in each "     \
    "receive call; its worker then never sleeps: give the workers cores of their own "             \
    "(worker_cpus). 0: off, an idle worker sleeps in poll()")                                      \
  X(capture_mode, std::string, OneOf("mirror", "inline"), "mirror",                                \
    "mirror: the capture interface receives copies (a SPAN/TAP/mirror port): steered frames are "  \
    "read, the rest dropped; refused on an interface that carries this host's or a bridge's "      \
    "traffic. inline: a bump in the wire between the capture interface and inline_peer (ports of " \
    "one kernel bridge): every frame is forwarded, the bridge forwards all if the sensor stops")   \
  X(mirror_port_check, bool, Flag(), "1",                                                          \
    "1: mirror mode refuses an interface with an address of this host or in a bridge or bond; 0: " \
    "take it as a mirror port all the same (a test rig whose capture port has an address)")        \
  X(inline_peer, std::string, Interface(), "",                                                     \
    "capture_mode=inline: the bridge's other port (frames from each port leave by the other)")     \
  X(ip_reassembly, bool, Flag(), "1",                                                              \
    "1: reassemble IP fragments before parsing (live: XDP steers UDP fragments)")                  \
  X(xdp_sniff, bool, Flag(), "1",                                                                  \
    "1: also steer flows whose payload starts like HTTP, TLS, SIP, XMPP, a TPKT (H.323) or an "    \
    "FTP/SMTP/POP3/IMAP/NNTP greeting")                                                            \
  X(steer_tcp_ports, PortList, Ports(), "parsers",                                                 \
    "TCP ports whose flows are steered to userspace; 'parsers': every port a parser serves (more " \
    "may follow: parsers,8081)")                                                                   \
  X(steer_udp_ports, PortList, Ports(), "parsers",                                                 \
    "UDP ports whose flows are steered to userspace (as above)")                                   \
  X(bypass_timeout, uint32_t, Integer(1, 86400), "120",                                            \
    "Seconds a finished flow's bulk stays bypassed in XDP")                                        \
  X(redact_credentials, Redact, RedactMode(), "0",                                                 \
    "0: credentials exported in clear (the spec); empty: FTP/XMPP passwords, cookies and the "     \
    "secrets of raw login lines exported empty; hash: as a keyed hash (redact_key)")               \
  X(redact_key, std::string, Text(), "", "The secret of redact_credentials=hash (HMAC-SHA256)")    \
  X(drop_privileges, bool, Flag(), "1",                                                            \
    "1: once capture is set up, drop every capability (live; CAP_NET_RAW kept for ipfix_dev)")     \
  X(user, std::string, UserName(), "",                                                             \
    "Live: run as this user once capture is set up (log_dir and ajb_dns_path given to it)")        \
  X(flow_affinity, std::string, OneOf("hash", "queue"), "hash",                                    \
    "Live, which worker parses a flow: hash: the one its symmetric hash names (frames handed "     \
    "between workers; right whatever the NIC does); queue: the one of the queue it arrives on "    \
    "(needs symmetric RSS: both directions of a flow on one queue)")                               \
  X(worker_cpus, Cpus, CpuList(), "",                                                              \
    "CPUs to pin the queue workers to, in queue order (empty: no pinning)")                        \
  X(pcap_workers, uint32_t, Integer(0, 64), "0",                                                   \
    "Worker threads of an offline (--pcap) run; 0: one per CPU (at most 8); 1: one thread")        \
  X(vchannel, uint32_t, Integer(0, 65535), "0", "Channel number exported as BRIDGE_CHANNEL_NUM")   \
  X(login_map_file, std::string, Text(), "",                                                       \
    "Subscriber logins: 'ADDRESS[/PREFIX] LOGIN' lines (reloaded on SIGHUP)")                      \
  X(subscriber_nets, Names, Prefixes(), "",                                                        \
    "The subscribers' address ranges (ADDRESS[/PREFIX], comma-separated): the side FLW_DIR "       \
    "counts from")                                                                                 \
  X(radius_acct_listen, std::optional<Endpoint>, Listen(), "off",                                  \
    "Take subscriber logins from RADIUS accounting (RFC 2866) sent to this UDP ADDR:PORT, or off") \
  X(radius_secret, std::string, Text(), "", "The RADIUS shared secret of radius_acct_listen")      \
  X(radius_max_sessions, uint32_t, Integer(1, 100000000), "4000000",                               \
    "Subscriber addresses the RADIUS listener maps at most (more is refused and counted)")         \
  X(radius_login_attribute, std::string, OneOf("user-name", "calling-station-id"), "user-name",    \
    "The RADIUS attribute that is the subscriber's LOGIN")                                         \
  X(flow_max, uint32_t, Integer(16, 100000000), "1000000",                                         \
    "Most flows each worker tracks at once; the least recently seen is evicted")                   \
  X(flow_idle_timeout, uint32_t, Integer(1, 86400), "120",                                         \
    "Seconds without packets after which a flow ends")                                             \
  X(flow_closed_timeout, uint32_t, Integer(0, 3600), "5",                                          \
    "Seconds a TCP flow is kept after FIN in both directions/RST")                                 \
  X(http_max_header_bytes, uint32_t, Integer(256, 1 << 20), "16384",                               \
    "Longest HTTP header block parsed per message")                                                \
  X(dns_max_records, uint32_t, Integer(1, 65535), "128",                                           \
    "dns records exported per DNS message at most (the rest counted)")                             \
  X(raw_export, bool, Flag(), "0",                                                                 \
    "1: export the payload of SIP/FTP/SMTP/POP3/IMAP/XMPP/ICQ/NNTP/H.323/Zello packets and of "    \
    "HTTP exchanges carrying an RSS/Atom feed as raw records")                                     \
  X(raw_max_bytes, uint32_t, Integer(1, 4000), "1500",                                             \
    "Payload bytes of one packet in a raw record (longer is cut)")                                 \
  X(raw_max_packets, uint32_t, Integer(1, 1000000), "64", "Raw records per flow at most")          \
  X(reassembly_flow_bytes, uint64_t, Size(1), "256K",                                              \
    "Memory for out-of-order TCP segments per flow direction (K/M)")                               \
  X(reassembly_total_bytes, uint64_t, Size(1), "64M",                                              \
    "Memory for out-of-order TCP segments per worker (K/M/G)")                                     \
  X(parser_total_bytes, uint64_t, Size(1), "256M",                                                 \
    "Memory for the buffers of all flows' parsers per worker (K/M/G); beyond it a flow's parser "  \
    "holding data is given up (counted)")

// A list of ports to steer: `parsers` stands for every port a parser serves.
struct PortList {
  bool parsers = true;          // the list has `parsers`
  std::vector<uint16_t> ports;  // listed besides (or, without `parsers`, instead of) them
};

struct Config {
  using Endpoints = std::vector<Endpoint>;
  using Names = std::vector<std::string>;
  using Cpus = std::vector<int>;
  enum class Redact { kNone, kEmpty, kHash };

#define XS_CONFIG_MEMBER_(key, type, parser, def, help) type key{};
  XS_CONFIG_KEYS(XS_CONFIG_MEMBER_)
#undef XS_CONFIG_MEMBER_

  bool capture_mirror() const { return capture_mode == "mirror"; }
  bool affinity_by_queue() const { return flow_affinity == "queue"; }

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
  std::string accepts;  // what values the key takes, e.g. "an integer in [1, 3600]"
};
const std::vector<ConfigKeyInfo>& ConfigKeys();
// The key an unknown `key` was most likely meant to be (a few letters off), or "".
std::string ClosestConfigKey(absl::string_view key);
// The help of the flag named `key`: its help, what it accepts and its default.
std::string ConfigFlagHelp(absl::string_view key);

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
