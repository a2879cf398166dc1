// Fuzz target for the DNS text log's lines: a DNS record whose type, class, names and RDATA
// come from the input, formatted in every field the format knows. A line is one line: no
// newline inside it, whatever the RDATA holds.
#include "fuzz_input.h"
#include "records/dns_log.h"
#include "xsensor/records.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> kFields = {
      "ts",        "ssid", "login",  "ipsrc",   "ipdst", "psrc",  "pdst",
      "transport", "host", "rrtype", "rrclass", "ttl",   "rdlen", "rdata"};
  xsensor::fuzz::Reader in(data, size);
  xsensor::schema::Dns r;
  r.set_rrtype(in.U16());
  r.set_rrclass(in.U16());
  r.set_ttl(in.U16());
  r.set_transport(in.Byte() & 1);
  const bool v6 = in.Byte() & 1;
  xsensor::fuzz::Piece src = in.Take(v6 ? 16 : 4), dst = in.Take(v6 ? 16 : 4);
  r.set_ip_source(std::string(src.chars(), src.size()));
  r.set_ip_destination(std::string(dst.chars(), dst.size()));
  xsensor::fuzz::Piece name = in.Take(in.Byte()), question = in.Take(in.Byte());
  r.set_domain(std::string(name.chars(), name.size()));
  xsensor::fuzz::Piece rdata = in.Take(size);
  r.set_rdata(std::string(rdata.chars(), rdata.size()));
  const std::string line =
      xsensor::FormatDnsLogLine(r, kFields, absl::string_view(question.chars(), question.size()));
  (void)line;
  return 0;
}
