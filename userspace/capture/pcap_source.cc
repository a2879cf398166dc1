#include "capture/pcap_source.h"

#include <pcap/pcap.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace xsensor {

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
