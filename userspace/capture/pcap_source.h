// Offline input: reads pcap and pcapng files and hands every frame, with its capture
// timestamp, to a callback. A damaged file tail (bad record header, short read) ends
// the read with a warning after everything before it was delivered.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "packet/packet.h"

typedef struct pcap pcap_t;

namespace xsensor {

struct PcapReadResult {
  uint64_t frames = 0;
  bool truncated = false;  // the file ended in a damaged record
  std::string error;       // libpcap's words when truncated
};

using FrameCallback = std::function<void(LinkType link, const uint8_t* data, size_t caplen,
                                         size_t wire_len, int64_t ts_us)>;

// An open capture. A classic pcap file that is a regular file is mapped into memory and its
// records parsed in place: frames then point into the mapping and stay valid while the reader
// lives (`frames_persist`), so another thread may read them after the callback returned. Other
// inputs (pcapng, pipes) are read through libpcap, whose frame is valid during the callback only.
class PcapReader {
 public:
  // Errors: the file cannot be opened or its link type is not decoded.
  static absl::StatusOr<std::unique_ptr<PcapReader>> Open(const std::string& path);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // Delivers every frame in file order; returns at the end of the file, at a damaged record
  // (result.truncated, after everything before it) or once *stop is set.
  PcapReadResult Run(const FrameCallback& cb, const std::atomic<bool>* stop = nullptr);
  bool frames_persist() const { return map_ != nullptr; }
  // Mapped frames before `p` will not be read again: their pages leave the resident set (they
  // stay in the page cache). Without it a mapped file counts whole in the process's RSS.
  void ReleaseBefore(const uint8_t* p);
  // How far the reading is, in bytes of the file, once the frame at `p` (the callback's data)
  // is read; and the file's size (0 when it has none: a pipe). For progress reports.
  uint64_t BytesRead(const uint8_t* p) const;
  uint64_t FileBytes() const { return file_bytes_; }

 private:
  PcapReader() = default;
  PcapReadResult RunMapped(const FrameCallback& cb, const std::atomic<bool>* stop);

  std::string path_;
  LinkType link_ = LinkType::kEthernet;
  pcap_t* pcap_ = nullptr;  // libpcap's reader (not mapped)
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  size_t released_ = 0;  // bytes at the start of the mapping given back
  uint64_t file_bytes_ = 0;
  bool swapped_ = false, nanoseconds_ = false;
  uint32_t snapshot_ = 0;
};

// Open + Run. Errors: the file cannot be opened or its link type is not decoded.
absl::StatusOr<PcapReadResult> ReadPcapFile(const std::string& path, const FrameCallback& cb);

}  // namespace xsensor
