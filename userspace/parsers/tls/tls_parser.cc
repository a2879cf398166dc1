#include "parsers/tls/tls_parser.h"

#include <cstring>

#include "common/byte_reader.h"

namespace xsensor {
namespace {

constexpr size_t kMaxRecord = (1 << 14) + 2048;

// A record header (type, version, length; 5 bytes): the body's declared length, and whether
// it can start a TLS record at all (otherwise the flow is not TLS).
size_t RecordLength(absl::string_view header) {
  return (static_cast<uint8_t>(header[3]) << 8) | static_cast<uint8_t>(header[4]);
}
bool RecordHeaderOk(absl::string_view header) {
  const auto type = static_cast<uint8_t>(header[0]);
  return type >= 20 && type <= 24 && header[1] == 3 && RecordLength(header) <= kMaxRecord;
}
constexpr size_t kMaxHandshake = 64 << 10;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kClientHello = 1, kServerHello = 2, kCertificate = 11, kServerHelloDone = 14;

// RFC 8446 4.1.3: the random of a HelloRetryRequest.
constexpr uint8_t kHrrRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

bool SkipVector8(ByteReader& r) {
  uint8_t n;
  return r.ReadU8(&n) && r.Skip(n);
}

// The extensions block that ends a hello (RFC 8446 4.2), if any: calls on_ext(type, data) for
// each; `on_ext` returns false when the extension is malformed. False when the block is.
template <typename F>
bool ForEachExtension(ByteReader& r, F on_ext) {
  if (r.empty()) return true;  // no extensions
  uint16_t total;
  absl::string_view exts;
  if (!r.ReadU16(&total) || !r.ReadView(total, &exts)) return false;
  ByteReader e(exts);
  while (!e.empty()) {
    uint16_t type, len;
    absl::string_view data;
    if (!e.ReadU16(&type) || !e.ReadU16(&len) || !e.ReadView(len, &data)) return false;
    if (!on_ext(type, data)) return false;
  }
  return true;
}

}  // namespace

bool LooksLikeTlsClientHello(absl::string_view p) {
  return p.size() >= 6 && static_cast<uint8_t>(p[0]) == kHandshake &&
         static_cast<uint8_t>(p[1]) == 3 && static_cast<uint8_t>(p[2]) <= 4 &&
         static_cast<uint8_t>(p[5]) == kClientHello;
}

bool ParseClientHello(absl::string_view body, ClientHelloInfo* out) {
  out->sni.clear();  // a reused ClientHelloInfo keeps its strings' capacity
  out->cipher_suites.clear();
  ByteReader r(body);
  uint16_t suites_len;
  absl::string_view suites;
  if (!r.ReadU16(&out->legacy_version) || !r.Skip(32) || !SkipVector8(r) ||
      !r.ReadU16(&suites_len) || !r.ReadView(suites_len, &suites) || !SkipVector8(r)) {
    return false;
  }
  out->cipher_suites.assign(suites.data(), suites.size());
  return ForEachExtension(r, [&](uint16_t type, absl::string_view data) {
    if (type != 0 || !out->sni.empty()) return true;  // server_name (RFC 6066 3)
    ByteReader s(data);
    uint16_t list_len;
    absl::string_view list;
    if (!s.ReadU16(&list_len) || !s.ReadView(list_len, &list)) return false;
    ByteReader l(list);
    while (!l.empty()) {
      uint8_t name_type;
      uint16_t name_len;
      absl::string_view name;
      if (!l.ReadU8(&name_type) || !l.ReadU16(&name_len) || !l.ReadView(name_len, &name)) {
        return false;
      }
      if (name_type == 0) {
        out->sni.assign(name.data(), name.size());
        break;
      }
    }
    return true;
  });
}

bool ParseServerHello(absl::string_view body, ServerHelloInfo* out) {
  ByteReader r(body);
  uint8_t random[32];
  if (!r.ReadU16(&out->version) || !r.ReadBytes(random, 32) || !SkipVector8(r) ||
      !r.ReadU16(&out->cipher_suite) || !r.ReadU8(&out->compression)) {
    return false;
  }
  out->retry_request = std::memcmp(random, kHrrRandom, 32) == 0;
  return ForEachExtension(r, [&](uint16_t type, absl::string_view data) {
    if (type == 43 && data.size() == 2) {  // supported_versions: the negotiated version
      ByteReader v(data);
      v.ReadU16(&out->version);
    }
    return true;
  });
}

namespace {

// One DER element (X.690 8.1): low tag numbers only, definite lengths up to 4 bytes. `value`
// aliases the certificate.
struct Der {
  uint8_t tag = 0;
  absl::string_view value;
};

bool ReadDer(ByteReader& r, Der* out) {
  uint8_t len8;
  if (!r.ReadU8(&out->tag) || (out->tag & 0x1f) == 0x1f || !r.ReadU8(&len8)) return false;
  size_t len = len8;
  if (len8 & 0x80) {
    int n = len8 & 0x7f;
    if (n == 0 || n > 4) return false;  // indefinite length is not DER
    len = 0;
    for (int i = 0; i < n; ++i) {
      uint8_t b;
      if (!r.ReadU8(&b)) return false;
      len = (len << 8) | b;
    }
  }
  return r.ReadView(len, &out->value);
}

bool ReadDerTag(ByteReader& r, uint8_t tag, Der* out) { return ReadDer(r, out) && out->tag == tag; }

constexpr uint8_t kSequence = 0x30, kSet = 0x31, kOid = 0x06, kOctetString = 0x04;
constexpr absl::string_view kOidCommonName("\x55\x04\x03", 3);      // 2.5.4.3
constexpr absl::string_view kOidSubjectAltName("\x55\x1d\x11", 3);  // 2.5.29.17
constexpr uint8_t kDnsNameTag = 0x82;                               // GeneralName [2]

// The value of the first commonName attribute of a Name (RFC 5280 4.1.2.4), in order of its
// RDNs. False when the Name is malformed.
bool FirstCommonName(absl::string_view name, absl::string_view* cn) {
  ByteReader rdns(name);
  while (!rdns.empty()) {
    Der rdn;
    if (!ReadDerTag(rdns, kSet, &rdn)) return false;
    ByteReader attrs(rdn.value);
    while (!attrs.empty()) {
      Der atv, type, value;
      if (!ReadDerTag(attrs, kSequence, &atv)) return false;
      ByteReader a(atv.value);
      if (!ReadDerTag(a, kOid, &type) || !ReadDer(a, &value)) return false;
      if (cn->empty() && type.value == kOidCommonName) *cn = value.value;
    }
  }
  return true;
}

// The first dNSName of a subjectAltName extension value (RFC 5280 4.2.1.6).
absl::string_view FirstDnsName(absl::string_view ext_value) {
  ByteReader r(ext_value);
  Der names;
  if (!ReadDerTag(r, kSequence, &names)) return {};
  ByteReader n(names.value);
  Der g;
  while (ReadDer(n, &g)) {
    if (g.tag == kDnsNameTag) return g.value;
  }
  return {};
}

}  // namespace

std::string CertificateName(absl::string_view der) {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } and
  // TBSCertificate (RFC 5280 4.1), walked in place: only the subject and the extensions are
  // looked into. A structure that does not parse gives no name.
  ByteReader top(der);
  Der cert, tbs, sig_alg, sig, e;
  if (!ReadDerTag(top, kSequence, &cert)) return "";
  ByteReader c(cert.value);
  if (!ReadDerTag(c, kSequence, &tbs) || !ReadDerTag(c, kSequence, &sig_alg) ||
      !ReadDerTag(c, 0x03, &sig)) {
    return "";
  }
  ByteReader t(tbs.value);
  if (!ReadDer(t, &e)) return "";
  if (e.tag == 0xa0 && !ReadDer(t, &e)) return "";  // [0] version, then serialNumber
  Der subject;
  if (e.tag != 0x02 || !ReadDerTag(t, kSequence, &e) /* signature */ ||
      !ReadDerTag(t, kSequence, &e) /* issuer */ || !ReadDerTag(t, kSequence, &e) /* validity */ ||
      !ReadDerTag(t, kSequence, &subject) || !ReadDerTag(t, kSequence, &e) /* public key */) {
    return "";
  }
  absl::string_view extensions;
  while (!t.empty()) {  // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
    if (!ReadDer(t, &e)) return "";
    if (e.tag == 0xa3) extensions = e.value;
  }
  absl::string_view cn;
  if (!FirstCommonName(subject.value, &cn)) return "";
  if (!cn.empty()) return std::string(cn);
  if (extensions.empty()) return "";
  ByteReader x(extensions);
  Der list;
  if (!ReadDerTag(x, kSequence, &list)) return "";
  ByteReader exts(list.value);
  while (!exts.empty()) {
    Der ext, oid, value;
    if (!ReadDerTag(exts, kSequence, &ext)) return "";
    ByteReader f(ext.value);
    if (!ReadDerTag(f, kOid, &oid) || !ReadDer(f, &value)) return "";
    if (value.tag == 0x01 && !ReadDer(f, &value)) return "";  // critical
    if (value.tag != kOctetString) return "";
    if (oid.value == kOidSubjectAltName) return std::string(FirstDnsName(value.value));
  }
  return "";
}

std::unique_ptr<AppParser> MakeTlsParser(const ParserOptions& options) {
  return std::make_unique<TlsParser>(options);
}

void TlsParser::OnData(ParseContext& ctx, absl::string_view data, uint32_t seq) {
  Direction& d = dir_[static_cast<int>(ctx.dir)];
  auto not_tls = [&] {
    ctx.counters->Inc(ParserCounters::kTlsNotTls);
    d.done = true;
  };
  while (!data.empty() && !d.done) {
    if (d.record.empty()) d.record_seq = seq;
    // A whole record in this segment (the common case) is read where it lies, not copied.
    if (d.record.empty() && data.size() >= 5 && 5 + RecordLength(data) <= data.size()) {
      if (!RecordHeaderOk(data)) {
        not_tls();
        break;
      }
      const size_t len = RecordLength(data);
      const auto type = static_cast<uint8_t>(data[0]);
      const absl::string_view body = data.substr(5, len);
      data.remove_prefix(5 + len);
      seq += static_cast<uint32_t>(5 + len);
      if (len > 0) OnRecord(ctx, d, type, body);
      continue;
    }
    const size_t need = d.record.size() >= 5 ? 5 + RecordLength(d.record) : 5;
    size_t take = std::min(need - d.record.size(), data.size());
    d.record.append(data.data(), take);
    data.remove_prefix(take);
    seq += static_cast<uint32_t>(take);
    if (d.record.size() == 5) {
      if (!RecordHeaderOk(d.record)) {
        not_tls();
        break;
      }
      if (RecordLength(d.record) == 0) d.record.clear();
      continue;
    }
    if (d.record.size() < need) break;
    auto type = static_cast<uint8_t>(d.record[0]);
    std::string& record = record_out_;
    record.swap(d.record);  // both buffers keep their capacity
    d.record.clear();
    OnRecord(ctx, d, type, absl::string_view(record).substr(5));
  }
}

void TlsParser::OnRecord(ParseContext& ctx, Direction& d, uint8_t type, absl::string_view body) {
  if (type != kHandshake) {
    // ChangeCipherSpec, alert or application data: the clear-text handshake of this direction
    // is over.
    if (ctx.dir == Dir::kToClient && have_server_hello_) EmitServerReply(ctx);
    d.done = true;
    return;
  }
  if (d.handshake.empty()) d.handshake_seq = d.record_seq;
  if (d.handshake.size() + body.size() > kMaxHandshake) {
    ctx.counters->Inc(ParserCounters::kTlsHandshakeTooLong);
    d.done = true;
    return;
  }
  // Complete handshake messages: type (1), length (3), body. Read from the record itself when
  // nothing is held from before; only an incomplete rest is kept.
  const bool held = !d.handshake.empty();
  if (held) d.handshake.append(body.data(), body.size());
  const absl::string_view buf = held ? absl::string_view(d.handshake) : body;
  size_t off = 0;
  while (!d.done && buf.size() - off >= 4) {
    ByteReader r(buf.substr(off));
    uint8_t msg_type;
    uint32_t len;
    r.ReadU8(&msg_type);
    r.ReadU24(&len);
    if (len > kMaxHandshake) {
      ctx.counters->Inc(ParserCounters::kTlsHandshakeTooLong);
      d.done = true;
      break;
    }
    if (r.remaining() < len) break;
    // A view: OnHandshake never changes d.handshake (it is cut below).
    const absl::string_view msg = buf.substr(off + 4, len);
    off += 4 + len;
    OnHandshake(ctx, d, msg_type, msg);
  }
  if (held) {
    d.handshake.erase(0, off);
  } else if (off < body.size() && !d.done) {
    d.handshake.assign(body.data() + off, body.size() - off);
  }
}

void TlsParser::OnHandshake(ParseContext& ctx, Direction& d, uint8_t type, absl::string_view body) {
  if (ctx.dir == Dir::kToServer) {
    if (type != kClientHello) return;
    thread_local ClientHelloInfo hello;  // its strings keep their capacity across flows
    std::string dns_name;
    if (!ParseClientHello(body, &hello)) {
      ctx.counters->Inc(ParserCounters::kTlsMalformedHello);
    } else if (hello.sni.empty() && !ServerNameFromDns(ctx, &dns_name)) {
      ctx.counters->Inc(ParserCounters::kTlsNoSni);
    } else {
      if (hello.sni.empty()) ctx.counters->Inc(ParserCounters::kTlsNoSni);
      ctx.counters->Inc(ParserCounters::kTlsClientHellos);
      ClientHelloFact fact;
      // Without SNI, the name DNS gave for the server's address (HOST_TYPE 2).
      fact.server_name = hello.sni.empty() ? absl::string_view(dns_name) : hello.sni;
      fact.source = hello.sni.empty() ? NameSource::kDns : NameSource::kTlsSni;
      fact.cipher_suites = hello.cipher_suites;
      fact.tcp_sequence = d.handshake_seq;
      ctx.facts->ClientHello(fact);
      if (!hello.sni.empty() && IsZelloServerName(hello.sni)) {
        found_ = kMetaProtoZello;
        TellZelloSession(ctx, hello.sni);
      }
    }
    d.done = true;  // what follows from the client is of no use to the sensor
    return;
  }
  if (!options_.ssl_parse_reply) {
    d.done = true;
    return;
  }
  if (type == kServerHello) {
    ServerHelloInfo sh;
    if (!ParseServerHello(body, &sh)) {
      ctx.counters->Inc(ParserCounters::kTlsMalformedHello);
      d.done = true;
      return;
    }
    if (sh.retry_request) return;  // the real ServerHello follows
    server_ = sh;
    have_server_hello_ = true;
    // TLS 1.3 encrypts the rest of the handshake (and the certificate).
    if (server_.version >= 0x0304) EmitServerReply(ctx);
  } else if (type == kCertificate && have_server_hello_ && !reply_sent_) {
    ByteReader r(body);
    uint32_t list_len, cert_len;
    absl::string_view der;
    if (r.ReadU24(&list_len) && r.ReadU24(&cert_len) && r.ReadView(cert_len, &der)) {
      cname_ = CertificateName(der);
    }
    EmitServerReply(ctx);
  } else if (type == kServerHelloDone && have_server_hello_) {
    EmitServerReply(ctx);
  }
}

void TlsParser::EmitServerReply(ParseContext& ctx) {
  Direction& d = dir_[static_cast<int>(Dir::kToClient)];
  d.done = true;
  if (reply_sent_) return;
  reply_sent_ = true;
  ctx.counters->Inc(ParserCounters::kTlsServerHellos);
  ServerHelloFact fact;
  fact.version = server_.version;
  fact.cipher_suite = server_.cipher_suite;
  fact.compression = server_.compression;
  fact.cname = cname_;
  ctx.facts->ServerHello(fact);
}

void TlsParser::OnGap(ParseContext& ctx) {
  // Records cannot be found again after lost bytes: give up this direction. The server's
  // reply is exported with what is known (a certificate cut by the hole gives no CNAME).
  Direction& d = dir_[static_cast<int>(ctx.dir)];
  if (!d.done) ctx.counters->Inc(ParserCounters::kTlsGaps);
  if (ctx.dir == Dir::kToClient && have_server_hello_) EmitServerReply(ctx);
  d.done = true;
}

void TlsParser::OnEnd(ParseContext& ctx) {
  // The flow ended before the certificate (or what follows it) came: the reply as known.
  if (have_server_hello_ && !reply_sent_) EmitServerReply(ctx);
}

bool TlsParser::WantsBypass(bool* skip_to_client, bool* skip_to_server_data) const {
  bool client_done = dir_[0].done;
  bool server_done = dir_[1].done || !options_.ssl_parse_reply;
  if (!client_done || !server_done) return false;
  *skip_to_client = true;
  *skip_to_server_data = true;
  return true;
}

}  // namespace xsensor
