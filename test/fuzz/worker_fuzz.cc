// Fuzz target for the packet path: frames (fuzz_input.h) fed to one Worker, so packet decode,
// IP and TCP reassembly, the choice of parsers and every parser see multi-packet,
// two-direction input. The options byte turns on reply parsing (bit 0), raw export (bit 1)
// and IP reassembly (bit 2).
#include <array>

#include "fuzz_input.h"
#include "sensor/worker.h"

namespace {
class CountingSink : public xsensor::RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override { n += m.ByteSizeLong() > 0; }
  size_t n = 0;
};

xsensor::Config ConfigFor(uint8_t options) {
  xsensor::Config c = xsensor::DefaultConfig();
  c.http_max_header_bytes = 512;  // reach the limits quickly
  c.http_parse_reply = c.ssl_parse_reply = options & 1;
  c.raw_export = options & 2;
  c.raw_max_packets = 16;
  c.ip_reassembly = options & 4;
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* configs = [] {
    auto* c = new std::array<xsensor::Config, 8>;
    for (uint8_t i = 0; i < 8; ++i) (*c)[i] = ConfigFor(i);
    return c;
  }();
  xsensor::fuzz::Reader in(data, size);
  CountingSink sink;
  xsensor::Worker worker((*configs)[in.Byte() & 7], 0, &sink);
  int64_t ts = 1700000000000000;
  while (!in.empty()) {
    xsensor::fuzz::Piece frame = in.Take(in.U16() % 4096);
    worker.HandleFrame(xsensor::LinkType::kEthernet, frame.data(), frame.size(), frame.size(), ts);
    ts += 1000;
  }
  worker.Finish();
  return 0;
}
