// What the parsers find: application facts (a request, a reply, a handshake, a login, a DNS
// answer, a mail, an IM session), handed to a FactSink as they are complete. A fact says
// nothing of packets, flows or records: record assembly (records/) combines it with the
// flow's endpoints and encodes it. Views in a fact are valid during the call only.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/dir.h"
#include "common/protocol_ids.h"

namespace xsensor {

// Where a client's server name came from (the clickstream's HOST_TYPE).
enum class NameSource : uint8_t { kHostHeader = 1, kDns = 2, kTlsSni = 3, kQuicSni = 4 };

// An HTTP request head.
struct HttpRequestFact {
  absl::string_view host;  // without port; the name DNS gave when source is kDns
  NameSource source = NameSource::kHostHeader;
  absl::string_view target, referer, user_agent, cookie;
  uint32_t method = 0;        // HttpMethodCode
  uint32_t tcp_sequence = 0;  // of the request's first byte
};

// An HTTP reply head (final: 2xx and up).
struct HttpReplyFact {
  uint32_t status = 0;
  uint64_t content_length = 0;
  absl::string_view content_type, location;
};

// A TLS ClientHello, over TCP or in a QUIC Initial.
struct ClientHelloFact {
  absl::string_view server_name;  // the SNI, or the name DNS gave (source kDns)
  NameSource source = NameSource::kTlsSni;
  absl::string_view cipher_suites;  // as offered: two bytes each, all of them
  uint32_t tcp_sequence = 0;        // of the handshake message (TCP)
};

// What the server chose (ServerHello) and, up to TLS 1.2, its certificate's name.
struct ServerHelloFact {
  uint32_t version = 0;
  uint32_t cipher_suite = 0;
  uint32_t compression = 0;
  absl::string_view cname;  // empty when not seen
};

// One resource record of a DNS response (or its question when it has no answer).
struct DnsAnswerFact {
  bool tcp = false;
  absl::string_view name;
  absl::string_view question;  // the name that was asked (the DNS text log's host)
  uint16_t type = 0, rrclass = 0;
  uint32_t ttl = 0;
  absl::string_view rdata;  // as text
};

// One SIP request or response.
struct SipMessageFact {
  absl::string_view msg_code;  // the request's method, or the response's CSeq method
  uint32_t status = 0;         // 0 for a request
  absl::string_view uri, from, to, call_id, user_agent, content_type, via_hosts;
};

// An FTP login attempt and how it ended.
struct FtpLoginFact {
  absl::string_view server_name;  // from the greeting, else the server's address
  absl::string_view user, password;
  uint32_t mode = 0;  // 0 active, 1 passive (data channel)
  uint32_t result = 0;
};

// A mail sent (SMTP, event 1), read or logged into (POP3/IMAP, event 2).
struct MailFact {
  absl::string_view sender, receivers, cc, subject, servers, reply;
  uint32_t event = 0;
  bool attachment = false;
  uint32_t protocol = kMailProtocolSmtp;  // MAIL_PROTOCOL (common/protocol_ids.h)
  uint32_t result = 0;
};

// An instant-messaging session (XMPP).
struct ImSessionFact {
  absl::string_view login, password, screen_name, uin, receivers;
  uint32_t protocol = 0;
  uint32_t result = 0;
};

// Receives the facts of one flow's parser. `side` is the direction whose endpoints the fact
// describes: a request is the client's (kToServer), a reply the server's (kToClient).
class FactSink {
 public:
  virtual ~FactSink() = default;
  virtual void HttpRequest(const HttpRequestFact& f) = 0;          // kToServer
  virtual void HttpReply(const HttpReplyFact& f) = 0;              // kToClient
  virtual void ClientHello(const ClientHelloFact& f) = 0;          // kToServer
  virtual void ServerHello(const ServerHelloFact& f) = 0;          // kToClient
  virtual void DnsAnswer(const DnsAnswerFact& f) = 0;              // kToServer
  virtual void SipMessage(Dir side, const SipMessageFact& f) = 0;  // as sent
  virtual void FtpLogin(const FtpLoginFact& f) = 0;                // kToServer
  virtual void Mail(Dir side, const MailFact& f) = 0;              // sender's side
  virtual void ImSession(const ImSessionFact& f) = 0;              // kToServer
};

}  // namespace xsensor
