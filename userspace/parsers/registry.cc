#include "absl/strings/string_view.h"
#include "parsers/dns/dns_parser.h"
#include "parsers/dns/name_cache.h"
#include "parsers/ftp/ftp_parser.h"
#include "parsers/mail/pop3_imap_parser.h"
#include "parsers/mail/smtp_parser.h"
#include "parsers/http/http_parser.h"
#include "parsers/parser.h"
#include "parsers/quic/quic_parser.h"
#include "parsers/sip/sip_parser.h"
#include "parsers/tls/tls_parser.h"
#include "parsers/xmpp/xmpp_parser.h"

namespace xsensor {

bool ServerNameFromDns(const ParseContext& ctx, std::string* name) {
  if (!ctx.options->names) return false;
  const PacketView& p = *ctx.origin.packet;
  // The packet's destination is the server when it travels to the server (and not reversed).
  bool to_server = (ctx.dir == Dir::kToServer) != ctx.origin.reversed;
  const IpAddr& server = to_server ? p.dst : p.src;
  if (!ctx.options->names->Get(server.view(), ctx.origin.ts_us / 1000000, name)) return false;
  ctx.counters->Inc(ParserCounters::kNamesFromDns);
  return true;
}

// The one list of parsers. Adding a protocol means adding a row here.
const std::vector<ParserInfo>& Parsers() {
  // META_PROTO (SPEC.md): 3 SIP, 4 FTP, 5 SMTP, 6 POP3, 7 IMAP, 8 XMPP.
  static const auto* parsers = new std::vector<ParserInfo>{
      {"http", 6, 0, {80, 8080, 8000, 3128}, &LooksLikeHttpRequest, &MakeHttpParser},
      {"tls", 6, 0, {443, 8443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5223},
       &LooksLikeTlsClientHello, &MakeTlsParser},
      {"quic", 17, 0, {443, 8443}, &LooksLikeQuicInitial, &MakeQuicParser},
      {"dns", 17, 0, {53, 5353}, &LooksLikeDnsOverUdp, &MakeDnsParser},
      {"dns", 6, 0, {53}, nullptr, &MakeDnsParser},
      {"sip", 17, 3, {5060}, &LooksLikeSip, &MakeSipParser},
      {"sip", 6, 3, {5060}, &LooksLikeSip, &MakeSipParser},
      {"ftp", 6, 4, {21}, nullptr, &MakeFtpParser},
      {"smtp", 6, 5, {25, 587}, nullptr, &MakeSmtpParser},
      {"pop3", 6, 6, {110}, nullptr, &MakePop3Parser},
      {"imap", 6, 7, {143}, nullptr, &MakeImapParser},
      {"xmpp", 6, 8, {5222}, &LooksLikeXmppStream, &MakeXmppParser},
  };
  return *parsers;
}

std::unique_ptr<AppParser> ChooseParser(uint8_t l4_proto, uint16_t server_port,
                                        absl::string_view client_payload,
                                        const ParserOptions& options, uint8_t* meta_proto) {
  const ParserInfo* chosen = nullptr;
  for (const auto& p : Parsers()) {
    if (p.l4_proto != l4_proto) continue;
    for (uint16_t port : p.ports) {
      if (port == server_port && !chosen) chosen = &p;
    }
  }
  for (const auto& p : Parsers()) {
    if (chosen || client_payload.empty()) break;
    if (p.l4_proto == l4_proto && p.sniff && p.sniff(client_payload)) chosen = &p;
  }
  if (meta_proto) *meta_proto = chosen ? chosen->meta_proto : 0;
  return chosen ? chosen->make(options) : nullptr;
}

}  // namespace xsensor
