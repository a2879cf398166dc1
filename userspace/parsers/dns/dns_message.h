// DNS message decoding (RFC 1035, 3596, 2782, ...): header, questions and resource records,
// with name compression followed under loop and depth protection. RDATA is made
// self-contained: the domain names inside CNAME, NS, PTR, DNAME, MX, SRV, SOA, RP, AFSDB, RT,
// KX, NAPTR and PX data are expanded from compression pointers to uncompressed wire form, so a
// collector can decode a record without the message it came from. Pure functions; views
// alias the message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace xsensor {

enum class DnsError {
  kOk,
  kTruncatedHeader,
  kTruncatedQuestion,
  kTruncatedRecord,
  kBadName,      // label too long, name too long, bad label type
  kPointerLoop,  // compression pointers loop or jump too often
  kBadRdata,     // a name inside RDATA could not be read
};
const char* DnsErrorName(DnsError e);

struct DnsQuestion {
  std::string name;  // presentation form, no trailing dot ("." for the root)
  uint16_t type = 0;
  uint16_t rrclass = 0;
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t rrclass = 0;
  uint32_t ttl = 0;
  std::string rdata;  // self-contained wire form (names uncompressed)
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;
  bool response() const { return flags & 0x8000; }
  bool truncated() const { return flags & 0x0200; }
  uint8_t rcode() const { return flags & 0x0f; }
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  // Elements a longer message had, kept with their strings' capacity for the next one (a
  // message parsed into the same DnsMessage then allocates nothing once warm).
  std::vector<DnsQuestion> spare_questions;
  std::vector<DnsRecord> spare_answers;
};

// Parses `msg`. Sections after the answers are not read. On error, what was read before it is
// kept in *out (a partial message).
DnsError ParseDnsMessage(absl::string_view msg, DnsMessage* out);

// RDATA in presentation form (addresses, names, "pref name", TXT strings quoted, ...); types
// without a presentation here are shown as hex (RFC 3597 style "\# len hex").
std::string DnsRdataText(uint16_t type, absl::string_view rdata);
// A name in uncompressed wire form -> presentation form; false if malformed.
bool DnsWireNameToText(absl::string_view wire, std::string* out, size_t* consumed);
// RR type mnemonic ("A", "AAAA", ... or "TYPE123").
std::string DnsTypeName(uint16_t type);

}  // namespace xsensor
