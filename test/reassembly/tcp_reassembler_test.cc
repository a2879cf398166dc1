#include "reassembly/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace xsensor {
namespace {

// Records what the stream delivers: data as it comes, gaps as "[gap N]".
class Capture : public TcpReassembler::Sink {
 public:
  void OnStreamData(absl::string_view data, uint32_t seq) override {
    stream.append(data.data(), data.size());
    seqs.push_back(seq);
  }
  void OnStreamGap(uint64_t bytes) override { stream += "[gap " + std::to_string(bytes) + "]"; }
  void OnStreamSkipped(uint64_t bytes) override {
    stream += "[skipped " + std::to_string(bytes) + "]";
  }
  std::string stream;
  std::vector<uint32_t> seqs;
};

class TcpReassemblerTest : public ::testing::Test {
 protected:
  void Seg(uint32_t rel, absl::string_view data) {
    r_.OnSegment(isn_ + rel, data, out_, budget_, counters_);
  }
  uint64_t C(ReassemblyCounters::Id id) const { return counters_.Get(id); }

  uint32_t isn_ = 1000;
  TcpReassembler r_;
  Capture out_;
  ReassemblyBudget budget_;
  ReassemblyCounters counters_;
};

TEST_F(TcpReassemblerTest, InOrderAfterSyn) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "hello ");
  Seg(6, "world");
  EXPECT_EQ(out_.stream, "hello world");
  EXPECT_EQ(out_.seqs, (std::vector<uint32_t>{1000, 1006}));
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, ReorderingIsUndone) {
  r_.OnSyn(isn_ - 1);
  Seg(6, "world");
  Seg(11, "!");
  EXPECT_EQ(out_.stream, "");
  EXPECT_EQ(r_.buffered(), 6u);
  EXPECT_EQ(r_.segments(), 2u);
  EXPECT_EQ(budget_.used, TcpReassembler::SegmentCost(5) + TcpReassembler::SegmentCost(1));
  Seg(0, "hello ");
  EXPECT_EQ(out_.stream, "hello world!");
  EXPECT_EQ(budget_.used, 0u);
  EXPECT_EQ(C(ReassemblyCounters::kOutOfOrder), 2u);
}

TEST_F(TcpReassemblerTest, RetransmissionsAndOverlapsKeepTheFirstCopy) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "abcd");
  Seg(0, "XXXX");  // full retransmission
  Seg(2, "YYef");  // overlaps delivered bytes: "YY" discarded, "ef" new
  EXPECT_EQ(out_.stream, "abcdef");
  Seg(10, "klmn");     // buffered first
  Seg(8, "ijZZZZop");  // "ij" new, "ZZZZ" overlaps the buffered "klmn" (first wins), "op" new
  Seg(6, "gh");
  EXPECT_EQ(out_.stream, "abcdefghijklmnop");
  EXPECT_EQ(C(ReassemblyCounters::kRetransmitted), 1u);
  EXPECT_EQ(C(ReassemblyCounters::kOverlapBytes), 2u + 4u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, InOrderSegmentDoesNotOverwriteBufferedBytes) {
  r_.OnSyn(isn_ - 1);
  Seg(4, "EFGH");
  Seg(0, "abcdXXXXij");  // covers the buffered segment: its first copy wins
  EXPECT_EQ(out_.stream, "abcdEFGH");
  Seg(8, "ij");
  EXPECT_EQ(out_.stream, "abcdEFGHij");
}

TEST_F(TcpReassemblerTest, GapsAreGivenUpAtFin) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "ab");
  Seg(5, "fg");  // "cde" never arrives
  r_.Flush(out_, budget_, counters_);
  EXPECT_EQ(out_.stream, "ab[gap 3]fg");
  EXPECT_EQ(C(ReassemblyCounters::kGaps), 1u);
  EXPECT_EQ(C(ReassemblyCounters::kGapBytes), 3u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, HoleTheReceiverAcknowledgedIsGivenUp) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "abc");
  Seg(10, "klm");                                    // "defghij" lost by the capture
  r_.OnPeerAck(isn_ + 5, out_, budget_, counters_);  // acked up to before the buffer: wait
  EXPECT_EQ(out_.stream, "abc");
  r_.OnPeerAck(isn_ + 13, out_, budget_, counters_);  // acked past it: the endpoint had it
  EXPECT_EQ(out_.stream, "abc[gap 7]klm");
  EXPECT_EQ(C(ReassemblyCounters::kGapsAcked), 1u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, MidStreamPickupStartsAtFirstSegment) {
  Seg(500, "middle");
  Seg(506, " end");
  EXPECT_EQ(out_.stream, "middle end");
  EXPECT_EQ(out_.seqs.front(), isn_ + 500);
}

TEST_F(TcpReassemblerTest, SequenceWrapAround) {
  isn_ = 0xfffffffa;
  r_.OnSyn(isn_ - 1);
  Seg(0, "012345");  // crosses 2^32
  Seg(10, "ab");
  Seg(6, "6789");
  EXPECT_EQ(out_.stream, "0123456789ab");
  EXPECT_EQ(out_.seqs.back(), 4u);  // (0xfffffffa + 10) mod 2^32
}

TEST_F(TcpReassemblerTest, PerStreamLimitGivesUpTheHole) {
  budget_.per_stream = 2 * TcpReassembler::SegmentCost(6) - 1;
  r_.OnSyn(isn_ - 1);
  Seg(10, "abcdef");  // buffered, hole [0, 10)
  Seg(16, "ghijkl");  // a second segment would pass the limit: the hole is given up
  EXPECT_EQ(out_.stream, "[gap 10]abcdefghijkl");
  EXPECT_EQ(C(ReassemblyCounters::kDroppedFlowLimit), 1u);
  EXPECT_EQ(budget_.used, 0u);
  Seg(0, "late");  // the lost bytes arriving now are old news
  EXPECT_EQ(out_.stream, "[gap 10]abcdefghijkl");
  EXPECT_EQ(C(ReassemblyCounters::kRetransmitted), 1u);
}

TEST_F(TcpReassemblerTest, TotalBudgetIsSharedAndEnforced) {
  budget_.limit = 2 * TcpReassembler::SegmentCost(6) - 1;
  TcpReassembler other;
  Capture other_out;
  r_.OnSyn(isn_ - 1);
  other.OnSyn(99);
  Seg(5, "123456");                                                   // one segment held
  other.OnSegment(100 + 5, "abcdef", other_out, budget_, counters_);  // a second: gives up
  EXPECT_EQ(other_out.stream, "[gap 5]abcdef");
  EXPECT_EQ(C(ReassemblyCounters::kDroppedTotalLimit), 1u);
  EXPECT_EQ(budget_.used, TcpReassembler::SegmentCost(6));
  Seg(0, "hello");
  EXPECT_EQ(out_.stream, "hello123456");
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, TinySegmentsAreChargedWhatTheyCost) {
  // 100k one-byte segments, each apart from the next, behind a hole: 100 KB of payload, but
  // ~8 MB of memory as held. A 1 MiB budget holds what 1 MiB of memory holds.
  budget_.limit = budget_.per_stream = 1 << 20;
  r_.OnSyn(isn_ - 1);
  size_t most = 0;
  for (uint32_t i = 1; i <= 100000; ++i) {
    Seg(2 * i, "x");
    most = std::max(most, r_.segments());
    ASSERT_LE(budget_.used, budget_.limit);
  }
  EXPECT_LE(most, (1u << 20) / TcpReassembler::SegmentCost(1));
  EXPECT_GT(most, (1u << 20) / TcpReassembler::SegmentCost(1) - 2);
  EXPECT_GT(C(ReassemblyCounters::kDroppedFlowLimit), 0u);
  r_.Ignore(budget_);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, IgnoredStreamFreesAndCountsBytes) {
  r_.OnSyn(isn_ - 1);
  Seg(4, "later");
  EXPECT_EQ(budget_.used, TcpReassembler::SegmentCost(5));
  r_.Ignore(budget_);
  EXPECT_EQ(budget_.used, 0u);
  Seg(0, "abcd");
  EXPECT_EQ(out_.stream, "");
  EXPECT_EQ(C(ReassemblyCounters::kIgnoredBytes), 4u);
}

TEST_F(TcpReassemblerTest, BytesLeftInXdpAreSkippedNotWaitedFor) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "head|");
  r_.SkipUntil(isn_ + 5 + 100);  // a body of 100 bytes follows
  EXPECT_EQ(r_.next_seq(), isn_ + 5);
  // Part of the body was in flight before XDP had the entry: delivered as it comes.
  Seg(5, "0123456789");
  // The rest is bypassed; the next reply comes at once.
  Seg(105, "next|");
  EXPECT_EQ(out_.stream, "head|0123456789[skipped 90]next|");
  EXPECT_EQ(C(ReassemblyCounters::kSkippedBytes), 90u);
  EXPECT_EQ(C(ReassemblyCounters::kGaps), 0u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpReassemblerTest, SkippingStopsAtItsLimitAndAroundBufferedSegments) {
  r_.OnSyn(isn_ - 1);
  Seg(0, "h");
  r_.SkipUntil(isn_ + 1 + 50);
  Seg(20, "mid");   // a body segment in flight: the bytes before it skipped, it delivered
  Seg(60, "late");  // past the limit: the bytes 51..59 are a real hole
  EXPECT_EQ(out_.stream, "h[skipped 19]mid[skipped 28]");
  EXPECT_EQ(r_.segments(), 1u) << "the segment after the hole waits";
  Seg(51, "123456789");
  EXPECT_EQ(out_.stream, "h[skipped 19]mid[skipped 28]123456789late");
  // Sequence numbers wrap.
  TcpReassembler w;
  Capture out;
  w.OnSyn(0xffffffe0u);
  w.OnSegment(0xffffffe1u, "a", out, budget_, counters_);
  w.SkipUntil(0x00000010u);
  w.OnSegment(0x00000010u, "b", out, budget_, counters_);
  EXPECT_EQ(out.stream, "a[skipped 46]b");
}

}  // namespace
}  // namespace xsensor
