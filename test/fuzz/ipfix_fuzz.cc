// Fuzz target for the IPFIX decoder the receiver runs on what collectors are sent: the input
// is a stream of messages (as on TCP), each decoded in its own allocation by one decoder, so
// templates of one message serve the next; a length under 16 ends the stream, as the
// receiver closes such a connection.
#include "fuzz_input.h"
#include "ipfix/ipfix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t fields = 0;
  xsensor::IpfixDecoder decoder(
      [&](xsensor::DecodedRecord& r) { fields += r.raw.size() + (r.message != nullptr); });
  absl::string_view rest(reinterpret_cast<const char*>(data), size);
  while (rest.size() >= 4) {
    size_t len = xsensor::IpfixDecoder::PeekMessageLength(rest);
    if (len < 16) break;
    if (len > rest.size()) len = rest.size();  // a cut last message
    xsensor::fuzz::Piece msg(reinterpret_cast<const uint8_t*>(rest.data()), len);
    (void)decoder.DecodeMessage({msg.chars(), msg.size()});
    rest.remove_prefix(len);
  }
  if (decoder.templates() > xsensor::IpfixDecoder::kMaxTemplates) __builtin_trap();
  return 0;
}
