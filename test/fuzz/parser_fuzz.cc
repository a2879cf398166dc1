// Fuzz target for one parser (XS_FUZZ_PARSER, XS_FUZZ_L4 name a row of the registry; without
// them the input's first byte picks the row, so that every row of the registry is fuzzed, as
// Suricata's fuzz_applayerparserparse picks its protocol): the input's chunks (fuzz_input.h) are a
// flow's payloads in both directions, as the worker hands them over, with the STARTTLS switch and
// the flow's end as in the worker. Replies are parsed.
#include <array>

#include "fuzz_input.h"
#include "packet/endpoint.h"
#include "packet/packet.h"
#include "parsers/parser.h"
#include "records/assembler.h"

namespace {
class CountingSink : public xsensor::RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override { n += m.ByteSizeLong() > 0; }
  size_t n = 0;
};

#ifdef XS_FUZZ_PARSER
const xsensor::ParserInfo& Info(xsensor::fuzz::Reader&) {
  static const xsensor::ParserInfo& info = [&]() -> const xsensor::ParserInfo& {
    for (const auto& p : xsensor::Parsers()) {
      if (p.name == XS_FUZZ_PARSER && p.l4_proto == XS_FUZZ_L4) return p;
    }
    __builtin_trap();  // the build names a parser that does not exist
  }();
  return info;
}
#else
const xsensor::ParserInfo& Info(xsensor::fuzz::Reader& in) {
  const auto& rows = xsensor::Parsers();
  return rows[in.Byte() % rows.size()];
}
#endif

// The packet the records take their endpoints from: Ethernet, IPv4, TCP or UDP, no payload.
xsensor::PacketView Packet(uint8_t l4) {
  uint8_t frame[54] = {2,    0,    0,    0,    0, 2, 2,    0, 0,  0,  0, 1, 0x08, 0x00,  // Ethernet
                       0x45, 0,    0,    40,   0, 1, 0x40, 0, 64, l4, 0, 0, 10,   0,
                       0,    1,    10,   0,    0, 2,  // IPv4
                       0xc0, 0x01, 0x01, 0xbb, 0, 0, 0,    1, 0,  0,  0, 1, 0x50, 0x18,
                       0xff, 0xff, 0,    0,    0, 0};  // TCP (or UDP, then the 8 first bytes)
  if (l4 == 17) {
    frame[17] = 28;  // IPv4 total length
    frame[38] = 0;   // UDP length
    frame[39] = 8;
  }
  size_t len = l4 == 17 ? 42 : 54;
  xsensor::PacketView v;
  if (xsensor::DecodePacket(xsensor::LinkType::kEthernet, frame, len, len, &v) !=
      xsensor::DecodeCounters::kOk) {
    __builtin_trap();
  }
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xsensor::ParserOptions options = [] {
    xsensor::ParserOptions o;
    o.http_max_header_bytes = 1024;  // reach the limits quickly
    o.dns_max_records = 16;
    o.http_parse_reply = o.ssl_parse_reply = true;
    o.detect_feeds = true;  // HTTP: reply bodies sniffed for a feed's root element
    return o;
  }();
  xsensor::fuzz::Reader in(data, size);
  const xsensor::ParserInfo& info = Info(in);
  const uint8_t l4 = info.l4_proto;
  CountingSink sink;
  xsensor::RecordAssembler records(&sink);
  xsensor::ParserCounters counters;
  // The endpoints of a TCP and of a UDP flow ([0], [1]).
  static const std::array<xsensor::FlowEndpoints, 2> kEndpoints = [] {
    std::array<xsensor::FlowEndpoints, 2> e;
    for (int i = 0; i < 2; ++i) {
      e[i].side[0].Take(Packet(i ? 17 : 6));
      e[i].side[1] = e[i].side[0].Mirrored();
    }
    return e;
  }();
  const xsensor::FlowEndpoints& endpoints = kEndpoints[l4 == 17];
  const absl::string_view server = endpoints.side[0].dst.view();
  std::unique_ptr<xsensor::AppParser> parser = info.make(options);
  int64_t ts = 1700000000000000;
  uint32_t seq[2] = {1000, 500000};
  while (!in.empty()) {
    uint16_t header = in.U16();
    const bool to_client = header & 0x8000;
    xsensor::fuzz::Piece chunk = in.Take(header & 0x7fff);
    records.Bind(&endpoints, 1, 0, ts += 1000);
    xsensor::ParseContext ctx{to_client ? xsensor::Dir::kToClient : xsensor::Dir::kToServer,
                              ts,
                              l4,
                              server,
                              &records,
                              &counters,
                              &options};
    parser->OnData(ctx, {chunk.chars(), chunk.size()}, seq[to_client]);
    seq[to_client] += static_cast<uint32_t>(chunk.size());
    if (parser->StartsTls()) {
      parser->OnEnd(ctx);
      parser = xsensor::MakeTlsParserAfterStartTls(options);
    }
    bool skip_to_client, skip_to_server_data;
    (void)parser->WantsBypass(&skip_to_client, &skip_to_server_data);
    (void)parser->FoundMetaProto();
    (void)parser->HoldsRaw();
  }
  xsensor::ParseContext end{xsensor::Dir::kToServer, ts, l4, server, &records, &counters, &options};
  parser->OnEnd(end);
  return 0;
}
