// A worker: takes frames (from a capture file or, later, one AF_XDP queue), decodes them,
// tracks flows and feeds payload in order to the flows' parsers, whose records go to the
// sink. One worker per thread; it shares nothing on the packet path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/strings/string_view.h"
#include "common/counters.h"
#include "config/config.h"
#include "flow/flow_table.h"
#include "packet/ip_reassembly.h"
#include "packet/packet.h"
#include "parsers/parser.h"
#include "records/assembler.h"
#include "schema/record_sink.h"

namespace xsensor {

#define XS_WORKER_COUNTERS(X)                           \
  X(kFrames, "frames")                                  \
  X(kBytes, "bytes")                                    \
  X(kPayloadPackets, "payload_packets")                 \
  X(kParsedPackets, "parsed_packets")                   \
  X(kNoParserFlows, "flows_without_parser")             \
  X(kServerFirstFlows, "flows_by_server_greeting")      \
  X(kStartTlsFlows, "flows_switched_to_tls")            \
  X(kRawHeldDropped, "raw_held_dropped")                \
  X(kParsersOverBudget, "parsers_given_up_over_budget") \
  X(kOneWayFlows, "flows_one_way")                      \
  X(kBypassParserDone, "bypass_parser_done")            \
  X(kBypassNoParser, "bypass_no_parser")                \
  X(kBypassReplyBody, "bypass_reply_bodies")            \
  X(kBypassCleared, "bypass_cleared_at_close")
XS_COUNTER_GROUP(WorkerCounters, XS_WORKER_COUNTERS);

class Worker {
 public:
  // What the worker asks of XDP for one flow (live): stop steering the packets its parser no
  // longer needs, or forget what was asked.
  struct BypassRequest {
    enum class Kind : uint8_t {
      kParserDone,  // for good: skip_to_client / skip_to_server_data
      kNoParser,    // no parser wants the flow: both directions, for good
      kReplyBody,   // server -> client payload ending at or before to_client_until
      kClear,       // the flow closed (FIN both ways or RST): the entry goes
    };
    Kind kind = Kind::kParserDone;
    bool skip_to_client = false;
    bool skip_to_server_data = false;
    bool to_client_until_set = false;
    uint32_t to_client_until = 0;  // a TCP sequence number of the server's direction
  };
  using BypassCallback = std::function<void(const Flow&, const BypassRequest&)>;
  // Reply bodies shorter than this are read rather than skipped (a map update costs more than
  // the few packets it would spare).
  static constexpr uint64_t kMinSkipBytes = 16384;

  // `names`, if given, is the DNS name cache shared by all workers.
  Worker(const Config& config, uint8_t worker_id, RecordSink* sink, DnsNameCache* names = nullptr);
  // Every `dns` record also goes to `log` (the DNS text log), if set.
  void set_dns_log(DnsTextLog* log) { records_.set_dns_tap(log); }
  // LOGIN of every record from `logins` (shared, reloadable), if set.
  void set_subscribers(const Subscribers* subscribers) { records_.set_subscribers(subscribers); }
  void set_bypass_callback(BypassCallback cb) { bypass_cb_ = std::move(cb); }
  // BRIDGE_CHANNEL_NUM of the flows the next frames create: `vchannel` when configured, else
  // the number of the capture interface (bridge) they came through (live: 1, 2, ... in the
  // order the interfaces are given; offline 0).
  void set_interface_channel(uint16_t interface_number) {
    channel_ = vchannel_ ? vchannel_ : interface_number;
  }
  ~Worker();

  // One frame. `ts_us` is the packet time (offline) or the receive time (live).
  void HandleFrame(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                   int64_t ts_us);
  // The same for a frame the caller has decoded already (DecodePacket gave `r` and `p`).
  // `flow_hash`, when not 0, is what PrefetchFlow returned for it.
  void HandleFrame(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                   int64_t ts_us, const PacketView& p, DecodeResult r, uint64_t flow_hash = 0);
  // For a caller that holds the next frames (offline): asks for the flow table's memory that
  // frame `p` will need (FlowTable::Prefetch). Returns the hash to give stage 1.
  uint64_t PrefetchFlow(const PacketView& p, DecodeResult r) const;
  void PrefetchFlow(uint64_t flow_hash) const { flows_.Prefetch(flow_hash, 1); }
  // The same in two steps, for a dispatcher that needs the decoded packet first: Decode()
  // counts the frame; HandleDecoded() processes an ok packet.
  DecodeResult Decode(LinkType link, const uint8_t* data, size_t caplen, size_t wire_len,
                      PacketView* p);
  void HandleDecoded(const PacketView& p, size_t wire_len, int64_t ts_us, uint64_t flow_hash = 0);
  // A frame another worker received and counted, handed to this worker (the flow's owner), or
  // a datagram reassembled from fragments: decoded and handled, not counted as a frame.
  void HandleHandedOff(LinkType link, const uint8_t* data, size_t caplen, int64_t ts_us);
  // An IP fragment (Decode gave kFragment for `data`, into `p`): kept until its datagram is
  // whole; then the rebuilt frame is returned (valid until the next call), else null. Null
  // always when ip_reassembly is off.
  const std::string* Reassemble(const uint8_t* data, size_t caplen, size_t wire_len,
                                const PacketView& p, int64_t ts_us);
  // Ends idle flows when no packets arrive (live capture).
  void Expire(int64_t now_us) {
    flows_.Expire(now_us);
    frag_.Expire(now_us);
    PublishGauges();
  }
  // Ends all flows (end of capture, shutdown).
  void Finish();
  // Copies the occupancy figures (flows, buffered bytes) where other threads may read them;
  // the live loop calls it after every batch.
  void PublishGauges() {
    flows_active_.store(flows_.size(), std::memory_order_relaxed);
    reassembly_buffered_.store(budget_.used, std::memory_order_relaxed);
    parser_buffered_.store(parser_held_, std::memory_order_relaxed);
  }

  const DecodeCounters& decode_counters() const { return decode_; }
  const WorkerCounters& counters() const { return counters_; }
  const ParserCounters& parser_counters() const { return parser_counters_; }
  const FlowTable& flows() const { return flows_; }
  const ReassemblyCounters& reassembly_counters() const { return reasm_counters_; }
  const IpFragCounters& ipfrag_counters() const { return frag_.counters(); }
  // As last published (any thread).
  uint64_t flows_active() const { return flows_active_.load(std::memory_order_relaxed); }
  uint64_t reassembly_buffered() const {
    return reassembly_buffered_.load(std::memory_order_relaxed);
  }
  uint64_t parser_buffered() const { return parser_buffered_.load(std::memory_order_relaxed); }
  uint64_t records_emitted() const { return records_.emitted(); }

 private:
  class StreamSink;
  // What the flow's parser is given for bytes of direction `dir`, at `ts_us`; the assembler is
  // bound to the flow.
  ParseContext Context(Flow& flow, Dir dir, int64_t ts_us);
  // Binds the assembler to the flow (its ends, session, channel) for records told at `ts_us`.
  void BindRecords(const Flow& flow, int64_t ts_us);
  void HandleRaw(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us);
  void EmitRaw(Flow& flow, Dir dir, int64_t ts_us, absl::string_view payload, uint8_t tcp_flags,
               uint32_t tcp_seq);
  bool RawWanted(const Flow& flow) const;
  void MaybeBypass(Flow& flow);
  // Live: leaves the rest of a reply body in XDP when the parser only counts through it.
  void MaybeSkip(Flow& flow);
  void RequestBypass(Flow& flow, const BypassRequest& request);
  void HandleTcp(Flow& flow, Dir dir, const PacketView& p, int64_t ts_us);
  void EndFlow(Flow& flow, FlowCounters::Id why);
  void Deliver(Flow& flow, Dir dir, int64_t ts_us, absl::string_view data, uint32_t seq);
  // Accounts what the flow's parser holds now against parser_total_bytes; over it, idle
  // buffers are released, then the parsers of the flows queued longest are given up, and the
  // flow's own only if still over and it holds more than kParserShedBytes.
  void AccountParser(Flow& flow, const ParseContext& ctx);
  // Ends `flow`'s parser for the budget (counted): its complete records told, the rest ignored.
  void GiveUpParser(Flow& flow, const ParseContext& ctx);

  BypassCallback bypass_cb_;
  std::unique_ptr<Redactor> redactor_;  // redact_credentials
  std::string redacted_;                // a raw record's payload, its secrets replaced
  ParserOptions parser_options_;
  uint16_t vchannel_;  // configured (0: none)
  uint16_t channel_;   // of the frames being handled now
  bool raw_export_;
  uint32_t raw_max_bytes_;
  uint32_t raw_max_packets_;
  ReassemblyBudget budget_;
  uint64_t parser_budget_;    // parser_total_bytes
  uint64_t parser_held_ = 0;  // what all flows' parsers hold (Flow::parser_held summed)
  ReassemblyCounters reasm_counters_;
  RecordAssembler records_;
  FlowEnds ends_;  // the flow records_ is bound to
  FlowTable flows_;
  DecodeCounters decode_;
  WorkerCounters counters_;
  ParserCounters parser_counters_;
  bool ip_reassembly_;
  IpReassembler frag_;
  std::string frag_out_;
  std::atomic<uint64_t> flows_active_{0};
  std::atomic<uint64_t> parser_buffered_{0};
  std::atomic<uint64_t> reassembly_buffered_{0};
};

}  // namespace xsensor
