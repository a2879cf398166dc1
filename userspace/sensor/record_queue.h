// The record hand-off from a worker to the thread that runs the exporter: records are encoded
// on the worker (into the ring's slots, whose buffers are reused) and sent by the exporter's
// thread, so a worker never waits for the network. A slot keeps a buffer of up to
// kRecordSlotKeptBytes between records: a ring of N slots holds at most N times that when idle,
// whatever size the largest records had (a raw record, a clickstream record with long headers).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/spsc_ring.h"
#include "schema/record_sink.h"
#include "schema/schema.h"

namespace xsensor {

struct EncodedRecord {
  const TemplateSpec* spec = nullptr;
  std::string bytes;
  uint64_t session_id = 0;
};

// The worker side. Live, a full ring drops the record and counts it (the packet path never
// waits); offline, `wait_when_full` makes the worker wait for the exporter's thread instead.
class QueueSink : public RecordSink {
 public:
  explicit QueueSink(SpscRing<EncodedRecord>* ring, bool wait_when_full = false)
      : ring_(ring), wait_(wait_when_full) {}
  void Emit(const google::protobuf::Message& record) override;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  SpscRing<EncodedRecord>* ring_;
  bool wait_;
  std::atomic<uint64_t> dropped_{0};
};

// Bytes of buffer a slot keeps once its record is sent (larger ones are freed).
inline constexpr size_t kRecordSlotKeptBytes = 2048;

// The exporter's side: emit(const EncodedRecord&) for every record waiting, in order; returns
// how many.
template <typename Emit>
size_t DrainRecordRing(SpscRing<EncodedRecord>* ring, Emit&& emit) {
  size_t moved = 0;
  while (EncodedRecord* r = ring->Peek()) {
    emit(*r);
    if (r->bytes.capacity() > kRecordSlotKeptBytes) std::string().swap(r->bytes);
    ring->Release();
    ++moved;
  }
  return moved;
}

}  // namespace xsensor
