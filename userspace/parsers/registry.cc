#include <algorithm>
#include <initializer_list>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/free_list.h"
#include "parsers/dns/dns_parser.h"
#include "parsers/dns/name_cache.h"
#include "parsers/ftp/ftp_parser.h"
#include "parsers/http/http_parser.h"
#include "parsers/icq/icq_parser.h"
#include "parsers/mail/mail_secrets.h"
#include "parsers/mail/pop3_imap_parser.h"
#include "parsers/mail/smtp_parser.h"
#include "parsers/parser.h"
#include "parsers/quic/quic_parser.h"
#include "parsers/raw_only/raw_only.h"
#include "parsers/sip/sip_parser.h"
#include "parsers/tls/tls_parser.h"
#include "parsers/xmpp/xmpp_parser.h"

namespace xsensor {

void* AppParser::operator new(size_t size) { return FreeListTake(size); }
void AppParser::operator delete(void* p, size_t size) { FreeListGive(p, size); }

std::unique_ptr<AppParser> MakeTlsParserAfterStartTls(const ParserOptions& options) {
  return MakeTlsParser(options);
}

bool ServerNameFromDns(const ParseContext& ctx, std::string* name) {
  if (!ctx.options->names || ctx.server.empty()) return false;
  if (!ctx.options->names->Get(ctx.server, ctx.ts_us / 1000000, name)) return false;
  ctx.counters->Inc(ParserCounters::kNamesFromDns);
  return true;
}

namespace {

// The client's first command word from offset `skip` ("" when the payload does not start with
// one: letters, then a space or the line end).
absl::string_view FirstWord(absl::string_view p, size_t skip = 0) {
  p.remove_prefix(std::min(skip, p.size()));
  size_t n = 0;
  while (n < p.size() && n < 16 && absl::ascii_isalpha(static_cast<unsigned char>(p[n]))) ++n;
  if (n == p.size() || (p[n] != ' ' && p[n] != '\r' && p[n] != '\n')) return {};
  return p.substr(0, n);
}

bool OneOf(absl::string_view w, std::initializer_list<absl::string_view> words) {
  for (absl::string_view x : words) {
    if (absl::EqualsIgnoreCase(w, x)) return true;
  }
  return false;
}

bool Greeting220(absl::string_view g) {
  return absl::StartsWith(g, "220 ") || absl::StartsWith(g, "220-");
}

// RFC 959: after "220", an FTP client logs in or negotiates (an SMTP client says EHLO/HELO).
bool FtpServerFirst(absl::string_view g, absl::string_view c) {
  return LooksLikeFtpGreeting(g) &&
         OneOf(FirstWord(c), {"USER", "AUTH", "FEAT", "SYST", "OPTS", "CLNT", "HOST", "PBSZ"});
}
bool SmtpServerFirst(absl::string_view g, absl::string_view c) {
  return Greeting220(g) && OneOf(FirstWord(c), {"EHLO", "HELO", "LHLO"});
}
bool Pop3ServerFirst(absl::string_view g, absl::string_view c) {
  return absl::StartsWith(g, "+OK") &&
         OneOf(FirstWord(c), {"USER", "CAPA", "APOP", "AUTH", "STLS"});
}
// RFC 9051: "* OK" or "* PREAUTH", then "tag SP command".
bool ImapServerFirst(absl::string_view g, absl::string_view c) {
  if (!absl::StartsWith(g, "* OK") && !absl::StartsWith(g, "* PREAUTH")) return false;
  size_t sp = c.find(' ');
  if (sp == 0 || sp == absl::string_view::npos || sp > 32) return false;
  return OneOf(FirstWord(c, sp + 1),
               {"CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "ID", "NOOP", "ENABLE"});
}

}  // namespace

bool LooksLikeServerGreeting(absl::string_view p) {
  size_t eol = p.find('\n');
  if (eol == absl::string_view::npos || eol > 512) return false;
  // How the greeting of a protocol whose server speaks first starts (FTP, SMTP, POP3, IMAP,
  // NNTP).
  for (const ParserInfo& parser : Parsers()) {
    if (parser.l4_proto != 6 || !parser.sniff_server_first) continue;
    for (const std::string& start : parser.starts) {
      if (absl::StartsWith(p, start)) return true;
    }
  }
  return false;
}

bool LooksLikeServerReply(absl::string_view p) {
  if (absl::StartsWith(p, "HTTP/1.") && p.size() > 12 && p[8] == ' ') return true;
  // A TLS handshake record (version 3.x) whose first message is a ServerHello (type 2).
  return p.size() > 5 && p[0] == 0x16 && p[1] == 0x03 && static_cast<uint8_t>(p[2]) <= 0x04 &&
         p[5] == 0x02;
}

static std::vector<std::string> Strings(std::vector<absl::string_view> v) {
  return std::vector<std::string>(v.begin(), v.end());
}

// The one list of parsers. Adding a protocol means its folder, a row here, and its sources in
// the build; the row says everything the rest of the sensor asks of it.
const std::vector<ParserInfo>& Parsers() {
  static const auto* parsers = [] {
    auto http = HttpRequestMethods();
    auto sip = SipMessageStarts();
    return new std::vector<ParserInfo>{
        {.name = "http",
         .l4_proto = 6,
         .meta_proto = kMetaProtoNone,
         .ports = {80, 8080, 8000, 3128},
         .sniff = &LooksLikeHttpRequest,
         .make = &MakeHttpParser,
         .starts = Strings({http.begin(), http.end()}),
         .vdpi = kVdpiHttp},
        {.name = "tls",
         .l4_proto = 6,
         .meta_proto = kMetaProtoNone,
         .ports = {443, 8443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5223},
         .sniff = &LooksLikeTlsClientHello,
         .make = &MakeTlsParser,
         .vdpi = kVdpiTls},
        {.name = "quic",
         .l4_proto = 17,
         .meta_proto = kMetaProtoNone,
         .ports = {443, 8443},
         .sniff = &LooksLikeQuicInitial,
         .make = &MakeQuicParser,
         .vdpi = kVdpiQuic},
        {.name = "dns",
         .l4_proto = 17,
         .meta_proto = kMetaProtoNone,
         .ports = {53, 5353},
         .sniff = &LooksLikeDnsOverUdp,
         .make = &MakeDnsParser,
         .vdpi = kVdpiDns},
        {.name = "dns",
         .l4_proto = 6,
         .meta_proto = kMetaProtoNone,
         .ports = {53},
         .make = &MakeDnsParser,
         .vdpi = kVdpiDns},
        {.name = "sip",
         .l4_proto = 17,
         .meta_proto = kMetaProtoSip,
         .ports = {5060},
         .sniff = &LooksLikeSip,
         .make = &MakeSipParser,
         .starts = Strings(sip),
         .vdpi = kVdpiSip,
         .secrets = &MakeSipSecrets},
        {.name = "sip",
         .l4_proto = 6,
         .meta_proto = kMetaProtoSip,
         .ports = {5060},
         .sniff = &LooksLikeSip,
         .make = &MakeSipParser,
         .starts = Strings(sip),
         .vdpi = kVdpiSip,
         .secrets = &MakeSipSecrets},
        {.name = "ftp",
         .l4_proto = 6,
         .meta_proto = kMetaProtoFtp,
         .ports = {21},
         .make = &MakeFtpParser,
         .sniff_server_first = &FtpServerFirst,
         .starts = {"220 ", "220-"},
         .vdpi = kVdpiFtp,
         .secrets = &MakeFtpSecrets},
        {.name = "smtp",
         .l4_proto = 6,
         .meta_proto = kMetaProtoSmtp,
         .ports = {25, 587},
         .make = &MakeSmtpParser,
         .sniff_server_first = &SmtpServerFirst,
         .starts = {"220 ", "220-"},
         .vdpi = kVdpiSmtp,
         .secrets = &MakeMailSecrets},
        {.name = "pop3",
         .l4_proto = 6,
         .meta_proto = kMetaProtoPop3,
         .ports = {110},
         .make = &MakePop3Parser,
         .sniff_server_first = &Pop3ServerFirst,
         .starts = {"+OK ", "+OK\r"},
         .vdpi = kVdpiPop3,
         .secrets = &MakeMailSecrets},
        {.name = "imap",
         .l4_proto = 6,
         .meta_proto = kMetaProtoImap,
         .ports = {143},
         .make = &MakeImapParser,
         .sniff_server_first = &ImapServerFirst,
         .starts = {"* OK", "* PREAUTH"},
         .vdpi = kVdpiImap,
         .secrets = &MakeImapSecrets},
        {.name = "xmpp",
         .l4_proto = 6,
         .meta_proto = kMetaProtoXmpp,
         .ports = {5222},
         .sniff = &LooksLikeXmppStream,
         .make = &MakeXmppParser,
         .starts = {"<?xml", "<stream:stream"},
         .vdpi = kVdpiXmpp,
         .secrets = &MakeXmppSecrets},
        {.name = "icq",
         .l4_proto = 6,
         .meta_proto = kMetaProtoIcq,
         .ports = {5190},
         .sniff = &LooksLikeFlapSignOn,
         .make = &MakeIcqParser,
         .vdpi = kVdpiIcq,
         .secrets = &MakeIcqSecrets},
        {.name = "nntp",
         .l4_proto = 6,
         .meta_proto = kMetaProtoNntp,
         .ports = {119},
         .make = &MakeRawOnlyParser,
         .sniff_server_first = &NntpServerFirst,
         .starts = {"200 ", "201 "},
         .vdpi = kVdpiNntp,
         .secrets = &MakeNntpSecrets},
        // H.323 (Q.931 call set-up, H.245 control, RAS): no password travels in these.
        {.name = "h225",
         .l4_proto = 6,
         .meta_proto = kMetaProtoH323,
         .ports = {1720},
         .sniff = &LooksLikeH225CallSignalling,
         .make = &MakeRawOnlyParser,
         .port_and_sniff = true,
         .vdpi = kVdpiH323,
         .secrets = &MakeNoSecrets},
        {.name = "h245",
         .l4_proto = 6,
         .meta_proto = kMetaProtoH323,
         .sniff = &LooksLikeH245,
         .make = &MakeRawOnlyParser,
         .vdpi = kVdpiH323,
         .secrets = &MakeNoSecrets},
        {.name = "ras",
         .l4_proto = 17,
         .meta_proto = kMetaProtoH323,
         .ports = {1719},
         .sniff = &LooksLikeH225Ras,
         .make = &MakeRawOnlyParser,
         .port_and_sniff = true,
         .vdpi = kVdpiH323,
         .secrets = &MakeNoSecrets},
    };
  }();
  return *parsers;
}

std::unique_ptr<SecretScanner> MakeSecretScanner(uint8_t meta_proto, Dir dir) {
  if (meta_proto == kMetaProtoRss || meta_proto == kMetaProtoZello) return MakeHttpSecrets(dir);
  if (meta_proto == kMetaProtoNone) return nullptr;
  for (const ParserInfo& p : Parsers()) {
    if (p.meta_proto == meta_proto && p.secrets) return p.secrets(dir);
  }
  return nullptr;
}

std::vector<uint16_t> ParserPorts(uint8_t l4_proto) {
  std::vector<uint16_t> out;
  for (const auto& p : Parsers()) {
    if (p.l4_proto == l4_proto) out.insert(out.end(), p.ports.begin(), p.ports.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> ParserPayloadStarts(uint8_t l4_proto) {
  std::vector<std::string> out;
  for (const auto& p : Parsers()) {
    if (p.l4_proto != l4_proto) continue;
    for (const auto& s : p.starts) {
      if (s.size() >= 4) out.push_back(s.substr(0, 4));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::unique_ptr<AppParser> ChooseParser(uint8_t l4_proto, uint16_t server_port,
                                        absl::string_view client_payload,
                                        const ParserOptions& options, uint8_t* meta_proto,
                                        absl::string_view server_greeting, bool* by_greeting,
                                        uint8_t* vdpi_proto) {
  const ParserInfo* chosen = nullptr;
  if (by_greeting) *by_greeting = false;
  for (const auto& p : Parsers()) {
    if (p.l4_proto != l4_proto) continue;
    for (uint16_t port : p.ports) {
      if (port == server_port && !chosen && (!p.port_and_sniff || p.sniff(client_payload))) {
        chosen = &p;
      }
    }
  }
  for (const auto& p : Parsers()) {
    if (chosen || client_payload.empty()) break;
    if (p.l4_proto == l4_proto && p.sniff && !p.port_and_sniff && p.sniff(client_payload)) {
      chosen = &p;
    }
  }
  for (const auto& p : Parsers()) {
    if (chosen || client_payload.empty() || server_greeting.empty()) break;
    if (p.l4_proto == l4_proto && p.sniff_server_first &&
        p.sniff_server_first(server_greeting, client_payload)) {
      chosen = &p;
      if (by_greeting) *by_greeting = true;
    }
  }
  if (meta_proto) *meta_proto = chosen ? chosen->meta_proto : 0;
  if (vdpi_proto) *vdpi_proto = chosen ? VdpiProto(chosen->name) : 0;
  return chosen ? chosen->make(options) : nullptr;
}

bool IsZelloServerName(absl::string_view name) {
  for (absl::string_view domain : {"zello.com", "zellowork.com"}) {
    if (absl::EqualsIgnoreCase(name, domain)) return true;
    if (name.size() > domain.size() + 1 && name[name.size() - domain.size() - 1] == '.' &&
        absl::EndsWithIgnoreCase(name, domain)) {
      return true;
    }
  }
  return false;
}

void TellZelloSession(ParseContext& ctx, absl::string_view name) {
  ImSessionFact f;
  f.screen_name = name;
  f.protocol = kImProtocolZello;
  ctx.facts->ImSession(f);
}

uint8_t VdpiProto(absl::string_view parser_name) {
  for (const ParserInfo& p : Parsers()) {
    if (p.name == parser_name) return p.vdpi;
  }
  return kVdpiUnknown;
}

}  // namespace xsensor
