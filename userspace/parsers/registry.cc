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

// The one list of parsers. Adding a protocol means adding a row here.
const std::vector<ParserInfo>& Parsers() {
  // META_PROTO (SPEC.md): 3 SIP, 4 FTP, 5 SMTP, 6 POP3, 7 IMAP, 8 XMPP, 9 ICQ, 11 NNTP,
  // 12 H.323.
  static const auto* parsers = [] {
    auto http = HttpRequestMethods();
    auto sip = SipMessageStarts();
    return new std::vector<ParserInfo>{
        {"http",
         6,
         0,
         {80, 8080, 8000, 3128},
         &LooksLikeHttpRequest,
         &MakeHttpParser,
         nullptr,
         Strings({http.begin(), http.end()})},
        {"tls",
         6,
         0,
         {443, 8443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5223},
         &LooksLikeTlsClientHello,
         &MakeTlsParser,
         nullptr,
         {}},
        {"quic", 17, 0, {443, 8443}, &LooksLikeQuicInitial, &MakeQuicParser, nullptr, {}},
        {"dns", 17, 0, {53, 5353}, &LooksLikeDnsOverUdp, &MakeDnsParser, nullptr, {}},
        {"dns", 6, 0, {53}, nullptr, &MakeDnsParser, nullptr, {}},
        {"sip", 17, 3, {5060}, &LooksLikeSip, &MakeSipParser, nullptr, Strings(sip)},
        {"sip", 6, 3, {5060}, &LooksLikeSip, &MakeSipParser, nullptr, Strings(sip)},
        {"ftp", 6, 4, {21}, nullptr, &MakeFtpParser, &FtpServerFirst, {"220 ", "220-"}},
        {"smtp", 6, 5, {25, 587}, nullptr, &MakeSmtpParser, &SmtpServerFirst, {"220 ", "220-"}},
        {"pop3", 6, 6, {110}, nullptr, &MakePop3Parser, &Pop3ServerFirst, {"+OK ", "+OK\r"}},
        {"imap", 6, 7, {143}, nullptr, &MakeImapParser, &ImapServerFirst, {"* OK", "* PREAUTH"}},
        {"xmpp",
         6,
         8,
         {5222},
         &LooksLikeXmppStream,
         &MakeXmppParser,
         nullptr,
         {"<?xml", "<stream:stream"}},
        {"icq", 6, 9, {5190}, &LooksLikeFlapSignOn, &MakeIcqParser, nullptr, {}},
        {"nntp", 6, 11, {119}, nullptr, &MakeRawOnlyParser, &NntpServerFirst, {"200 ", "201 "}},
        {"h225",
         6,
         12,
         {1720},
         &LooksLikeH225CallSignalling,
         &MakeRawOnlyParser,
         nullptr,
         {},
         true},
        {"h245", 6, 12, {}, &LooksLikeH245, &MakeRawOnlyParser, nullptr, {}},
        {"ras", 17, 12, {1719}, &LooksLikeH225Ras, &MakeRawOnlyParser, nullptr, {}, true},
    };
  }();
  return *parsers;
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
  static constexpr std::pair<absl::string_view, uint8_t> kIds[] = {
      {"http", 1},  {"tls", 2},   {"quic", 3},  {"dns", 4},  {"sip", 5},
      {"ftp", 6},   {"smtp", 7},  {"pop3", 8},  {"imap", 9}, {"xmpp", 10},
      {"nntp", 11}, {"h225", 12}, {"h245", 12}, {"ras", 12}, {"icq", 13}};
  for (const auto& [name, id] : kIds) {
    if (name == parser_name) return id;
  }
  return 0;
}

}  // namespace xsensor
