// Fuzz target for the capture reader (--pcap): the input is a whole capture file (pcap or
// pcapng, any header), read from a memory file as from disk (the mapped path for classic pcap,
// libpcap's reader for the rest). Every frame handed over lies inside the file.
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "capture/pcap_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An odd first byte: the rest follows a valid classic pcap header (Ethernet, microseconds or
  // nanoseconds, either byte order), so that mutations reach the records; even: as it is.
  std::string file;
  if (size && (data[0] & 1)) {
    static const uint8_t kHeaders[4][24] = {
        {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0},
        {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1},
        {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0},
        {0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1}};
    file.assign(reinterpret_cast<const char*>(kHeaders[(data[0] >> 1) & 3]), 24);
  }
  file.append(reinterpret_cast<const char*>(data) + (size ? 1 : 0), size ? size - 1 : 0);
  data = reinterpret_cast<const uint8_t*>(file.data());
  size = file.size();
  int fd = memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = xsensor::PcapReader::Open(path);
  if (reader.ok()) {
    size_t frames = 0;
    (*reader)->Run([&](xsensor::LinkType, const uint8_t* frame, size_t caplen, size_t, int64_t) {
      if (caplen > size) __builtin_trap();  // a frame larger than the file
      volatile uint8_t sum = 0;
      for (size_t i = 0; i < caplen; ++i) sum = sum + frame[i];  // every byte readable
      ++frames;
    });
    if (frames > size) __builtin_trap();
  }
  close(fd);
  return 0;
}
