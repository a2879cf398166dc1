// TCP reassembly of one direction of one flow: turns segments as they arrive (reordered,
// retransmitted, overlapping, lost) into an in-order byte stream for the flow's parser.
//
// Policy: the first copy of every byte wins (bytes already delivered or already buffered are
// never replaced by a later copy). Out-of-order segments wait in a buffer bounded per stream
// and per worker (ReassemblyBudget); when a bound would be exceeded, or when the stream ends
// (FIN, RST, flow end), the missing bytes are declared lost: the parser is told of the gap and
// the buffered data after it is delivered. A stream picked up mid-flow starts at its first
// segment. Sequence numbers are tracked as 64-bit offsets, so wrap-around is handled. Owned
// by one worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/counters.h"

namespace xsensor {

#define XS_REASSEMBLY_COUNTERS(X)                           \
  X(kSegments, "reasm_segments")                            \
  X(kOutOfOrder, "reasm_out_of_order_segments")             \
  X(kRetransmitted, "reasm_retransmitted_segments")         \
  X(kOverlapBytes, "reasm_overlap_bytes_discarded")         \
  X(kGaps, "reasm_gaps")                                    \
  X(kGapBytes, "reasm_gap_bytes")                           \
  X(kDroppedFlowLimit, "reasm_gaps_forced_by_flow_limit")   \
  X(kDroppedTotalLimit, "reasm_gaps_forced_by_total_limit") \
  X(kIgnoredBytes, "reasm_bytes_not_needed")                \
  X(kGapsAcked, "reasm_gaps_given_up_as_acked")             \
  X(kSkippedBytes, "reasm_bytes_left_in_xdp")
XS_COUNTER_GROUP(ReassemblyCounters, XS_REASSEMBLY_COUNTERS);

// The memory a worker's streams may hold for out-of-order data: each buffered segment counts
// what it really costs (its bytes, its map node and its heap block; see SegmentCost), so that a
// flood of one-byte segments cannot hold ~80 bytes of memory per byte of budget.
struct ReassemblyBudget {
  size_t limit = 64 << 20;        // all streams of the worker
  size_t per_stream = 256 << 10;  // one direction of one flow (at most 4 GiB - 1)
  size_t used = 0;
};

class TcpReassembler {
 public:
  // What the stream delivers to: in-order data and gaps.
  class Sink {
   public:
    virtual ~Sink() = default;
    // `seq` is the (32-bit) sequence number of data[0].
    virtual void OnStreamData(absl::string_view data, uint32_t seq) = 0;
    // `bytes` were lost before the next OnStreamData.
    virtual void OnStreamGap(uint64_t bytes) = 0;
    // `bytes` were skipped on purpose (SkipUntil: left in XDP) before the next OnStreamData.
    virtual void OnStreamSkipped(uint64_t bytes) { OnStreamGap(bytes); }
  };

  TcpReassembler() = default;
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;
  // Exchanges the state of two streams (a flow whose directions were decided again).
  void Swap(TcpReassembler& o) {
    std::swap(started_, o.started_);
    std::swap(ignored_, o.ignored_);
    std::swap(isn_, o.isn_);
    std::swap(next_, o.next_);
    std::swap(buffered_, o.buffered_);
    std::swap(held_, o.held_);
    std::swap(skip_until_, o.skip_until_);
    pending_.swap(o.pending_);
  }

  // A SYN (or SYN-ACK): data starts at seq + 1.
  void OnSyn(uint32_t seq);
  // A SYN with this sequence number belongs to another connection than the one this stream
  // started with (a retransmitted SYN of this one has the same number).
  bool OtherConnection(uint32_t syn_seq) const { return started_ && syn_seq + 1 != isn_; }
  // The sequence number of offset 0 (a started stream): XDP applies OtherConnection's rule
  // with it (xs_bypass.client_isn).
  uint32_t isn() const { return isn_; }
  // One segment's payload (without the SYN's sequence slot).
  void OnSegment(uint32_t seq, absl::string_view data, Sink& sink, ReassemblyBudget& budget,
                 ReassemblyCounters& counters);
  // The other side acknowledged this stream up to `ack`: bytes missing before buffered data it
  // has acknowledged reached the endpoint and were lost by the capture only, so the hole is
  // given up (the parser is told) instead of waited for.
  void OnPeerAck(uint32_t ack, Sink& sink, ReassemblyBudget& budget, ReassemblyCounters& counters);
  // The stream ends (FIN, RST, flow end): whatever is buffered is delivered after its gaps.
  void Flush(Sink& sink, ReassemblyBudget& budget, ReassemblyCounters& counters);
  // The parser needs nothing more of this direction: buffers are freed, later bytes counted.
  void Ignore(ReassemblyBudget& budget);
  // The bytes before `seq` may never come (they are left in XDP): a segment that arrives after
  // a hole inside them skips the hole (OnStreamSkipped) instead of waiting for it. Bytes that
  // do come are delivered as usual.
  void SkipUntil(uint32_t seq);
  // The sequence number of the next byte to deliver (of a started stream).
  uint32_t next_seq() const { return isn_ + static_cast<uint32_t>(next_); }

  size_t buffered() const { return buffered_; }  // payload bytes held
  size_t segments() const { return pending_.size(); }
  // What holding a segment of n bytes costs: a std::map node with its key and a std::string
  // (80 bytes as glibc allocates it), and the string's own block past the small-string size.
  static size_t SegmentCost(size_t n) { return 80 + (n > 15 ? (n + 1 + 8 + 15) / 16 * 16 : 0); }
  bool started() const { return started_; }
  bool ignored() const { return ignored_; }

 private:
  void Deliver(uint64_t offset, absl::string_view data, Sink& sink);
  void DrainContiguous(Sink& sink, ReassemblyBudget& budget);
  // Declares the bytes before the first buffered segment lost and delivers from there.
  void SkipToFirstBuffered(Sink& sink, ReassemblyBudget& budget, ReassemblyCounters& counters);
  uint64_t ToOffset(uint32_t seq) const;
  // Skips what SkipUntil allows of the hole before offset `upto`.
  void SkipLeftInXdp(uint64_t upto, Sink& sink, ReassemblyBudget& budget,
                     ReassemblyCounters& counters);

  bool started_ = false;
  bool ignored_ = false;
  uint32_t isn_ = 0;   // sequence number of offset 0
  uint64_t next_ = 0;  // offset of the next byte to deliver
  // Both bounded by the per-stream budget (at most 4 GiB): 32 bits keep a flow's two streams
  // within the idle flow's size.
  uint32_t buffered_ = 0;
  uint32_t held_ = 0;        // what the budget is charged: SegmentCost of each buffered segment
  uint64_t skip_until_ = 0;  // offset before which holes are skipped (SkipUntil)
  std::map<uint64_t, std::string> pending_;  // offset -> bytes, non-overlapping
};

}  // namespace xsensor
