// Offline input: reads pcap and pcapng files through libpcap and hands every frame, with its
// capture timestamp, to a callback. A damaged file tail (bad record header, short read) ends
// the read with a warning after everything before it was delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "packet/packet.h"

namespace xsensor {

struct PcapReadResult {
  uint64_t frames = 0;
  bool truncated = false;  // the file ended in a damaged record
  std::string error;       // libpcap's words when truncated
};

using FrameCallback = std::function<void(LinkType link, const uint8_t* data, size_t caplen,
                                         size_t wire_len, int64_t ts_us)>;

// Errors: the file cannot be opened or its link type is not decoded.
absl::StatusOr<PcapReadResult> ReadPcapFile(const std::string& path, const FrameCallback& cb);

}  // namespace xsensor
