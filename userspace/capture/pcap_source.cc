#include "capture/pcap_source.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace xsensor {
namespace {

// Classic pcap files (most captures, and the large ones) are read here in 256 KiB blocks and
// their records parsed in place: libpcap copies every record through stdio, which costs more
// than all the work on a small frame. A block fits the L2 cache, so frames are still there
// when they are decoded. libpcap opens the file first (header checks, link type mapping,
// snapshot length); pcapng files are read by libpcap itself.
constexpr size_t kBlock = 256 << 10;
constexpr uint32_t kMaxCaplen = 262144;  // libpcap's limit for the link types decoded here

struct ClassicFormat {
  bool swapped = false;
  bool nanoseconds = false;
};

bool DetectClassic(const std::string& path, ClassicFormat* f) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  uint8_t m[4];
  if (!fd.valid() || ::read(fd.get(), m, 4) != 4) return false;
  uint32_t native;
  std::memcpy(&native, m, 4);
  switch (native) {
    case 0xa1b2c3d4: *f = {false, false}; return true;
    case 0xd4c3b2a1: *f = {true, false}; return true;
    case 0xa1b23c4d: *f = {false, true}; return true;
    case 0x4d3cb2a1: *f = {true, true}; return true;
  }
  return false;
}

uint32_t Load32(const uint8_t* p, bool swapped) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swapped ? __builtin_bswap32(v) : v;
}

// Reads the records after the 24-byte file header, as libpcap does: a caplen over the limit
// is a damaged record (the read ends); one over the file's snapshot length is cut to it.
absl::StatusOr<PcapReadResult> ReadClassic(const std::string& path, const ClassicFormat& f,
                                          uint32_t snapshot, LinkType link,
                                          const FrameCallback& cb) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", strerror(errno)));
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  PcapReadResult result;
  std::vector<uint8_t> buf(kBlock);
  size_t have = 0, pos = 0;
  bool eof = false, read_error = false;
  // Makes `need` bytes available at pos (false when the file ends first): the unread tail
  // moves to the front and the buffer is filled behind it, a block at a time.
  auto fill = [&](size_t need) {
    if (have - pos >= need) return true;
    std::memmove(buf.data(), buf.data() + pos, have - pos);
    have -= pos;
    pos = 0;
    if (buf.size() < need) buf.resize(need);
    while (have < need && !eof) {
      ssize_t n = ::read(fd.get(), buf.data() + have, buf.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;
        read_error = n < 0;
        break;
      }
      have += static_cast<size_t>(n);
    }
    return have >= need;
  };
  auto damaged = [&](std::string why) {
    result.truncated = true;
    result.error = read_error ? absl::StrCat("read error: ", strerror(errno)) : std::move(why);
    return result;
  };
  if (!fill(24)) return damaged("truncated dump file header");
  pos = 24;
  for (;;) {
    if (!fill(16)) {
      if (have == pos && !read_error) return result;  // the file ends after a whole record
      return damaged(absl::StrCat(
          "truncated dump file; tried to read 16 header bytes, only got ", have - pos));
    }
    const uint8_t* h = buf.data() + pos;
    uint32_t sec = Load32(h, f.swapped), frac = Load32(h + 4, f.swapped),
             caplen = Load32(h + 8, f.swapped), len = Load32(h + 12, f.swapped);
    if (caplen > kMaxCaplen) {
      return damaged(absl::StrCat("invalid packet capture length ", caplen,
                                  ", bigger than maximum of ", kMaxCaplen));
    }
    if (!fill(16 + size_t{caplen})) {
      return damaged(absl::StrCat("truncated dump file; tried to read ", caplen,
                                  " captured bytes, only got ", have - pos - 16));
    }
    h = buf.data() + pos;
    uint32_t deliver = std::min(caplen, snapshot);
    ++result.frames;
    cb(link, h + 16, deliver, std::max(len, deliver),
       int64_t{sec} * 1000000 + (f.nanoseconds ? frac / 1000 : frac));
    pos += 16 + size_t{caplen};
  }
}

}  // namespace

absl::StatusOr<PcapReadResult> ReadPcapFile(const std::string& path, const FrameCallback& cb) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err),
      &pcap_close);
  if (!pcap) return absl::InvalidArgumentError(absl::StrCat(path, ": ", err));
  int dlt = pcap_datalink(pcap.get());
  if (!IsSupportedLinkType(dlt)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": link type ", dlt, " (", (pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?"),
        ") is not supported (Ethernet, Linux cooked, raw IP, BSD loopback are)"));
  }
  LinkType link = NormalizeLinkType(dlt);
  ClassicFormat classic;
  if (DetectClassic(path, &classic)) {
    auto snapshot = static_cast<uint32_t>(pcap_snapshot(pcap.get()));
    pcap.reset();
    return ReadClassic(path, classic, snapshot ? snapshot : kMaxCaplen, link, cb);
  }
  PcapReadResult result;
  pcap_pkthdr* hdr;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(pcap.get(), &hdr, &data)) == 1) {
    ++result.frames;
    cb(link, data, hdr->caplen, std::max(hdr->len, hdr->caplen),
       int64_t{hdr->ts.tv_sec} * 1000000 + hdr->ts.tv_usec);
  }
  if (rc == PCAP_ERROR) {
    result.truncated = true;
    result.error = pcap_geterr(pcap.get());
  }
  return result;
}

}  // namespace xsensor
