// Application parsers: incremental per-direction state machines fed in-order payload bytes of
// one flow. They keep hard limits, turn malformed input into named counters and partial
// facts, and never throw. What they find goes to a FactSink (facts.h) as application facts:
// parsers know nothing of packets, flows or records. All parsers are listed in one registry
// (registry.cc) with the ports they serve and a payload sniffer for flows on other ports.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/counters.h"
#include "common/dir.h"
#include "parsers/facts.h"
#include "parsers/secrets.h"

namespace xsensor {

#define XS_PARSER_COUNTERS(X)                               \
  X(kHttpRequests, "http_requests")                         \
  X(kHttpBadRequestLine, "http_bad_request_line")           \
  X(kHttpHeaderTooLong, "http_header_block_too_long")       \
  X(kHttpResyncs, "http_resyncs_after_gap")                 \
  X(kHttpBadChunk, "http_bad_chunk")                        \
  X(kHttpReplies, "http_replies")                           \
  X(kHttpBadStatusLine, "http_bad_status_line")             \
  X(kHttpReplyWithoutRequest, "http_reply_without_request") \
  X(kTlsClientHellos, "tls_client_hellos")                  \
  X(kTlsServerHellos, "tls_server_replies")                 \
  X(kTlsNoSni, "tls_client_hello_without_sni")              \
  X(kTlsMalformedHello, "tls_malformed_hello")              \
  X(kTlsNotTls, "tls_not_a_tls_record")                     \
  X(kTlsHandshakeTooLong, "tls_handshake_too_long")         \
  X(kTlsGaps, "tls_gaps")                                   \
  X(kQuicInitials, "quic_initials_decrypted")               \
  X(kQuicUndecryptable, "quic_initials_undecryptable")      \
  X(kQuicMalformedFrame, "quic_malformed_frames")           \
  X(kQuicCryptoTooLong, "quic_crypto_too_long")             \
  X(kQuicClientHellos, "quic_client_hellos")                \
  X(kDnsMessages, "dns_messages")                           \
  X(kDnsResponses, "dns_responses")                         \
  X(kDnsRecords, "dns_records")                             \
  X(kDnsAnswersNotExported, "dns_answers_over_max_records") \
  X(kDnsTruncated, "dns_malformed_truncated")               \
  X(kDnsBadName, "dns_malformed_bad_name")                  \
  X(kDnsPointerLoop, "dns_malformed_pointer_loop")          \
  X(kDnsBadRdata, "dns_malformed_bad_rdata")                \
  X(kDnsTcpFramingLost, "dns_tcp_framing_lost")             \
  X(kNamesFromDns, "clickstream_names_from_dns")            \
  X(kSipRequests, "sip_requests")                           \
  X(kSipResponses, "sip_responses")                         \
  X(kSipMalformed, "sip_malformed")                         \
  X(kFtpLogins, "ftp_logins")                               \
  X(kFtpLongLines, "ftp_lines_too_long")                    \
  X(kSmtpMessages, "smtp_messages")                         \
  X(kMailLogins, "mailbox_logins")                          \
  X(kMailMessagesRead, "mailbox_messages_read")             \
  X(kXmppSessions, "xmpp_sessions")
XS_COUNTER_GROUP(ParserCounters, XS_PARSER_COUNTERS);

class DnsNameCache;

struct ParserOptions {
  DnsNameCache* names = nullptr;  // shared; null: names are not learned from DNS
  uint32_t http_max_header_bytes = 16384;
  uint32_t dns_max_records = 128;  // dns records per message; the answers past it are counted
  bool http_parse_reply = false;
  bool ssl_parse_reply = false;
  // Raw records are exported (raw_export): HTTP reads every reply head, with or without
  // http_parse_reply, to find the exchanges whose reply is an RSS or Atom feed.
  bool detect_feeds = false;
};

// Everything a parser may use while handling one call.
struct ParseContext {
  Dir dir = Dir::kToServer;   // of the bytes given
  int64_t ts_us = 0;          // now: the time of the packet that brought them
  uint8_t l4_proto = 6;       // 6 TCP, 17 UDP
  absl::string_view server;   // the server's address (4 or 16 bytes)
  FactSink* facts = nullptr;  // where what is found goes
  ParserCounters* counters = nullptr;
  const ParserOptions* options = nullptr;
};

// The name DNS gave for the flow's server address (HOST_TYPE 2), if any.
bool ServerNameFromDns(const ParseContext& ctx, std::string* name);

class AppParser {
 public:
  virtual ~AppParser() = default;
  // Parsers come and go with their flows on one worker thread: their objects are recycled
  // through per-thread free lists by size instead of the heap (a parser's own buffers are
  // its own). Memory freed on another thread joins that thread's lists.
  static void* operator new(size_t size);
  static void operator delete(void* p, size_t size);
  // In-order payload bytes of direction ctx.dir; `seq` is the TCP sequence number of data[0]
  // (0 for UDP). `data` aliases the packet and is valid for this call only.
  virtual void OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) = 0;
  // Bytes of ctx.dir were lost before the next OnData: resynchronise.
  virtual void OnGap(ParseContext& ctx) {}
  // The flow ends (ctx.dir means nothing): what is still pending is told now.
  virtual void OnEnd(ParseContext& ctx) {}
  // True when the parser no longer needs some of the flow's packets; *skip_to_client and
  // *skip_to_server_data say which (the live path then stops steering them in XDP).
  virtual bool WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const { return false; }
  // True when the next *bytes of direction *dir, after all it was given, are of no use to it
  // (a reply body it only counts through): the live path may leave them in XDP, and the parser
  // is then told with OnSkipped instead of given them.
  virtual bool WantsSkip(Dir* dir, uint64_t* bytes) const { return false; }
  // `bytes` of ctx.dir will not be given: lost by the capture (a TCP hole given up) or left in
  // XDP (what WantsSkip offered). A parser that can go on as if it had read them (inside a
  // body of known length) does; by default it is a gap.
  virtual void OnSkipped(ParseContext& ctx, uint64_t bytes) { OnGap(ctx); }
  // True once the server has accepted a switch to TLS (SMTP/IMAP STARTTLS, POP3 STLS, FTP
  // AUTH TLS, XMPP <starttls/>): the worker ends this parser and hands the rest of the flow to
  // the TLS parser, which exports the handshake as on a TLS port.
  virtual bool StartsTls() const { return false; }
  // A META_PROTO the parser found the flow to be besides what chose it (a Zello session by its
  // TLS server name or HTTP Host: 13, for the rest of the flow; an HTTP exchange whose reply is
  // a feed: 10, until the next request starts); 0 when none. The worker exports the flow's
  // packets as raw records of that protocol while it is given.
  virtual uint8_t FoundMetaProto() const { return 0; }
  // True while the parser cannot tell yet whether the packets it is reading belong to such a
  // protocol (an HTTP request whose reply has not said whether it is a feed): the worker holds
  // them (bounded) for the raw records, and drops them when the answer is no.
  virtual bool HoldsRaw() const { return false; }
  // Heap bytes the parser's buffers take (their capacity, not their length: what is really
  // held), for the worker's budget over all its flows' parsers (parser_total_bytes).
  virtual size_t HeldBytes() const { return 0; }
  // Gives back the capacity of buffers that hold nothing now (the worker asks when its parsers
  // are over their budget, before it gives up a flow's parser).
  virtual void ReleaseIdle() {}
};

// What a string or a vector of strings takes on the heap (nothing for a short string kept in
// the object itself).
inline size_t HeldBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}
inline size_t HeldBytes(const std::vector<std::string>& v) {
  size_t n = v.capacity() * sizeof(std::string);
  for (const std::string& s : v) n += HeldBytes(s);
  return n;
}
template <typename... S>
size_t HeldBytesOf(const S&... s) {
  return (HeldBytes(s) + ... + 0);
}
// Frees the heap buffer of each string that is empty.
template <typename... S>
void ReleaseIfEmpty(S&... s) {
  auto one = [](std::string& str) {
    if (str.empty() && HeldBytes(str) > 0) std::string().swap(str);
  };
  (one(s), ...);
}

// The TLS parser, for a flow that switches to TLS (StartsTls).
std::unique_ptr<AppParser> MakeTlsParserAfterStartTls(const ParserOptions& options);

struct ParserInfo {
  absl::string_view name;
  uint8_t l4_proto = 0;                 // 6 TCP, 17 UDP
  uint8_t meta_proto = kMetaProtoNone;  // MetaProto of its raw records
  std::vector<uint16_t> ports = {};     // server ports served by default
  bool (*sniff)(absl::string_view first_client_payload) = nullptr;
  std::unique_ptr<AppParser> (*make)(const ParserOptions&) = nullptr;
  // For protocols where the server speaks first (FTP, SMTP, POP3, IMAP) on other ports: its
  // greeting and the client's first command. May be null.
  bool (*sniff_server_first)(absl::string_view greeting, absl::string_view first_command) = nullptr;
  // How a flow's first payload starts on any port when `sniff` or `sniff_server_first` may
  // accept it (the client's request, or the server's greeting): what XDP steers on.
  std::vector<std::string> starts = {};
  // True when the parser takes a flow only on its ports and only when the client's first
  // payload passes `sniff` (a weak structure, such as H.225 RAS's PER header, that would take
  // other protocols' packets on other ports).
  bool port_and_sniff = false;
  // VDPI_PROTO of its flows.
  uint8_t vdpi = kVdpiUnknown;
  // Where its packets carry secrets (redact_credentials, raw records): every row with a
  // meta_proto says it, MakeNoSecrets when there are none.
  SecretScannerFactory secrets = nullptr;
};

const std::vector<ParserInfo>& Parsers();

// The secret scanner of direction `dir` of a flow whose raw records are META_PROTO
// `meta_proto`: its parser row's, HTTP's for a feed (kMetaProtoRss) and Zello; null for none.
std::unique_ptr<SecretScanner> MakeSecretScanner(uint8_t meta_proto, Dir dir);

// What XDP steers to userspace unless configured otherwise, derived from Parsers(): the ports
// of every parser of `l4_proto` (sorted, once each), and the first four bytes of every
// payload start (once each; TLS is matched by the XDP program on its record header bytes).
std::vector<uint16_t> ParserPorts(uint8_t l4_proto);
std::vector<std::string> ParserPayloadStarts(uint8_t l4_proto);

// Picks the parser for a flow from its server port, else from the first payload sent by the
// client, else (when the server spoke first) from the server's greeting with the client's first
// command. Null when no parser applies.
// *meta_proto, if given, is set to the chosen parser's META_PROTO (0 when none);
// *by_greeting, if given, to whether the greeting chose it (the parser must then read it).
// True when a TCP payload starts like the greeting of a server that speaks first (FTP/SMTP
// "220", POP3 "+OK", IMAP "* OK"/"* PREAUTH", NNTP "200"/"201": the greeting starts of
// Parsers()), in one whole line: its sender is the server.
bool LooksLikeServerGreeting(absl::string_view payload);
// True when a TCP payload begins as only a server answers: an HTTP status line or a TLS
// ServerHello (a flow picked up at its reply: live, the reply crossed queues and came first).
bool LooksLikeServerReply(absl::string_view payload);

// *vdpi_proto, if given, to the parser's VDPI_PROTO (VdpiProto).
std::unique_ptr<AppParser> ChooseParser(uint8_t l4_proto, uint16_t server_port,
                                        absl::string_view client_payload,
                                        const ParserOptions& options, uint8_t* meta_proto = nullptr,
                                        absl::string_view server_greeting = {},
                                        bool* by_greeting = nullptr, uint8_t* vdpi_proto = nullptr);

// VDPI_PROTO of a parser, by its name (its registry row's `vdpi`); kVdpiUnknown when none.
uint8_t VdpiProto(absl::string_view parser_name);

// Zello, push-to-talk over TLS/WebSocket: recognised by its server names (zello.com,
// zellowork.com and their subdomains); META_PROTO kMetaProtoZello, IM_PROTOCOL
// kImProtocolZello.
bool IsZelloServerName(absl::string_view name);
// Tells the im fact of a Zello session seen by `name` (IM_SCREEN_NAME the server name, as XMPP
// gives its server when no JID is bound).
void TellZelloSession(ParseContext& ctx, absl::string_view name);
}  // namespace xsensor
