#include "capture/pcap_source.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/unique_fd.h"

namespace xsensor {
namespace {

// Classic pcap files (most captures, and the large ones) are mapped and their records parsed
// in place: libpcap copies every record through stdio, which costs more than all the work on a
// small frame, and a mapping lets worker threads read the frames without a copy. libpcap opens
// the file first (header checks, link type mapping, snapshot length); pcapng files and pipes
// are read by libpcap itself.
constexpr uint32_t kMaxCaplen = 262144;    // libpcap's limit for the link types decoded here
constexpr size_t kReleaseStep = 16 << 20;  // ReleaseBefore gives pages back by this much

uint32_t Load32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PcapReader>> PcapReader::Open(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<PcapReader> r(new PcapReader);
  r->path_ = path;
  r->pcap_ =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (!r->pcap_) {
    // libpcap's message may start with the path already: said once.
    absl::string_view why = err;
    absl::ConsumePrefix(&why, path + ": ");
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  }
  int dlt = pcap_datalink(r->pcap_);
  if (!IsSupportedLinkType(dlt)) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": link type ", dlt, " (", name ? name : "?",
                     ") is not supported (Ethernet, Linux cooked, raw IP, BSD loopback are)"));
  }
  r->link_ = NormalizeLinkType(dlt);
  // Only a regular file is opened twice: a pipe or a FIFO stays with libpcap, which has already
  // consumed its header (looked at before any open: opening a FIFO again waits for a writer
  // that has gone, and `tcpdump -w - > fifo` would hang).
  struct stat st;
  uint32_t magic = 0;
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return r;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return r;
  r->file_bytes_ = static_cast<uint64_t>(st.st_size);
  if (st.st_size < 24 || ::pread(fd.get(), &magic, 4, 0) != 4) return r;
  switch (magic) {
    case 0xa1b2c3d4:
      break;
    case 0xd4c3b2a1:
      r->swapped_ = true;
      break;
    case 0xa1b23c4d:
      r->nanoseconds_ = true;
      break;
    case 0x4d3cb2a1:
      r->swapped_ = r->nanoseconds_ = true;
      break;
    default:
      return r;  // pcapng
  }
  void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (map == MAP_FAILED) return r;  // libpcap reads it
  madvise(map, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
  r->map_ = static_cast<const uint8_t*>(map);
  r->map_size_ = static_cast<size_t>(st.st_size);
  auto snapshot = static_cast<uint32_t>(pcap_snapshot(r->pcap_));
  r->snapshot_ = snapshot ? snapshot : kMaxCaplen;
  pcap_close(r->pcap_);
  r->pcap_ = nullptr;
  return r;
}

PcapReader::~PcapReader() {
  if (pcap_) pcap_close(pcap_);
  if (map_) munmap(const_cast<uint8_t*>(map_), map_size_);
}

uint64_t PcapReader::BytesRead(const uint8_t* p) const {
  if (map_) return p >= map_ && p <= map_ + map_size_ ? static_cast<uint64_t>(p - map_) : 0;
  if (!pcap_) return 0;
  FILE* f = pcap_file(pcap_);  // NULL for pcapng read through libpcap's own buffer
  long at = f ? ftell(f) : -1;
  return at > 0 ? static_cast<uint64_t>(at) : 0;
}

void PcapReader::ReleaseBefore(const uint8_t* p) {
  if (!map_ || p < map_ || p > map_ + map_size_) return;
  size_t upto = static_cast<size_t>(p - map_) & ~(size_t{4095});
  if (upto < released_ + kReleaseStep) return;
  madvise(const_cast<uint8_t*>(map_) + released_, upto - released_, MADV_DONTNEED);
  released_ = upto;
}

// The records after the 24-byte file header, read as libpcap reads them: a caplen over the
// limit is a damaged record (the read ends); one over the file's snapshot length is cut to it.
PcapReadResult PcapReader::RunMapped(const FrameCallback& cb, const std::atomic<bool>* stop) {
  PcapReadResult result;
  auto damaged = [&](std::string why) {
    result.truncated = true;
    result.error = std::move(why);
    return result;
  };
  size_t pos = 24, ahead = 0;
  for (;;) {
    if (stop && stop->load(std::memory_order_relaxed)) return result;
    size_t left = map_size_ - pos;
    if (left < 16) {
      if (left == 0) return result;  // the file ends after a whole record
      return damaged(
          absl::StrCat("truncated dump file; tried to read 16 header bytes, only got ", left));
    }
    const uint8_t* h = map_ + pos;
    // Frames are touched once, in order: every line is asked for 4 KiB ahead (the hardware
    // prefetcher stops at page boundaries).
    for (size_t end = std::min(pos + 4096, map_size_); ahead < end; ahead += 64) {
      __builtin_prefetch(map_ + ahead);
    }
    uint32_t sec = Load32(h, swapped_), frac = Load32(h + 4, swapped_),
             caplen = Load32(h + 8, swapped_), len = Load32(h + 12, swapped_);
    if (caplen > kMaxCaplen) {
      return damaged(absl::StrCat("invalid packet capture length ", caplen,
                                  ", bigger than maximum of ", kMaxCaplen));
    }
    if (left - 16 < caplen) {
      return damaged(absl::StrCat("truncated dump file; tried to read ", caplen,
                                  " captured bytes, only got ", left - 16));
    }
    uint32_t deliver = std::min(caplen, snapshot_);
    ++result.frames;
    cb(link_, h + 16, deliver, std::max(len, deliver),
       int64_t{sec} * 1000000 + (nanoseconds_ ? frac / 1000 : frac));
    pos += 16 + size_t{caplen};
  }
}

PcapReadResult PcapReader::Run(const FrameCallback& cb, const std::atomic<bool>* stop) {
  if (map_) return RunMapped(cb, stop);
  PcapReadResult result;
  pcap_pkthdr* hdr;
  const u_char* data;
  int rc = 0;
  while ((!stop || !stop->load(std::memory_order_relaxed)) &&
         (rc = pcap_next_ex(pcap_, &hdr, &data)) == 1) {
    ++result.frames;
    cb(link_, data, hdr->caplen, std::max(hdr->len, hdr->caplen),
       int64_t{hdr->ts.tv_sec} * 1000000 + hdr->ts.tv_usec);
  }
  if (rc == PCAP_ERROR) {
    result.truncated = true;
    result.error = pcap_geterr(pcap_);
  }
  return result;
}

absl::StatusOr<PcapReadResult> ReadPcapFile(const std::string& path, const FrameCallback& cb) {
  auto reader = PcapReader::Open(path);
  if (!reader.ok()) return reader.status();
  return (*reader)->Run(cb);
}

}  // namespace xsensor
