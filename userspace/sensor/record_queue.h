// The record hand-off from a worker to the thread that runs the exporter: records are encoded
// on the worker (into the ring's slots, whose buffers are reused) and sent by the exporter's
// thread, so a worker never waits for the network.
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

}  // namespace xsensor
