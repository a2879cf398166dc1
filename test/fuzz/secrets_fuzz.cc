// Fuzz target for the raw records' redaction (parsers/secrets.h): the input's first byte picks
// a protocol that exports raw records (every row of the registry with a META_PROTO, a feed's
// HTTP, Zello) and a direction; its chunks (fuzz_input.h) are that direction's packets, with
// sequence numbers that go back now and then (segments sent again). Redacted to nothing, a
// packet never grows.
#include <vector>

#include "fuzz_input.h"
#include "parsers/parser.h"
#include "parsers/secrets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> kProtos = [] {
    std::vector<uint8_t> v = {xsensor::kMetaProtoRss, xsensor::kMetaProtoZello};
    for (const auto& p : xsensor::Parsers()) {
      if (p.meta_proto != xsensor::kMetaProtoNone) v.push_back(p.meta_proto);
    }
    return v;
  }();
  xsensor::fuzz::Reader in(data, size);
  const uint8_t pick = in.Byte();
  const auto dir = pick & 0x80 ? xsensor::Dir::kToClient : xsensor::Dir::kToServer;
  auto scanner = xsensor::MakeSecretScanner(kProtos[(pick & 0x7f) % kProtos.size()], dir);
  if (!scanner) __builtin_trap();
  xsensor::StreamRedaction redaction(std::move(scanner));
  uint32_t seq = 1000;
  std::string out;
  while (!in.empty()) {
    uint16_t header = in.U16();
    if (header & 0x8000) seq -= header & 0xff;  // back over bytes already seen
    xsensor::fuzz::Piece chunk = in.Take(header & 0x7ff);
    out.clear();
    redaction.Apply(
        {chunk.chars(), chunk.size()}, true, seq, [](absl::string_view) { return std::string(); },
        &out);
    if (out.size() > chunk.size()) __builtin_trap();
    seq += static_cast<uint32_t>(chunk.size());
  }
  return 0;
}
