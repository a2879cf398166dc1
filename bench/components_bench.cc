// Per-component costs on the packet path: L2-L4 decoding, HTTP request parsing, IPFIX record
// encoding.
#include <benchmark/benchmark.h>

#include "capture/pcap_source.h"
#include "common/byte_reader.h"
#include "ipfix/ipfix.h"
#include "packet/ip_reassembly.h"
#include "packet/packet.h"
#include "parsers/dns/dns_message.h"
#include "parsers/http/http_parser.h"
#include "parsers/mail/message_scanner.h"
#include "parsers/quic/quic_parser.h"
#include "parsers/sip/sip_parser.h"
#include "parsers/tls/tls_parser.h"
#include "reassembly/tcp_reassembler.h"
#include "testing/packet_builder.h"
#include "testing/parse_harness.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

const std::string kRequest =
    "GET /images/template/screen/bullet_utility.png HTTP/1.1\r\nHost: www.mozilla.org\r\n"
    "User-Agent: Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Gecko/20091102 "
    "Firefox/3.5.5\r\nAccept: image/png,image/*;q=0.8,*/*;q=0.5\r\nAccept-Language: en-us\r\n"
    "Accept-Encoding: gzip,deflate\r\nKeep-Alive: 300\r\nConnection: keep-alive\r\n"
    "Referer: http://www.mozilla.org/style/screen.css\r\nCookie: __utma=150903082.601193709."
    "1258578040.1258578040.1258578040.1; __utmb=150903082\r\n\r\n";

void BM_DecodeVlanMplsTcp(benchmark::State& state) {
  std::string f = testing::PacketBuilder()
                      .Eth()
                      .Vlan(10)
                      .Mpls(29)
                      .Ipv4("10.0.0.1", "10.0.0.2")
                      .Tcp(1234, 80, 1)
                      .Payload(kRequest)
                      .Build();
  PacketView p;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodePacket(
        LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(), f.size(), &p));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeVlanMplsTcp);

class NullSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message&) override {}
};

void BM_HttpRequestParse(benchmark::State& state) {
  std::string f =
      testing::PacketBuilder().Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80, 1).Build();
  PacketView p;
  DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(), f.size(),
               &p);
  NullSink sink;
  ParserCounters counters;
  ParserOptions options;
  testing::ParseHarness harness(&sink, &options, &counters, p);
  HttpParser parser(options);
  ParseContext ctx = harness.Context(Dir::kToServer, 0);
  for (auto _ : state) parser.OnData(ctx, kRequest, 1);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpRequestParse);

// The request head alone (request line, header lines, the fields the records take), with a
// reused head, as HttpParser does; beside it the least any parser must do to the same bytes:
// find every line end and every header's colon.
void BM_HttpRequestHeadParse(benchmark::State& state) {
  HttpRequestHead h;
  for (auto _ : state) {
    bool ok = ParseHttpRequestHead(kRequest, &h);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(h.user_agent.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpRequestHeadParse);

void BM_HttpHeadByteScanBaseline(benchmark::State& state) {
  for (auto _ : state) {
    absl::string_view rest = kRequest;
    size_t colons = 0;
    while (!rest.empty()) {
      size_t eol = rest.find('\n');
      absl::string_view line = rest.substr(0, eol);
      colons += line.find(':') != absl::string_view::npos;
      rest = eol == absl::string_view::npos ? absl::string_view() : rest.substr(eol + 1);
    }
    benchmark::DoNotOptimize(colons);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpHeadByteScanBaseline);

void BM_EncodeClickstreamRecord(benchmark::State& state) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  schema::Clickstream r;
  r.set_ip_source(std::string(4, '\1'));
  r.set_ip_destination(std::string(4, '\2'));
  r.set_hostname("www.mozilla.org");
  r.set_path("/images/template/screen/bullet_utility.png");
  r.set_user_agent("Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Firefox/3.5.5");
  r.set_cookie(std::string(120, 'c'));
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeDataRecord(*t, r, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeClickstreamRecord);

// A ClientHello as browsers send it (SNI, 16 suites, the usual extensions, padding).
std::string ClientHelloBody() {
  std::string b;
  PutU16(&b, 0x0303);
  b.append(32, '\x11');
  PutU8(&b, 32);
  b.append(32, '\x22');
  PutU16(&b, 32);
  for (int i = 0; i < 16; ++i) PutU16(&b, static_cast<uint16_t>(0x1301 + i));
  PutU8(&b, 1);
  PutU8(&b, 0);
  std::string ext;
  const std::string host = "www.example-video-platform.com";
  PutU16(&ext, 0);
  PutU16(&ext, static_cast<uint16_t>(host.size() + 5));
  PutU16(&ext, static_cast<uint16_t>(host.size() + 3));
  PutU8(&ext, 0);
  PutU16(&ext, static_cast<uint16_t>(host.size()));
  ext += host;
  for (uint16_t t : {10, 11, 13, 16, 23, 27, 35, 43, 45, 51, 17513, 21}) {
    PutU16(&ext, t);
    PutU16(&ext, 40);
    ext.append(40, '\x01');
  }
  PutU16(&b, static_cast<uint16_t>(ext.size()));
  b += ext;
  return b;
}

void BM_TlsClientHelloParse(benchmark::State& state) {
  std::string body = ClientHelloBody();
  ClientHelloInfo info;
  for (auto _ : state) {
    info = ClientHelloInfo();
    benchmark::DoNotOptimize(ParseClientHello(body, &info));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_TlsClientHelloParse);

// Baseline for the ClientHello: one pass over the same bytes (a checksum).
void BM_TlsClientHelloBaselineScan(benchmark::State& state) {
  std::string body = ClientHelloBody();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (char c : body) sum += static_cast<uint8_t>(c);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_TlsClientHelloBaselineScan);

// QUIC: deriving a connection's Initial keys (HKDF-Extract and four HKDF-Expand-Label).
void BM_QuicInitialKeyDerivation(benchmark::State& state) {
  const std::string dcid("\x83\x94\xc8\xf0\x3e\x51\x57\x08", 8);
  QuicInitialKeys keys;
  for (auto _ : state) benchmark::DoNotOptimize(DeriveQuicClientInitialKeys(1, dcid, &keys));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuicInitialKeyDerivation);

// A whole client Initial from the corpus (Chrome, 1350 bytes): keys, header protection,
// AES-128-GCM, beside the key derivation above (the difference is the packet's own cost).
void BM_QuicInitialDecrypt(benchmark::State& state) {
  std::string datagram;
  const char* dir = getenv("XSENSOR_SHARED_DIR");
  std::string path = std::string(dir ? dir : XSENSOR_SHARED_DIR_DEFAULT) +
                     "/corpus/ipfixprobe/quic_initial-sample.pcap";
  auto r = ReadPcapFile(path, [&](LinkType l, const uint8_t* d, size_t c, size_t w, int64_t) {
    PacketView p;
    if (DecodePacket(l, d, c, w, &p) == DecodeCounters::kOk) datagram = std::string(p.payload);
  });
  if (!r.ok() || datagram.empty()) {
    state.SkipWithError("corpus sample not found");
    return;
  }
  std::string plain, dcid;
  size_t consumed;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecryptQuicInitial(datagram, "", &plain, &consumed, &dcid));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * datagram.size()));
}
BENCHMARK(BM_QuicInitialDecrypt);

// DNS: a response with a CNAME chain and addresses, compression pointers throughout,
// parsed into records with self-contained RDATA; beside it, the baseline of reading the
// same bytes once.
std::string DnsResponse() {
  std::string m("\x12\x34\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00", 12);
  m += std::string(
      "\x03"
      "www"
      "\x07"
      "example"
      "\x03"
      "com"
      "\x00\x00\x01\x00\x01",
      21);
  std::string cname =
      std::string("\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x06", 12) + std::string(
                                                                                "\x03"
                                                                                "cdn\xc0\x10",
                                                                                6);
  m += cname;
  for (int i = 0; i < 4; ++i) {
    m += std::string("\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 12);
    m += std::string("\xc6\x33\x64", 3) + static_cast<char>(i);
  }
  return m;
}

void BM_DnsResponseParse(benchmark::State& state) {
  std::string msg = DnsResponse();
  DnsMessage check;
  if (ParseDnsMessage(msg, &check) != DnsError::kOk || check.answers.size() != 5) {
    state.SkipWithError("the benchmark's DNS message does not parse");
    return;
  }
  for (auto _ : state) {
    DnsMessage m;
    benchmark::DoNotOptimize(ParseDnsMessage(msg, &m));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
}
BENCHMARK(BM_DnsResponseParse);

void BM_DnsBaselineScan(benchmark::State& state) {
  std::string msg = DnsResponse();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (char c : msg) sum += static_cast<uint8_t>(c);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DnsBaselineScan);

// SIP: an INVITE's head parsed into a record's fields, beside one pass over its bytes.
const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1\r\n"
    "Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\nUser-Agent: softphone/1.0\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n";

void BM_SipMessageParse(benchmark::State& state) {
  SipMessage m;
  for (auto _ : state) benchmark::DoNotOptimize(ParseSipHead(kInvite, &m));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SipMessageParse);

void BM_SipBaselineScan(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t sum = 0;
    for (char c : kInvite) sum += static_cast<uint8_t>(c);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SipBaselineScan);

// SMTP: the headers and a two-part MIME body of a message through the scanner, beside one
// pass over the same lines.
std::vector<std::string> MailLines() {
  std::vector<std::string> l = {"From: \"Gurpartap Singh\" <gurpartap@patriots.in>",
                                "To: <raj_deol2002in@yahoo.co.in>",
                                "Cc: a@example.com, \"B, C\" <b@example.com>",
                                "Subject: =?UTF-8?B?0J/RgNC40LLQtdGC?= report",
                                "MIME-Version: 1.0",
                                "Content-Type: multipart/mixed; boundary=\"----=_NextPart_000\"",
                                "",
                                "------=_NextPart_000",
                                "Content-Type: text/plain; charset=us-ascii",
                                ""};
  for (int i = 0; i < 40; ++i) l.push_back("Hello, this is line of the message body text.");
  l.push_back("------=_NextPart_000");
  l.push_back("Content-Type: text/plain; name=\"NEWS.txt\"");
  l.push_back("Content-Disposition: attachment; filename=\"NEWS.txt\"");
  l.push_back("");
  for (int i = 0; i < 40; ++i) l.push_back("VGhpcyBpcyBhbiBhdHRhY2htZW50IGxpbmUgb2YgZGF0YS4=");
  l.push_back("------=_NextPart_000--");
  return l;
}

void BM_SmtpMessageScan(benchmark::State& state) {
  auto lines = MailLines();
  for (auto _ : state) {
    MessageScanner m;
    for (const auto& l : lines) m.Line(l);
    m.End();
    benchmark::DoNotOptimize(m.attachment());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmtpMessageScan);

void BM_SmtpBaselineScan(benchmark::State& state) {
  auto lines = MailLines();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& l : lines) {
      for (char c : l) sum += static_cast<uint8_t>(c);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SmtpBaselineScan);

// TCP reassembly: 1400-byte segments delivered in order, against a plain copy of the same
// bytes (the baseline); and with every pair of segments swapped.
void ReassemblyRun(benchmark::State& state, bool swap) {
  const std::string seg(1400, 'x');
  class Null : public TcpReassembler::Sink {
   public:
    void OnStreamData(absl::string_view d, uint32_t) override { n += d.size(); }
    void OnStreamGap(uint64_t) override {}
    size_t n = 0;
  } sink;
  ReassemblyBudget budget;
  ReassemblyCounters counters;
  for (auto _ : state) {
    TcpReassembler r;
    r.OnSyn(0);
    for (uint32_t i = 0; i < 64; i += 2) {
      uint32_t a = 1 + i * 1400, b = a + 1400;
      if (swap) std::swap(a, b);
      r.OnSegment(a, seg, sink, budget, counters);
      r.OnSegment(b, seg, sink, budget, counters);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 64 * 1400));
}
void BM_ReassemblyInOrder(benchmark::State& state) { ReassemblyRun(state, false); }
void BM_ReassemblyReordered(benchmark::State& state) { ReassemblyRun(state, true); }
void BM_ReassemblyBaselineCopy(benchmark::State& state) {
  const std::string seg(1400, 'x');
  std::string out;
  out.reserve(64 * 1400);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 64; ++i) out.append(seg);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 64 * 1400));
}
BENCHMARK(BM_ReassemblyBaselineCopy);
BENCHMARK(BM_ReassemblyInOrder);
BENCHMARK(BM_ReassemblyReordered);

// IP fragment flood: first fragments of datagrams that never complete, the reassembler full
// (max_datagrams = N), so every fragment evicts the oldest datagram. The cost per fragment
// must not grow with N (it was a scan of all N: 13 us at 100k).
void BM_IpFragmentFlood(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::string frame = testing::PacketBuilder()
                          .Eth()
                          .Ipv4("198.51.100.1", "192.0.2.1")
                          .Udp(5060, 5060)
                          .Payload(std::string(64, 'x'))
                          .Build();
  // 1000 distinct first fragments (ids), reused with other source addresses below.
  std::vector<std::string> firsts;
  for (uint32_t id = 0; id < 1000; ++id) firsts.push_back(testing::FragmentIp(frame, 32, id)[0]);
  IpReassembler::Options o;
  o.max_datagrams = n;
  o.max_bytes = size_t{1} << 32;
  o.timeout_us = int64_t{1} << 40;
  IpReassembler frag(o);
  std::string out;
  uint32_t k = 0;
  int64_t ts = 1;
  auto add = [&] {
    std::string& f = firsts[k % 1000];
    f[14 + 12] = static_cast<char>(k / 1000);  // the source address: a new datagram each time
    f[14 + 13] = static_cast<char>(k / 256000);
    ++k;
    PacketView p;
    const auto* d = reinterpret_cast<const uint8_t*>(f.data());
    DecodePacket(LinkType::kEthernet, d, f.size(), f.size(), &p);
    frag.Add(d, f.size(), f.size(), p, ++ts, &out);
  };
  while (frag.pending() < n) add();
  for (auto _ : state) add();
  state.counters["pending"] = static_cast<double>(frag.pending());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_IpFragmentFlood)->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace xsensor

BENCHMARK_MAIN();
