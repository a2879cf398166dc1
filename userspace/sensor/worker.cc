#include "sensor/worker.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace xsensor {
namespace {

// Bytes of a server's greeting kept while the client has not spoken (FTP/SMTP/POP3/IMAP
// greetings are a line or a few).
constexpr size_t kMaxServerFirst = 512;
// Client packets kept while waiting for a server's greeting on a flow without handshake.
constexpr uint8_t kMaxClientFirstPackets = 4;
// Packets (and bytes of each) held for raw records while a flow's parser is not chosen.
constexpr size_t kMaxHeldRawPackets = 4;
constexpr size_t kMaxHeldRawBytes = 1500;

// A payload a parser recognises as what its client sends first (a request, a ClientHello).
bool LooksLikeClientFirst(uint8_t proto, absl::string_view payload) {
  if (payload.empty()) return false;
  for (const auto& p : Parsers()) {
    if (p.l4_proto == proto && p.sniff && p.sniff(payload)) return true;
  }
  return false;
}

bool IsServicePort(uint8_t proto, uint16_t port) {
  for (const auto& p : Parsers()) {
    if (p.l4_proto != proto) continue;
    for (uint16_t s : p.ports) {
      if (s == port) return true;
    }
  }
  return false;
}

// Whether a packet's sender is the client, when the packet shows it: the side that sent the SYN;
// without a handshake, the side talking to a service port; the side a server greeting or reply
// goes to (a flow picked up at its greeting, as live capture does for FTP/SMTP/POP3/IMAP on
// other ports, or at a reply that overtook its request across queues); the side whose payload
// a parser recognises as a client's first bytes. Nothing when the packet does not tell.
std::optional<bool> SenderIsClient(const PacketView& p) {
  if (p.l4_proto == 6 && (p.tcp_flags & kSyn)) return !(p.tcp_flags & kAck);
  if (IsServicePort(p.l4_proto, p.dport) != IsServicePort(p.l4_proto, p.sport)) {
    return IsServicePort(p.l4_proto, p.dport);
  }
  if (p.l4_proto == 6 && (LooksLikeServerGreeting(p.payload) || LooksLikeServerReply(p.payload))) {
    return false;
  }
  if (LooksLikeClientFirst(p.l4_proto, p.payload)) return true;
  return std::nullopt;
}

}  // namespace

// Delivers one direction's reassembled stream to the flow's parser, at the time of the packet
// whose arrival completed it (it may travel the other way: an ACK or RST that settles a hole).
class Worker::StreamSink : public TcpReassembler::Sink {
 public:
  StreamSink(Worker* w, Flow* f, Dir d, int64_t ts) : w_(w), f_(f), d_(d), ts_(ts) {}
  void OnStreamData(absl::string_view data, uint32_t seq) override {
    w_->Deliver(*f_, d_, ts_, data, seq);
  }
  // Bytes lost by the capture and bytes left in XDP alike: their number is known from the
  // sequence numbers, so a parser inside a body of known length keeps its framing.
  void OnStreamGap(uint64_t bytes) override {
    if (!f_->parser) return;
    ParseContext ctx = w_->Context(*f_, d_, ts_);
    f_->parser->OnSkipped(ctx, bytes);
  }

 private:
  Worker* w_;
  Flow* f_;
  Dir d_;
  int64_t ts_;
};

void Worker::BindRecords(const Flow& flow, int64_t ts_us) {
  ends_.Point(&flow);
  records_.Bind(&ends_, flow.session_id, flow.channel, ts_us);
}

ParseContext Worker::Context(Flow& flow, Dir dir, int64_t ts_us) {
  BindRecords(flow, ts_us);
  const FlowKey& k = flow.key;
  const uint8_t* server = flow.client_is_lo ? k.addr_hi : k.addr_lo;
  return ParseContext{dir,
                      ts_us,
                      k.proto,
                      absl::string_view(reinterpret_cast<const char*>(server), k.addr_len),
                      &records_,
                      &parser_counters_,
                      &parser_options_};
}

Worker::Worker(const Config& config, uint8_t worker_id, RecordSink* sink, DnsNameCache* names)
    : vchannel_(static_cast<uint16_t>(config.vchannel)),
      channel_(vchannel_),
      raw_export_(config.raw_export),
      raw_max_bytes_(config.raw_max_bytes),
      raw_max_packets_(config.raw_max_packets),
      records_(sink),
      flows_(FlowTable::Options{config.flow_max, int64_t{config.flow_idle_timeout} * 1000000,
                                int64_t{config.flow_closed_timeout} * 1000000},
             worker_id, [this](Flow& f, FlowCounters::Id why) { EndFlow(f, why); }) {
  parser_budget_ = config.parser_total_bytes;
  budget_.limit = config.reassembly_total_bytes;
  budget_.per_stream = std::min<uint64_t>(config.reassembly_flow_bytes, UINT32_MAX);
  parser_options_.names = names;
  parser_options_.http_max_header_bytes = config.http_max_header_bytes;
  parser_options_.dns_max_records = config.dns_max_records;
  parser_options_.http_parse_reply = config.http_parse_reply;
  parser_options_.detect_feeds = config.raw_export;
  parser_options_.ssl_parse_reply = config.ssl_parse_reply;
  ip_reassembly_ = config.ip_reassembly;
  if (config.redact_credentials != Config::Redact::kNone) {
    redactor_ = std::make_unique<Redactor>(config.redact_credentials == Config::Redact::kHash
                                               ? Redactor::Mode::kHash
                                               : Redactor::Mode::kEmpty,
                                           config.redact_key);
    records_.set_redactor(redactor_.get());
  }
}

Worker::~Worker() = default;

void Worker::HandleFrame(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                         int64_t ts_us) {
  PacketView p;
  DecodeResult r = DecodePacket(link, data, caplen, wire_len, &p);
  HandleFrame(link, data, caplen, wire_len, ts_us, p, r);
}

void Worker::HandleFrame(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                         int64_t ts_us, const PacketView& p, DecodeResult r, uint64_t flow_hash) {
  counters_.Inc(WorkerCounters::kFrames);
  counters_.Inc(WorkerCounters::kBytes, wire_len);
  decode_.Inc(r);
  if (r == DecodeCounters::kOk) {
    HandleDecoded(p, wire_len, ts_us, flow_hash);
  } else if (r == DecodeCounters::kFragment) {
    if (const std::string* whole = Reassemble(data, caplen, wire_len, p, ts_us)) {
      HandleHandedOff(link, reinterpret_cast<const uint8_t*>(whole->data()), whole->size(), ts_us);
    }
  }
}

uint64_t Worker::PrefetchFlow(const PacketView& p, DecodeResult r) const {
  if (r != DecodeCounters::kOk) return 0;
  bool forward;
  uint64_t h = FlowHash(MakeFlowKey(p, &forward));
  flows_.Prefetch(h, 0);
  return h;
}

const std::string* Worker::Reassemble(const uint8_t* data, size_t caplen, size_t wire_len,
                                      const PacketView& p, int64_t ts_us) {
  if (!ip_reassembly_) return nullptr;
  return frag_.Add(data, caplen, wire_len, p, ts_us, &frag_out_) ? &frag_out_ : nullptr;
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

void Worker::HandleDecoded(const PacketView& p, size_t wire_len, int64_t ts_us,
                           uint64_t flow_hash) {
  flows_.Expire(ts_us);
  bool from_lo = false;
  FlowKey key = MakeFlowKey(p, &from_lo);
  if (!flow_hash) flow_hash = FlowHash(key);
  bool created = false;
  Flow* flow = flows_.Lookup(key, flow_hash, ts_us, &created);
  if (!created && p.l4_proto == 6 && (p.tcp_flags & (kSyn | kAck)) == kSyn &&
      (flow->closing ||
       flow->tcp[static_cast<int>(flow->DirOf(from_lo))].OtherConnection(p.tcp_seq))) {
    // A new connection on the addresses and ports of one that has closed, or whose end was not
    // seen (a client reusing its port, a NAT): a new flow, with its own session. (XDP has
    // removed the old one's bypass entry on this SYN.)
    flows_.EndNow(flow);
    flow = flows_.Lookup(key, flow_hash, ts_us, &created);
  }
  if (created) {
    flow->channel = channel_;
    // When the packet does not tell, a guess: the side with the unprivileged port, else the
    // first sender; guessed from a packet without payload, the first payload decides again.
    const std::optional<bool> known = SenderIsClient(p);
    const bool sender_is_client =
        known.value_or((p.sport < 1024) == (p.dport < 1024) || p.dport < 1024);
    flow->client_is_lo = from_lo == sender_is_client;
    flow->first_from_lo = from_lo;
    flow->roles_guessed = !known && p.payload.empty();
    flow->handshake_seen = p.l4_proto == 6 && (p.tcp_flags & kSyn);
  } else if (flow->roles_guessed && !p.payload.empty()) {
    // Live, a server's bare ACK may reach the flow's worker before the request it acknowledges
    // (another queue): the first payload decides who the client is.
    flow->roles_guessed = false;
    const std::optional<bool> known = SenderIsClient(p);
    if (known && flow->client_is_lo != (from_lo == *known)) {
      flow->client_is_lo = !flow->client_is_lo;
      flow->tcp[0].Swap(flow->tcp[1]);
      std::swap(flow->packets[0], flow->packets[1]);
      std::swap(flow->bytes[0], flow->bytes[1]);
      std::swap(flow->fin[0], flow->fin[1]);
      std::swap(flow->l2[0], flow->l2[1]);
      if (flow->mpls) {
        std::swap(flow->mpls->len[0], flow->mpls->len[1]);
        std::swap(flow->mpls->labels[0], flow->mpls->labels[1]);
      }
    }
  }
  Dir dir = flow->DirOf(from_lo);
  int d = static_cast<int>(dir);
  ++flow->packets[d];
  flow->bytes[d] += wire_len;
  if (!flow->l2[d].valid && !p.payload.empty() && (flow->parser || !flow->parser_chosen)) {
    flow->TakeEnds(dir, p);
  }

  if (p.l4_proto == 6) {
    HandleTcp(*flow, dir, p, ts_us);
  } else if (!p.payload.empty()) {
    Deliver(*flow, dir, ts_us, p.payload, 0);
  }
  if (raw_export_ && !p.payload.empty()) HandleRaw(*flow, dir, p, ts_us);
}

void Worker::HandleRaw(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us) {
  if (!flow.meta_proto) {
    // Until the parser is chosen, the packets that will choose it (a greeting, a client's first
    // bytes that crossed queues) are held: whatever order they came in, they are exported. So
    // are those of an exchange the parser cannot tell yet (an HTTP request, until its reply
    // says whether it is a feed) while the server's side is seen at all: a flow captured one
    // way holds nothing for a reply that will not come.
    const bool hold = !flow.parser_chosen || (flow.parser && flow.parser->HoldsRaw() &&
                                              flow.raw_exported < raw_max_packets_ &&
                                              flow.packets[static_cast<int>(Dir::kToClient)] > 0);
    if (!hold) {
      flow.raw_held.reset();
      return;
    }
    if (!flow.raw_held) flow.raw_held = std::make_unique<std::vector<Flow::HeldPacket>>();
    if (flow.raw_held->size() < kMaxHeldRawPackets) {
      absl::string_view data =
          p.payload.substr(0, std::min<size_t>(raw_max_bytes_, kMaxHeldRawBytes));
      flow.raw_held->push_back({dir, p.tcp_flags, p.tcp_seq, ts_us, std::string(data)});
    } else {
      counters_.Inc(WorkerCounters::kRawHeldDropped);
    }
    return;
  }
  if (flow.raw_held) {
    for (const Flow::HeldPacket& h : *flow.raw_held) {
      if (flow.raw_exported >= raw_max_packets_) break;
      EmitRaw(flow, h.dir, h.ts_us, h.payload, h.tcp_flags, h.tcp_seq);
    }
    flow.raw_held.reset();
  }
  if (flow.raw_exported < raw_max_packets_) {
    EmitRaw(flow, dir, ts_us, p.payload, p.tcp_flags, p.tcp_seq);
    if (flow.raw_exported == raw_max_packets_) MaybeBypass(flow);
  }
}

void Worker::EmitRaw(Flow& flow, Dir dir, int64_t ts_us, absl::string_view payload,
                     uint8_t tcp_flags, uint32_t tcp_seq) {
  // The packet's payload as captured (not reassembled), after the parser's records of it.
  ++flow.raw_exported;
  BindRecords(flow, ts_us);
  RecordAssembler::RawPacket raw;
  raw.dir = dir;
  raw.meta_proto = flow.meta_proto;
  raw.vdpi_proto = flow.vdpi_proto;
  if (flow.key.proto == 17) {
    const bool from_lo = (dir == Dir::kToServer) == flow.client_is_lo;
    raw.from_first_sender = from_lo == flow.first_from_lo ? 1 : 0;
  }
  raw.l4_proto = flow.key.proto;
  raw.tcp_flags = tcp_flags;
  raw.tcp_seq = tcp_seq;
  raw.ts_us = ts_us;
  if (redactor_) {
    // The secrets of its protocol, read across the direction's packets (parsers/secrets.h).
    const int d = static_cast<int>(dir);
    if (flow.redaction_proto != flow.meta_proto) {
      flow.redaction[0].reset();
      flow.redaction[1].reset();
      flow.redaction_proto = flow.meta_proto;
    }
    if (!flow.redaction[d]) {
      if (auto scanner = MakeSecretScanner(flow.meta_proto, dir)) {
        flow.redaction[d] = std::make_unique<StreamRedaction>(std::move(scanner));
      }
    }
    if (flow.redaction[d]) {
      redacted_.clear();
      flow.redaction[d]->Apply(
          payload, flow.key.proto == 6, tcp_seq,
          [this](absl::string_view secret) { return redactor_->Value(secret); }, &redacted_);
      payload = redacted_;
    }
  }
  raw.payload = payload.substr(0, raw_max_bytes_);
  records_.Raw(raw);
}

bool Worker::RawWanted(const Flow& flow) const {
  return raw_export_ && flow.meta_proto && flow.raw_exported < raw_max_packets_;
}

void Worker::MaybeBypass(Flow& flow) {
  // Once the parser is done with part of the flow and raw export wants no more of its packets:
  // stop reassembling it here, and (live) stop steering it in XDP.
  bool to_client = false, to_server_data = false;
  if (flow.bypass_requested || !flow.parser || RawWanted(flow) ||
      !flow.parser->WantsBypass(&to_client, &to_server_data)) {
    return;
  }
  flow.bypass_requested = true;
  if (to_client) flow.tcp[static_cast<int>(Dir::kToClient)].Ignore(budget_);
  BypassRequest r;
  r.skip_to_client = to_client;
  r.skip_to_server_data = to_server_data;
  RequestBypass(flow, r);
}

void Worker::MaybeSkip(Flow& flow) {
  if (!bypass_cb_ || flow.bypass_requested || !flow.parser || RawWanted(flow)) return;
  Dir dir = Dir::kToClient;
  uint64_t bytes = 0;
  if (!flow.parser->WantsSkip(&dir, &bytes) || dir != Dir::kToClient || bytes < kMinSkipBytes) {
    return;
  }
  TcpReassembler& stream = flow.tcp[static_cast<int>(Dir::kToClient)];
  if (!stream.started() || stream.ignored()) return;
  // Sequence numbers stay comparable within 2 GiB: a longer body is skipped 1 GiB at a time.
  const auto until = stream.next_seq() + static_cast<uint32_t>(std::min<uint64_t>(bytes, 1u << 30));
  if (flow.skip_armed && flow.skip_until == until) return;
  stream.SkipUntil(until);
  flow.skip_armed = true;
  flow.skip_until = until;
  BypassRequest r;
  r.kind = BypassRequest::Kind::kReplyBody;
  r.to_client_until_set = true;
  r.to_client_until = until;
  RequestBypass(flow, r);
}

void Worker::RequestBypass(Flow& flow, const BypassRequest& request) {
  if (!bypass_cb_) return;
  switch (request.kind) {
    case BypassRequest::Kind::kParserDone:
      counters_.Inc(WorkerCounters::kBypassParserDone);
      break;
    case BypassRequest::Kind::kNoParser:
      counters_.Inc(WorkerCounters::kBypassNoParser);
      break;
    case BypassRequest::Kind::kReplyBody:
      counters_.Inc(WorkerCounters::kBypassReplyBody);
      break;
    case BypassRequest::Kind::kClear:
      counters_.Inc(WorkerCounters::kBypassCleared);
      break;
  }
  bypass_cb_(flow, request);
}

void Worker::HandleTcp(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us) {
  int d = static_cast<int>(dir);
  TcpReassembler& stream = flow.tcp[d];
  StreamSink sink(this, &flow, dir, ts_us);
  uint32_t seq = p.tcp_seq;
  if (p.tcp_flags & kSyn) {
    stream.OnSyn(seq);
    seq += 1;  // data on a SYN (TCP Fast Open) starts after it
  }
  stream.OnSegment(seq, p.payload, sink, budget_, reasm_counters_);
  if (p.tcp_flags & kAck) {
    // What this packet acknowledges of the other direction may settle a hole there.
    StreamSink other(this, &flow, Opposite(dir), ts_us);
    flow.tcp[1 - d].OnPeerAck(p.tcp_ack, other, budget_, reasm_counters_);
  }
  if (p.tcp_flags & (kFin | kRst)) {
    // Nothing more will fill this direction's holes: deliver what waits behind them.
    stream.Flush(sink, budget_, reasm_counters_);
    if (p.tcp_flags & kRst) {
      StreamSink other(this, &flow, Opposite(dir), ts_us);
      flow.tcp[1 - d].Flush(other, budget_, reasm_counters_);
      flows_.MarkClosing(&flow);
    } else {
      flow.fin[d] = true;
      if (flow.fin[0] && flow.fin[1]) flows_.MarkClosing(&flow);
    }
  }
}

void Worker::EndFlow(Flow& flow, FlowCounters::Id why) {
  // A closed flow's XDP entry goes with it (a port reused for a new connection is steered
  // again). An idle one's stays until it expires: its bulk may still be flowing in XDP,
  // unseen here.
  if ((flow.bypass_requested || flow.skip_armed) && why == FlowCounters::kExpiredClosed) {
    BypassRequest r;
    r.kind = BypassRequest::Kind::kClear;
    RequestBypass(flow, r);
  }
  // A TCP flow that ends with several packets one way and none the other: this worker never
  // saw its other direction (flow_affinity=queue without symmetric RSS, or a one-way mirror).
  constexpr uint64_t kOneWayPackets = 4;
  if (flow.key.proto == 6 && std::min(flow.packets[0], flow.packets[1]) == 0 &&
      std::max(flow.packets[0], flow.packets[1]) >= kOneWayPackets) {
    counters_.Inc(WorkerCounters::kOneWayFlows);
  }
  // A flow ending without FIN/RST (timeout, eviction, shutdown) releases its buffers; bytes
  // waiting behind a hole that never filled are counted, not parsed.
  for (auto& stream : flow.tcp) {
    reasm_counters_.Inc(ReassemblyCounters::kIgnoredBytes, stream.buffered());
    stream.Ignore(budget_);
  }
  if (flow.parser) {
    ParseContext ctx = Context(flow, Dir::kToServer, flow.last_seen_us);
    flow.parser->OnEnd(ctx);
  }
  parser_held_ -= flow.parser_held;
  flow.parser_held = 0;
}

void Worker::AccountParser(Flow& flow, const ParseContext& ctx) {
  // A flow whose parser holds less than this is never given up: over the budget, the flows
  // that grow past it are (a flood of partial records or lines pays, the rest parse on).
  constexpr size_t kParserShedBytes = 4096;
  auto note = [&](size_t held) {  // the flow's share, and the worker's sum, become `held`
    const auto share = static_cast<uint32_t>(std::min<size_t>(held, UINT32_MAX));
    parser_held_ = parser_held_ - flow.parser_held + share;
    flow.parser_held = share;
  };
  if (!flow.parser) return note(0);
  note(flow.parser->HeldBytes());
  if (parser_held_ <= parser_budget_) return;
  flow.parser->ReleaseIdle();
  note(flow.parser->HeldBytes());
  if (parser_held_ <= parser_budget_) return;
  // Over the budget, the flows that have held parser state longest give it up first: a flood
  // of flows parking partial frames (each under kParserShedBytes) pays, and the flow in hand,
  // a new one needing more, keeps its parser and its records. A bounded look per packet.
  constexpr size_t kShedLook = 64;
  bool shed_others = false;
  flows_.ForOldest(kShedLook, [&](Flow& other) {
    if (&other == &flow || !other.parser || other.parser_held == 0) return true;
    GiveUpParser(other, Context(other, Dir::kToServer, ctx.ts_us));
    shed_others = true;
    return parser_held_ > parser_budget_;
  });
  if (shed_others) BindRecords(flow, ctx.ts_us);  // the records are the flow in hand's again
  if (parser_held_ <= parser_budget_ || flow.parser_held < kParserShedBytes) return;
  GiveUpParser(flow, ctx);
}

void Worker::GiveUpParser(Flow& flow, const ParseContext& ctx) {
  // Given up: what it has complete is told, the rest of the flow is neither reassembled nor
  // parsed (as a flow without a parser).
  counters_.Inc(WorkerCounters::kParsersOverBudget);
  ParseContext end = ctx;
  flow.parser->OnEnd(end);
  flow.parser.reset();
  parser_held_ -= flow.parser_held;
  flow.parser_held = 0;
  for (auto& stream : flow.tcp) stream.Ignore(budget_);
}

void Worker::Deliver(Flow& flow, Dir dir, int64_t ts_us, absl::string_view data, uint32_t seq) {
  counters_.Inc(WorkerCounters::kPayloadPackets);
  std::string server_before;
  uint32_t server_before_seq = 0;
  if (!flow.parser_chosen) {
    uint16_t server_port = flow.client_is_lo ? flow.key.port_hi : flow.key.port_lo;
    const bool to_server = dir == Dir::kToServer;
    // What the server sent before the parser was chosen (its greeting) is kept, and so is what
    // the client sent first on a flow picked up without its handshake while the server has not
    // spoken: live, a greeting-steered flow's greeting may cross queues and come after the
    // client's first command.
    if (!to_server && flow.server_first.size() < kMaxServerFirst) {
      if (flow.server_first.empty()) flow.server_first_seq = seq;
      absl::string_view part = data.substr(0, kMaxServerFirst - flow.server_first.size());
      flow.server_first.append(part.data(), part.size());
    }
    absl::string_view client_payload = to_server ? data : absl::string_view(flow.client_first);
    bool by_greeting = false;
    flow.parser = ChooseParser(flow.key.proto, server_port, client_payload, parser_options_,
                               &flow.meta_proto, flow.server_first, &by_greeting, &flow.vdpi_proto);
    const bool wait_for_greeting = to_server && !flow.parser && !flow.handshake_seen &&
                                   flow.key.proto == 6 && flow.server_first.empty() &&
                                   flow.client_first_packets < kMaxClientFirstPackets;
    if (wait_for_greeting) {
      ++flow.client_first_packets;
      absl::string_view part =
          data.substr(0, kMaxServerFirst - std::min(kMaxServerFirst, flow.client_first.size()));
      flow.client_first.append(part.data(), part.size());
      return;
    }
    // Decided once we know the port matches or have seen what the client sends first.
    if (flow.parser || to_server) {
      flow.parser_chosen = true;
      if (!flow.parser) counters_.Inc(WorkerCounters::kNoParserFlows);
      if (by_greeting) {
        // Chosen from the greeting: the parser reads it first, as the server sent it, then
        // what the client had sent before it was seen.
        counters_.Inc(WorkerCounters::kServerFirstFlows);
        ParseContext ctx = Context(flow, Dir::kToClient, ts_us);
        flow.parser->OnData(ctx, flow.server_first, flow.server_first_seq);
        if (!to_server && !flow.client_first.empty()) {
          ParseContext cctx = Context(flow, Dir::kToServer, ts_us);
          flow.parser->OnData(cctx, flow.client_first, 0);
        }
      }
      bool data_was_greeting = !to_server;
      // Server bytes before the client's first, on a flow whose parser the client's bytes chose:
      // live, the reply crossed queues and overtook the request. Read after it.
      if (to_server && !by_greeting && flow.parser) {
        server_before.swap(flow.server_first);
        server_before_seq = flow.server_first_seq;
      }
      std::string().swap(flow.server_first);
      std::string().swap(flow.client_first);
      // The server's bytes that chose the parser were read with the greeting.
      if (data_was_greeting && by_greeting) return;
    }
  }
  if (!flow.parser) {
    // No parser wants this flow: nothing of it is reassembled or kept from now on, nor (live)
    // steered.
    if (flow.parser_chosen) {
      for (auto& stream : flow.tcp) stream.Ignore(budget_);
      flow.mpls.reset();
      if (!flow.bypass_requested) {
        flow.bypass_requested = true;
        BypassRequest r;
        r.kind = BypassRequest::Kind::kNoParser;
        r.skip_to_client = r.skip_to_server_data = true;
        RequestBypass(flow, r);
      }
    }
    return;
  }
  counters_.Inc(WorkerCounters::kParsedPackets);
  ParseContext ctx = Context(flow, dir, ts_us);
  flow.parser->OnData(ctx, data, seq);
  if (!server_before.empty()) {
    ParseContext sctx = Context(flow, Dir::kToClient, ts_us);
    flow.parser->OnData(sctx, server_before, server_before_seq);
  }
  if (uint8_t found = flow.parser->FoundMetaProto(); found && found != flow.meta_proto) {
    // The parser found the flow (Zello) or the exchange it reads (a feed) to be a service of
    // its own: its packets from here on are raw records of it.
    flow.meta_proto = found;
    if (found == kMetaProtoZello) flow.vdpi_proto = kVdpiZello;
  } else if (!found && flow.meta_proto == kMetaProtoRss) {
    flow.meta_proto = 0;  // the feed's exchange is over: the next request starts another
  }
  if (flow.parser->StartsTls()) {
    // STARTTLS and the like, accepted: the plain-text protocol ends here and the connection
    // continues as TLS, parsed (and exported) as on a TLS port.
    flow.parser->OnEnd(ctx);
    flow.parser = MakeTlsParserAfterStartTls(parser_options_);
    flow.vdpi_proto = kVdpiTls;
    counters_.Inc(WorkerCounters::kStartTlsFlows);
  }
  AccountParser(flow, ctx);
  MaybeBypass(flow);  // (nothing when the budget took the parser)
  MaybeSkip(flow);
}

void Worker::Finish() {
  flows_.Clear();
  PublishGauges();
}

}  // namespace xsensor
