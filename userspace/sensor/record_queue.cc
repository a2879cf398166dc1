#include "sensor/record_queue.h"

#include <thread>

#include "export/exporter.h"
#include "ipfix/ipfix.h"

namespace xsensor {

void QueueSink::Emit(const google::protobuf::Message& record) {
  const TemplateSpec* t = TemplateFor(record);
  if (!t) return;
  EncodedRecord* slot = ring_->Claim();
  while (!slot && wait_) {
    std::this_thread::sleep_for(std::chrono::microseconds(20));
    slot = ring_->Claim();
  }
  if (!slot) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot->spec = t;
  slot->session_id = SessionIdOf(record);
  slot->bytes.clear();
  EncodeDataRecord(*t, record, &slot->bytes);
  ring_->Publish();
}

}  // namespace xsensor
