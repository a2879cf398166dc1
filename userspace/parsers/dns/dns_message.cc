#include "parsers/dns/dns_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/byte_reader.h"
#include "common/net_address.h"

namespace xsensor {
namespace {

constexpr int kMaxPointerJumps = 64;
constexpr size_t kMaxName = 255;

// Appends a label in presentation form (RFC 1035 5.1 escapes).
void AppendLabel(absl::string_view label, std::string* out) {
  for (char ch : label) {
    auto c = static_cast<uint8_t>(ch);
    if (c == '.' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x21 || c > 0x7e) {
      absl::StrAppend(out, "\\", c / 100, (c / 10) % 10, c % 10);
    } else {
      out->push_back(ch);
    }
  }
}

// Reads a possibly compressed name at *pos of msg; sets *pos past it (past the first pointer)
// and appends the uncompressed wire form to *wire and the presentation form to *text.
DnsError ReadName(absl::string_view msg, size_t* pos, std::string* wire, std::string* text) {
  size_t p = *pos;
  bool jumped = false;
  int jumps = 0;
  size_t wire_len = 0;
  thread_local std::string t;  // keeps its capacity: no allocation per name
  t.clear();
  while (true) {
    if (p >= msg.size()) return DnsError::kBadName;
    auto len = static_cast<uint8_t>(msg[p]);
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg.size()) return DnsError::kBadName;
      size_t target = ((len & 0x3f) << 8) | static_cast<uint8_t>(msg[p + 1]);
      if (!jumped) *pos = p + 2;
      jumped = true;
      if (++jumps > kMaxPointerJumps || target >= msg.size()) return DnsError::kPointerLoop;
      p = target;
      continue;
    }
    if (len & 0xc0) return DnsError::kBadName;  // 0x40/0x80 label types are obsolete
    if (len == 0) {
      if (wire) wire->push_back('\0');
      if (!jumped) *pos = p + 1;
      break;
    }
    if (p + 1 + len > msg.size()) return DnsError::kBadName;
    wire_len += 1 + len;
    if (wire_len + 1 > kMaxName) return DnsError::kBadName;
    absl::string_view label = msg.substr(p + 1, len);
    if (wire) {
      wire->push_back(static_cast<char>(len));
      wire->append(label.data(), label.size());
    }
    if (!t.empty()) t.push_back('.');
    AppendLabel(label, &t);
    p += 1 + len;
  }
  if (text) {
    if (t.empty()) {
      text->assign(1, '.');
    } else {
      text->assign(t);
    }
  }
  return DnsError::kOk;
}

// RDATA layouts with embedded names: the fixed bytes before, the names, the fixed bytes after.
struct Layout {
  size_t before;
  int names;
  bool rest_after;  // everything after the names is copied as is
};
bool NameLayout(uint16_t type, Layout* l) {
  switch (type) {
    case 2:
    case 5:
    case 12:
    case 39:
    case 3:
    case 4:
    case 7:
    case 8:
    case 9:                // NS CNAME PTR
      *l = {0, 1, false};  // DNAME MD MF MB MG MR
      return true;
    case 15:
    case 18:
    case 21:
    case 36:  // MX AFSDB RT KX: preference + name
      *l = {2, 1, false};
      return true;
    case 33:  // SRV: priority, weight, port + target
      *l = {6, 1, false};
      return true;
    case 6:   // SOA: mname, rname + 20 bytes
    case 17:  // RP: two names
      *l = {0, 2, true};
      return true;
    case 26:  // PX: preference + two names
      *l = {2, 2, false};
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* DnsErrorName(DnsError e) {
  switch (e) {
    case DnsError::kOk:
      return "ok";
    case DnsError::kTruncatedHeader:
      return "truncated_header";
    case DnsError::kTruncatedQuestion:
      return "truncated_question";
    case DnsError::kTruncatedRecord:
      return "truncated_record";
    case DnsError::kBadName:
      return "bad_name";
    case DnsError::kPointerLoop:
      return "pointer_loop";
    case DnsError::kBadRdata:
      return "bad_rdata";
  }
  return "?";
}

namespace {

// A DnsMessage's elements and their spares: the next element to write (a spare's, with its
// strings' capacity, when there is one), and cutting to `n` (the rest waits in the spares).
template <typename T>
T& NextElement(std::vector<T>& used, std::vector<T>& spare) {
  if (spare.empty()) return used.emplace_back();
  used.push_back(std::move(spare.back()));
  spare.pop_back();
  return used.back();
}
template <typename T>
void CutElements(std::vector<T>& used, std::vector<T>& spare, size_t n) {
  while (used.size() > n) {
    spare.push_back(std::move(used.back()));
    used.pop_back();
  }
}

}  // namespace

DnsError ParseDnsMessage(absl::string_view msg, DnsMessage* out) {
  // The elements of a message parsed before are overwritten in place (their strings keep
  // their capacity) and the vectors cut to what this message has, on every return; what is cut
  // waits in the spares for a longer message.
  size_t nq = 0, na = 0;
  struct Trim {
    DnsMessage* m;
    size_t* nq;
    size_t* na;
    ~Trim() {
      CutElements(m->questions, m->spare_questions, *nq);
      CutElements(m->answers, m->spare_answers, *na);
    }
  } trim{out, &nq, &na};
  ByteReader r(msg);
  uint16_t qd, an, ns, ar;
  if (!r.ReadU16(&out->id) || !r.ReadU16(&out->flags) || !r.ReadU16(&qd) || !r.ReadU16(&an) ||
      !r.ReadU16(&ns) || !r.ReadU16(&ar)) {
    return DnsError::kTruncatedHeader;
  }
  size_t pos = 12;
  for (uint16_t i = 0; i < qd; ++i) {
    if (out->questions.size() <= nq) NextElement(out->questions, out->spare_questions);
    DnsQuestion& q = out->questions[nq];
    if (DnsError e = ReadName(msg, &pos, nullptr, &q.name); e != DnsError::kOk) return e;
    ByteReader f(msg.substr(std::min(pos, msg.size())));
    if (!f.ReadU16(&q.type) || !f.ReadU16(&q.rrclass)) return DnsError::kTruncatedQuestion;
    pos += 4;
    ++nq;
  }
  for (uint16_t i = 0; i < an; ++i) {
    if (out->answers.size() <= na) NextElement(out->answers, out->spare_answers);
    DnsRecord& rr = out->answers[na];
    if (DnsError e = ReadName(msg, &pos, nullptr, &rr.name); e != DnsError::kOk) return e;
    ByteReader f(msg.substr(std::min(pos, msg.size())));
    uint16_t rdlen;
    absl::string_view rdata;
    if (!f.ReadU16(&rr.type) || !f.ReadU16(&rr.rrclass) || !f.ReadU32(&rr.ttl) ||
        !f.ReadU16(&rdlen) || !f.ReadView(rdlen, &rdata)) {
      return DnsError::kTruncatedRecord;
    }
    size_t rd_start = pos + 10;
    pos = rd_start + rdlen;
    Layout l;
    if (!NameLayout(rr.type, &l)) {
      rr.rdata.assign(rdata.data(), rdata.size());
    } else {
      // Names are read from the whole message (pointers may point anywhere before them) but
      // must lie within the RDATA.
      if (l.before > rdlen) return DnsError::kBadRdata;
      rr.rdata.assign(rdata.data(), l.before);
      size_t p = rd_start + l.before;
      for (int n = 0; n < l.names; ++n) {
        if (p >= pos) return DnsError::kBadRdata;
        if (ReadName(msg, &p, &rr.rdata, nullptr) != DnsError::kOk || p > pos) {
          return DnsError::kBadRdata;
        }
      }
      if (l.rest_after) rr.rdata.append(msg.data() + p, pos - p);
    }
    ++na;
  }
  return DnsError::kOk;
}

bool DnsWireNameToText(absl::string_view wire, std::string* out, size_t* consumed) {
  size_t pos = 0;
  // Uncompressed wire form: ReadName on it never meets a pointer it may follow outside.
  if (ReadName(wire, &pos, nullptr, out) != DnsError::kOk) return false;
  *consumed = pos;
  return true;
}

std::string DnsTypeName(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 39:
      return "DNAME";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 257:
      return "CAA";
    default:
      return absl::StrCat("TYPE", type);
  }
}

std::string DnsRdataText(uint16_t type, absl::string_view rd) {
  ByteReader r(rd);
  std::string out, name;
  size_t used = 0;
  auto names = [&](int n) {
    for (int i = 0; i < n; ++i) {
      absl::string_view rest = r.RemainingView();
      if (!DnsWireNameToText(rest, &name, &used)) return false;
      r.Skip(used);
      absl::StrAppend(&out, out.empty() ? "" : " ", name);
    }
    return true;
  };
  uint16_t a, b, c;
  switch (type) {
    case 1:
      if (rd.size() == 4) return FormatIp(rd);
      break;
    case 28:
      if (rd.size() == 16) return FormatIp(rd);
      break;
    case 2:
    case 5:
    case 12:
    case 39:
      if (names(1) && r.empty()) return out;
      break;
    case 15:
      if (r.ReadU16(&a)) {
        out = absl::StrCat(a);
        if (names(1) && r.empty()) return out;
      }
      break;
    case 33:
      if (r.ReadU16(&a) && r.ReadU16(&b) && r.ReadU16(&c)) {
        out = absl::StrCat(a, " ", b, " ", c);
        if (names(1) && r.empty()) return out;
      }
      break;
    case 6: {
      uint32_t v[5];
      if (names(2) && r.ReadU32(&v[0]) && r.ReadU32(&v[1]) && r.ReadU32(&v[2]) &&
          r.ReadU32(&v[3]) && r.ReadU32(&v[4]) && r.empty()) {
        return absl::StrCat(out, " ", v[0], " ", v[1], " ", v[2], " ", v[3], " ", v[4]);
      }
      break;
    }
    case 46: {  // RRSIG (RFC 4034 3.2): covered type, algorithm, labels, original TTL,
                //   expiration, inception, key tag, signer, signature (base64)
      uint8_t alg, labels;
      uint32_t ttl, exp, inc;
      if (r.ReadU16(&a) && r.ReadU8(&alg) && r.ReadU8(&labels) && r.ReadU32(&ttl) &&
          r.ReadU32(&exp) && r.ReadU32(&inc) && r.ReadU16(&b)) {
        std::string head =
            absl::StrCat(a, " ", alg, " ", labels, " ", ttl, " ", exp, " ", inc, " ", b);
        if (names(1))
          return absl::StrCat(head, " ", out, " ", absl::Base64Escape(r.RemainingView()));
      }
      break;
    }
    case 48: {  // DNSKEY (RFC 4034 2.2): flags, protocol, algorithm, key (base64)
      uint8_t proto, alg;
      if (r.ReadU16(&a) && r.ReadU8(&proto) && r.ReadU8(&alg)) {
        return absl::StrCat(a, " ", proto, " ", alg, " ", absl::Base64Escape(r.RemainingView()));
      }
      break;
    }
    case 43: {  // DS (RFC 4034 5.3): key tag, algorithm, digest type, digest (hex)
      uint8_t alg, dt;
      if (r.ReadU16(&a) && r.ReadU8(&alg) && r.ReadU8(&dt)) {
        return absl::StrCat(a, " ", alg, " ", dt, " ",
                            absl::AsciiStrToUpper(absl::BytesToHexString(r.RemainingView())));
      }
      break;
    }
    case 16: {  // TXT: each character-string quoted
      while (!r.empty()) {
        uint8_t len;
        absl::string_view s;
        if (!r.ReadU8(&len) || !r.ReadView(len, &s)) return absl::StrCat("\\# ", rd.size());
        absl::StrAppend(&out, out.empty() ? "" : " ", "\"", absl::CHexEscape(s), "\"");
      }
      return out;
    }
    default:
      break;
  }
  return absl::StrCat("\\# ", rd.size(), rd.empty() ? "" : " ", absl::BytesToHexString(rd));
}

}  // namespace xsensor
