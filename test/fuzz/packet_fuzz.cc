// Fuzz target for packet decode and IP reassembly: frames (fuzz_input.h) decoded as the
// options byte's link type; fragments go through the reassembler, and a datagram it completes
// is decoded again, as the worker does. Bounded reassembly (few datagrams, few bytes) so the
// eviction paths run too.
#include "fuzz_input.h"
#include "packet/ip_reassembly.h"
#include "packet/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using xsensor::LinkType;
  static constexpr LinkType kLinks[] = {LinkType::kEthernet, LinkType::kRaw,      LinkType::kNull,
                                        LinkType::kLoop,     LinkType::kLinuxSll, LinkType::kIpv4,
                                        LinkType::kIpv6,     LinkType::kLinuxSll2};
  xsensor::fuzz::Reader in(data, size);
  const LinkType link = kLinks[in.Byte() % 8];
  xsensor::IpReassembler::Options o;
  o.max_datagrams = 8;
  o.max_bytes = 64 << 10;
  o.timeout_us = 50'000;
  xsensor::IpReassembler frag(o);
  std::string whole;
  int64_t ts = 1700000000000000;
  while (!in.empty()) {
    xsensor::fuzz::Piece frame = in.Take(in.U16() % 4096);
    xsensor::PacketView p;
    if (xsensor::DecodePacket(link, frame.data(), frame.size(), frame.size(), &p) ==
            xsensor::DecodeCounters::kFragment &&
        frag.Add(frame.data(), frame.size(), frame.size(), p, ts, &whole)) {
      xsensor::fuzz::Piece datagram(reinterpret_cast<const uint8_t*>(whole.data()), whole.size());
      xsensor::PacketView q;
      (void)xsensor::DecodePacket(link, datagram.data(), datagram.size(), datagram.size(), &q);
    }
    ts += 10'000;
    frag.Expire(ts);
  }
  return 0;
}
