#include "seeds.h"

#include <atomic>
#include <set>
#include <tuple>

#include "capture/pcap_source.h"
#include "ipfix/ipfix.h"
#include "packet/packet.h"
#include "sensor/worker.h"

namespace xsensor::fuzz {
namespace {

constexpr size_t kMaxSeed = 1 << 20;

void PutU16(std::string* out, size_t v) {
  out->push_back(static_cast<char>(v >> 8 & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

// Calls `f(frame)` for every Ethernet frame of the capture (at most 4095 bytes of each) until
// it returns false.
template <typename F>
void ForEachFrame(const std::string& path, F&& f) {
  auto reader = PcapReader::Open(path);
  if (!reader.ok()) return;
  std::atomic<bool> stop{false};
  (*reader)->Run(
      [&](LinkType link, const uint8_t* data, size_t caplen, size_t, int64_t) {
        if (link != LinkType::kEthernet || stop) return;
        stop = !f(std::string(reinterpret_cast<const char*>(data), std::min<size_t>(caplen, 4095)));
      },
      &stop);
}

bool Decode(const std::string& frame, PacketView* p) {
  const auto* d = reinterpret_cast<const uint8_t*>(frame.data());
  return DecodePacket(LinkType::kEthernet, d, frame.size(), frame.size(), p) == DecodeCounters::kOk;
}

std::string Frames(const std::string& path) {
  std::string out(1, '\x07');  // every option on
  ForEachFrame(path, [&](const std::string& frame) {
    PutU16(&out, frame.size());
    out += frame;
    return out.size() < kMaxSeed;
  });
  return out.size() > 1 ? out : "";
}

// The lower port is taken as the server's.
std::string Chunks(const std::string& path) {
  std::string out;
  ForEachFrame(path, [&](const std::string& frame) {
    PacketView p;
    if (!Decode(frame, &p) || p.payload.empty()) return true;
    PutU16(&out, (p.sport < p.dport ? 0x8000 : 0) | std::min<size_t>(p.payload.size(), 0x7fff));
    out.append(p.payload.data(), std::min<size_t>(p.payload.size(), 0x7fff));
    return out.size() < kMaxSeed;
  });
  return out;
}

// The capture's first TCP connection.
std::string Segments(const std::string& path) {
  std::string out;
  std::tuple<uint16_t, uint16_t> ports{0, 0};
  uint32_t isn[2] = {};
  bool seen[2] = {};
  ForEachFrame(path, [&](const std::string& frame) {
    PacketView p;
    if (!Decode(frame, &p) || p.l4_proto != 6) return true;
    if (std::get<0>(ports) == 0) ports = {std::min(p.sport, p.dport), std::max(p.sport, p.dport)};
    if (ports !=
        std::tuple<uint16_t, uint16_t>{std::min(p.sport, p.dport), std::max(p.sport, p.dport)}) {
      return true;
    }
    const int d = p.sport < p.dport ? 1 : 0;
    if (!seen[d]) isn[d] = p.tcp_seq - 2;
    seen[d] = true;
    uint8_t flags =
        static_cast<uint8_t>(d | (p.tcp_flags & kSyn ? 2 : 0) | (p.tcp_flags & kFin ? 4 : 0) |
                             (p.tcp_flags & kRst ? 8 : 0) | (p.tcp_flags & kAck ? 16 : 0));
    out.push_back(static_cast<char>(flags));
    PutU16(&out, (p.tcp_seq - isn[d]) & 0xffff);
    PutU16(&out, (p.tcp_ack - isn[1 - d]) & 0xffff);
    PutU16(&out, std::min<size_t>(p.payload.size(), 2047));
    out.append(p.payload.data(), std::min<size_t>(p.payload.size(), 2047));
    return out.size() < kMaxSeed;
  });
  return out;
}

// The records the sensor makes of the capture (replies and raw export on), as a stream of
// IPFIX messages: each record's template in the message before its first record.
class IpfixSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message& m) override {
    const TemplateSpec* t = TemplateFor(m);
    if (!t || out.size() > kMaxSeed) return;
    std::string record;
    EncodeDataRecord(*t, m, &record);
    MessageBuilder b(65535);
    if (sent_.insert(t->template_id).second) b.AddTemplate(*t);
    b.AddRecord(t->template_id, record);
    absl::string_view msg = b.Finish(1700000000, sequence_++, 1);
    out.append(msg.data(), msg.size());
  }
  std::string out;

 private:
  std::set<uint16_t> sent_;
  uint32_t sequence_ = 0;
};

std::string Ipfix(const std::string& path) {
  Config config = DefaultConfig();
  config.http_parse_reply = config.ssl_parse_reply = config.raw_export = true;
  IpfixSink sink;
  Worker worker(config, 0, &sink);
  int64_t ts = 1700000000000000;
  ForEachFrame(path, [&](const std::string& frame) {
    const auto* d = reinterpret_cast<const uint8_t*>(frame.data());
    worker.HandleFrame(LinkType::kEthernet, d, frame.size(), frame.size(), ts += 1000);
    return sink.out.size() < kMaxSeed;
  });
  worker.Finish();
  return sink.out;
}

}  // namespace

std::vector<std::string> SeedsFrom(const std::string& mode, const std::string& pcap_path) {
  if (mode == "text") {
    return {
        std::string(1, '\0') +
            "# collectors\nipfix_tcp_collectors=127.0.0.1:4739,[::1]:4740\n"
            "http_parse_reply = 1\nflow_max=1000\nsteer_tcp_ports=parsers,8081\n",
        std::string(1, '\1') + "10.0.0.0/8 alice\n192.0.2.7 bob # one host\n2001:db8::/32 carol\n",
        std::string(1, '\2') + "GET /metrics HTTP/1.1\r\nHost: sensor\r\n\r\n"};
  }
  std::string s = mode == "frames"     ? Frames(pcap_path)
                  : mode == "chunks"   ? Chunks(pcap_path)
                  : mode == "segments" ? Segments(pcap_path)
                  : mode == "ipfix"    ? Ipfix(pcap_path)
                                       : "";
  if (s.empty()) return {};
  return {s};
}

}  // namespace xsensor::fuzz
