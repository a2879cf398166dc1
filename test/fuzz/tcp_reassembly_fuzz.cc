// Fuzz target for TCP reassembly: segments (fuzz_input.h) of the two directions of one
// connection, with SYN/FIN/RST and the peer's ACKs as the worker gives them, under a small
// budget. Checks what must hold: the delivered bytes of a direction never go back (each
// delivery starts at or after the end of the previous one plus the gaps reported), and once
// both directions are released the budget holds nothing.
#include "fuzz_input.h"
#include "reassembly/tcp_reassembler.h"

namespace {
class CheckingSink : public xsensor::TcpReassembler::Sink {
 public:
  void OnStreamData(absl::string_view data, uint32_t seq) override {
    if (started_ && static_cast<int32_t>(seq - next_) < 0) __builtin_trap();  // went back
    started_ = true;
    next_ = seq + static_cast<uint32_t>(data.size());
  }
  void OnStreamGap(uint64_t bytes) override {
    if (started_) next_ += static_cast<uint32_t>(bytes);
  }

 private:
  bool started_ = false;
  uint32_t next_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xsensor::ReassemblyBudget budget;
  budget.limit = 16 << 10;
  budget.per_stream = 4 << 10;
  xsensor::ReassemblyCounters counters;
  xsensor::TcpReassembler stream[2];
  CheckingSink sink[2];
  const uint32_t isn[2] = {0xfffff000u, 1000};  // one direction wraps around 2^32
  xsensor::fuzz::Reader in(data, size);
  while (!in.empty()) {
    const uint8_t flags = in.Byte();
    const int d = flags & 1;
    const uint32_t seq = isn[d] + in.U16();
    const uint32_t ack = isn[1 - d] + in.U16();
    xsensor::fuzz::Piece payload = in.Take(in.U16() % 2048);
    if (flags & 2) stream[d].OnSyn(seq);
    stream[d].OnSegment(seq, {payload.chars(), payload.size()}, sink[d], budget, counters);
    if (flags & 16) stream[1 - d].OnPeerAck(ack, sink[1 - d], budget, counters);
    if (flags & 4) stream[d].Flush(sink[d], budget, counters);
    if (flags & 8) {
      stream[d].Flush(sink[d], budget, counters);
      stream[1 - d].Flush(sink[1 - d], budget, counters);
    }
  }
  for (auto& s : stream) s.Ignore(budget);
  if (budget.used != 0) __builtin_trap();  // bytes counted that nothing holds
  return 0;
}
