#include "absl/strings/string_view.h"
#include "sensor/worker.h"

namespace xsensor {
namespace {

bool IsServicePort(uint8_t proto, uint16_t port) {
  for (const auto& p : Parsers()) {
    if (p.l4_proto != proto) continue;
    for (uint16_t s : p.ports) {
      if (s == port) return true;
    }
  }
  return false;
}

}  // namespace

Worker::Worker(const Config& config, uint8_t worker_id, RecordSink* sink)
    : channel_(static_cast<uint16_t>(config.vchannel)),
      records_(sink),
      flows_(FlowTable::Options{config.flow_max, int64_t{config.flow_idle_timeout} * 1000000,
                                int64_t{config.flow_closed_timeout} * 1000000},
             worker_id, nullptr) {
  parser_options_.http_max_header_bytes = config.http_max_header_bytes;
  parser_options_.http_parse_reply = config.http_parse_reply;
  parser_options_.ssl_parse_reply = config.ssl_parse_reply;
}

Worker::~Worker() = default;

void Worker::ChooseRoles(Flow& flow, bool from_lo, const PacketView& p) {
  // The client is the side that sent the SYN; without a handshake, the side talking to a
  // service port; else the side with the higher port; else the first sender.
  bool sender_is_client = true;
  if (p.l4_proto == 6 && (p.tcp_flags & kSyn)) {
    sender_is_client = !(p.tcp_flags & kAck);
  } else if (IsServicePort(p.l4_proto, p.dport) != IsServicePort(p.l4_proto, p.sport)) {
    sender_is_client = IsServicePort(p.l4_proto, p.dport);
  } else if ((p.sport < 1024) != (p.dport < 1024)) {
    sender_is_client = p.dport < 1024;
  }
  flow.client_is_lo = (from_lo == sender_is_client);
}

void Worker::HandleFrame(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                         int64_t ts_us) {
  PacketView p;
  if (Decode(link, data, caplen, wire_len, &p) == DecodeCounters::kOk) {
    HandleDecoded(p, wire_len, ts_us);
  }
}

DecodeResult Worker::Decode(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                            PacketView* p) {
  counters_.Inc(WorkerCounters::kFrames);
  counters_.Inc(WorkerCounters::kBytes, wire_len);
  DecodeResult r = DecodePacket(link, data, caplen, wire_len, p);
  decode_.Inc(r);
  return r;
}

void Worker::HandleHandedOff(LinkType link, const uint8_t* data, size_t caplen, int64_t ts_us) {
  PacketView p;
  if (DecodePacket(link, data, caplen, caplen, &p) == DecodeCounters::kOk) {
    HandleDecoded(p, caplen, ts_us);
  }
}

void Worker::HandleDecoded(const PacketView& p, size_t wire_len, int64_t ts_us) {
  flows_.Expire(ts_us);
  bool from_lo = false;
  FlowKey key = MakeFlowKey(p, &from_lo);
  bool created = false;
  Flow* flow = flows_.Lookup(key, ts_us, &created);
  if (created) ChooseRoles(*flow, from_lo, p);
  Dir dir = flow->DirOf(from_lo);
  int d = static_cast<int>(dir);
  ++flow->packets[d];
  flow->bytes[d] += wire_len;

  if (p.l4_proto == 6) {
    HandleTcp(*flow, dir, p, ts_us);
  } else if (!p.payload.empty()) {
    Deliver(*flow, dir, p, ts_us, p.payload, 0);
  }
}

void Worker::HandleTcp(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us) {
  TcpDirState& st = flow.tcp[static_cast<int>(dir)];
  uint32_t seq = p.tcp_seq;
  if (p.tcp_flags & kSyn) {
    st.seen = true;
    st.next_seq = seq + 1;
    seq += 1;  // data on a SYN (TCP Fast Open) starts after it
  }
  if (p.tcp_flags & kRst) flow.closing = true;
  absl::string_view data = p.payload;
  if (!data.empty()) {
    if (!st.seen) {
      // Picked up mid-stream: start at this segment.
      st.seen = true;
      st.next_seq = seq;
    }
    int32_t diff = static_cast<int32_t>(seq - st.next_seq);
    if (diff < 0) {
      // Retransmission or overlap: the first copy of every byte wins.
      uint32_t behind = static_cast<uint32_t>(-static_cast<int64_t>(diff));
      if (behind >= data.size()) {
        parser_counters_.Inc(ParserCounters::kTcpRetransmitted);
        data = {};
      } else {
        parser_counters_.Inc(ParserCounters::kTcpOverlapTrimmed);
        data.remove_prefix(behind);
        seq += behind;
      }
    } else if (diff > 0) {
      // Bytes missing before this segment (lost, or not yet arrived: the reassembler that
      // buffers out-of-order segments replaces this).
      parser_counters_.Inc(ParserCounters::kTcpGaps);
      if (flow.parser) {
        ParseContext ctx{RecordOrigin{&p, &flow, ts_us, channel_}, dir, &records_,
                         &parser_counters_, &parser_options_};
        flow.parser->OnGap(ctx);
      }
    }
    if (!data.empty()) {
      st.next_seq = seq + static_cast<uint32_t>(data.size());
      Deliver(flow, dir, p, ts_us, data, seq);
    }
  }
  if (p.tcp_flags & kFin) {
    st.fin = true;
    if (flow.tcp[0].fin && flow.tcp[1].fin) flow.closing = true;
  }
}

void Worker::Deliver(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us,
                     absl::string_view data, uint32_t seq) {
  counters_.Inc(WorkerCounters::kPayloadPackets);
  if (!flow.parser_chosen) {
    uint16_t server_port = flow.client_is_lo ? flow.key.port_hi : flow.key.port_lo;
    absl::string_view client_payload = dir == Dir::kToServer ? data : absl::string_view();
    flow.parser = ChooseParser(p.l4_proto, server_port, client_payload, parser_options_);
    // Decided once we know the port matches or have seen what the client sends first.
    if (flow.parser || dir == Dir::kToServer) {
      flow.parser_chosen = true;
      if (!flow.parser) counters_.Inc(WorkerCounters::kNoParserFlows);
    }
  }
  if (!flow.parser) return;
  counters_.Inc(WorkerCounters::kParsedPackets);
  ParseContext ctx{RecordOrigin{&p, &flow, ts_us, channel_}, dir, &records_, &parser_counters_,
                   &parser_options_};
  flow.parser->OnData(ctx, data, seq);
  bool to_client = false, to_server_data = false;
  if (bypass_cb_ && !flow.bypass_requested &&
      flow.parser->WantsBypass(&to_client, &to_server_data)) {
    flow.bypass_requested = true;
    bypass_cb_(flow, to_client, to_server_data);
  }
}

void Worker::Finish() { flows_.Clear(); }

}  // namespace xsensor
