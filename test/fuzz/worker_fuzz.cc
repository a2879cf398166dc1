// Fuzz target for the packet path: the input is a sequence of frames (2-byte big-endian length,
// then the frame) fed to one Worker, so flows, TCP tracking and the HTTP parser see multi-packet,
// two-direction input with every frame in its own allocation (out-of-bounds reads show).
// Built with -fsanitize=fuzzer under clang, or with standalone_main.cc under any compiler.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "sensor/worker.h"

namespace {
class CountingSink : public xsensor::RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override { n += m.ByteSizeLong() > 0; }
  size_t n = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xsensor::Config config = [] {
    xsensor::Config c = xsensor::DefaultConfig();
    c.http_max_header_bytes = 512;  // reach the limits quickly
    return c;
  }();
  CountingSink sink;
  xsensor::Worker worker(config, 0, &sink);
  int64_t ts = 1700000000000000;
  while (size >= 3) {
    size_t len = (size_t{data[0]} << 8 | data[1]) % 4096;
    data += 2;
    size -= 2;
    if (len > size) len = size;
    auto frame = std::make_unique<uint8_t[]>(len ? len : 1);
    std::memcpy(frame.get(), data, len);
    worker.HandleFrame(xsensor::LinkType::kEthernet, frame.get(), len, len, ts);
    ts += 1000;
    data += len;
    size -= len;
  }
  worker.Finish();
  return 0;
}
