// Feeds a parser the way a worker does: its facts are assembled into records (records/) for a
// flow whose two directions are the given packets, and the records go to `sink`.
#pragma once

#include <cstdint>

#include "packet/endpoint.h"
#include "packet/packet.h"
#include "parsers/parser.h"
#include "records/assembler.h"

namespace xsensor::testing {

class ParseHarness {
 public:
  // `to_server` is a packet from the client to the server; the other direction is its mirror
  // unless SetToClient says otherwise. `options` and `counters` are the parser's.
  ParseHarness(RecordSink* sink, const ParserOptions* options, ParserCounters* counters,
               const PacketView& to_server, uint64_t session_id = 0, uint16_t channel = 0)
      : assembler_(sink),
        options_(options),
        counters_(counters),
        session_id_(session_id),
        channel_(channel) {
    endpoints_.side[0].Take(to_server);
    endpoints_.side[1] = endpoints_.side[0].Mirrored();
  }
  void SetToClient(const PacketView& p) { endpoints_.side[1].Take(p); }

  ParseContext Context(Dir dir, int64_t ts_us, uint8_t l4_proto = 6) {
    assembler_.Bind(&endpoints_, session_id_, channel_, ts_us);
    const IpAddr& server = endpoints_.side[0].dst;
    return ParseContext{dir, ts_us, l4_proto, server.view(), &assembler_, counters_, options_};
  }
  RecordAssembler& assembler() { return assembler_; }

 private:
  RecordAssembler assembler_;
  const ParserOptions* options_;
  ParserCounters* counters_;
  FlowEndpoints endpoints_;
  uint64_t session_id_;
  uint16_t channel_;
};

}  // namespace xsensor::testing
