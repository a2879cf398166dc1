#include "reassembly/tcp_reassembler.h"

#include <algorithm>

namespace xsensor {

TcpReassembler::~TcpReassembler() = default;

void TcpReassembler::OnSyn(uint32_t seq) {
  if (started_) return;
  started_ = true;
  isn_ = seq + 1;
  next_ = 0;
}

uint64_t TcpReassembler::ToOffset(uint32_t seq) const {
  // The offset nearest to next_ with these low 32 bits (segments are within 2 GiB of it).
  int32_t delta = static_cast<int32_t>(seq - (isn_ + static_cast<uint32_t>(next_)));
  int64_t off = static_cast<int64_t>(next_) + delta;
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

void TcpReassembler::Deliver(uint64_t offset, absl::string_view data, Sink& sink) {
  next_ = offset + data.size();
  sink.OnStreamData(data, isn_ + static_cast<uint32_t>(offset));
}

void TcpReassembler::DrainContiguous(Sink& sink, ReassemblyBudget& budget) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first > next_) break;
    std::string bytes = std::move(it->second);
    uint64_t off = it->first;
    pending_.erase(it);
    buffered_ -= static_cast<uint32_t>(bytes.size());
    held_ -= static_cast<uint32_t>(SegmentCost(bytes.size()));
    budget.used -= SegmentCost(bytes.size());
    uint64_t end = off + bytes.size();
    if (end <= next_) continue;  // fully delivered already (cannot happen: kept disjoint)
    size_t skip = static_cast<size_t>(next_ - off);
    Deliver(next_, absl::string_view(bytes).substr(skip), sink);
  }
}

void TcpReassembler::SkipToFirstBuffered(Sink& sink, ReassemblyBudget& budget,
                                         ReassemblyCounters& counters) {
  if (pending_.empty()) return;
  uint64_t first = pending_.begin()->first;
  if (first > next_) {
    counters.Inc(ReassemblyCounters::kGaps);
    counters.Inc(ReassemblyCounters::kGapBytes, first - next_);
    sink.OnStreamGap(first - next_);
    next_ = first;
  }
  DrainContiguous(sink, budget);
}

void TcpReassembler::SkipUntil(uint32_t seq) {
  if (!started_ || ignored_) return;
  skip_until_ = std::max(skip_until_, ToOffset(seq));
}

void TcpReassembler::SkipLeftInXdp(uint64_t upto, Sink& sink, ReassemblyBudget& budget,
                                   ReassemblyCounters& counters) {
  // Holes up to the limit are skipped; segments buffered inside it are delivered between them.
  // Each round skips a hole or delivers a buffered segment.
  while (!ignored_ && next_ < std::min(upto, skip_until_)) {
    uint64_t to = std::min(upto, skip_until_);
    if (!pending_.empty()) to = std::min(to, pending_.begin()->first);
    if (to > next_) {
      counters.Inc(ReassemblyCounters::kSkippedBytes, to - next_);
      sink.OnStreamSkipped(to - next_);
      next_ = to;
    }
    DrainContiguous(sink, budget);
  }
}

void TcpReassembler::OnSegment(uint32_t seq, absl::string_view data, Sink& sink,
                               ReassemblyBudget& budget, ReassemblyCounters& counters) {
  if (data.empty()) return;
  counters.Inc(ReassemblyCounters::kSegments);
  if (ignored_) {
    counters.Inc(ReassemblyCounters::kIgnoredBytes, data.size());
    return;
  }
  if (!started_) {  // picked up mid-stream
    started_ = true;
    isn_ = seq;
    next_ = 0;
  }
  uint64_t off = ToOffset(seq);
  uint64_t end = off + data.size();
  if (off > next_ && skip_until_ > next_) SkipLeftInXdp(off, sink, budget, counters);
  if (end <= next_) {
    counters.Inc(ReassemblyCounters::kRetransmitted);
    return;
  }
  if (off < next_) {  // the delivered part wins
    counters.Inc(ReassemblyCounters::kOverlapBytes, next_ - off);
    data.remove_prefix(static_cast<size_t>(next_ - off));
    off = next_;
  }
  if (off == next_) {
    // In order. Buffered segments it overlaps keep their bytes (they came first).
    auto it = pending_.begin();
    if (it != pending_.end() && it->first < end) {
      size_t keep = static_cast<size_t>(it->first - off);
      counters.Inc(ReassemblyCounters::kOverlapBytes, data.size() - keep);
      data = data.substr(0, keep);
    }
    Deliver(off, data, sink);
    DrainContiguous(sink, budget);
    return;
  }
  // Out of order: buffer the parts of [off, end) that no buffered segment holds yet.
  counters.Inc(ReassemblyCounters::kOutOfOrder);
  uint64_t pos = off;
  auto it = pending_.upper_bound(pos);  // the first segment starting after pos
  if (it != pending_.begin()) {
    auto prev = std::prev(it);
    pos = std::max(pos, std::min(end, prev->first + prev->second.size()));
  }
  while (pos < end) {
    uint64_t hole_end = (it != pending_.end() && it->first < end) ? it->first : end;
    if (hole_end > pos) {
      size_t n = static_cast<size_t>(hole_end - pos);
      const size_t cost = SegmentCost(n);
      bool flow_full = held_ + cost > budget.per_stream;
      if (flow_full || budget.used + cost > budget.limit) {
        // No room: the bytes missing before the buffer are given up, then this segment's
        // remaining bytes are taken again from the new position.
        counters.Inc(flow_full ? ReassemblyCounters::kDroppedFlowLimit
                               : ReassemblyCounters::kDroppedTotalLimit);
        absl::string_view rest = data.substr(static_cast<size_t>(pos - off));
        if (pending_.empty()) {
          counters.Inc(ReassemblyCounters::kGaps);
          counters.Inc(ReassemblyCounters::kGapBytes, pos - next_);
          sink.OnStreamGap(pos - next_);
          Deliver(pos, rest, sink);
        } else {
          SkipToFirstBuffered(sink, budget, counters);
          OnSegment(isn_ + static_cast<uint32_t>(pos), rest, sink, budget, counters);
        }
        return;
      }
      it = pending_.emplace_hint(it, pos, std::string(data.substr(pos - off, n)));
      ++it;
      buffered_ += static_cast<uint32_t>(n);
      held_ += static_cast<uint32_t>(cost);
      budget.used += cost;
      pos = hole_end;
    }
    if (it == pending_.end() || it->first >= end) break;
    uint64_t seg_end = it->first + it->second.size();
    counters.Inc(ReassemblyCounters::kOverlapBytes, std::min(seg_end, end) - it->first);
    pos = seg_end;
    ++it;
  }
}

void TcpReassembler::OnPeerAck(uint32_t ack, Sink& sink, ReassemblyBudget& budget,
                               ReassemblyCounters& counters) {
  if (!started_ || ignored_ || pending_.empty()) return;
  if (ToOffset(ack) > pending_.begin()->first) {
    counters.Inc(ReassemblyCounters::kGapsAcked);
    SkipToFirstBuffered(sink, budget, counters);
  }
}

void TcpReassembler::Flush(Sink& sink, ReassemblyBudget& budget, ReassemblyCounters& counters) {
  while (!pending_.empty()) SkipToFirstBuffered(sink, budget, counters);
}

void TcpReassembler::Ignore(ReassemblyBudget& budget) {
  ignored_ = true;
  budget.used -= held_;
  buffered_ = held_ = 0;
  pending_.clear();
}

}  // namespace xsensor
