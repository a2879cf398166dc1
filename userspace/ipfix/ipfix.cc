#include "ipfix/ipfix.h"

#include <algorithm>

#include "absl/strings/string_view.h"
#include "common/byte_reader.h"
#include "google/protobuf/reflection.h"

namespace xsensor {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

// A compiled record type with its two templates.
struct CompiledType {
  const CompiledRecordType* codec;
  const TemplateSpec* v4;
  const TemplateSpec* v6;
};

const std::vector<CompiledType>& CompiledTypes() {
  static const auto* types = [] {
    auto* v = new std::vector<CompiledType>;
    for (const CompiledRecordType& c : CompiledRecordTypes()) {
      v->push_back(
          {&c, Schema::Get().FindById(c.template_v4), Schema::Get().FindById(c.template_v6)});
    }
    return v;
  }();
  return *types;
}

const CompiledType* CompiledFor(const Message& record) {
  const google::protobuf::Descriptor* d = record.GetDescriptor();
  for (const CompiledType& c : CompiledTypes()) {
    if (c.codec->message == d) return &c;
  }
  return nullptr;
}

}  // namespace

const TemplateSpec* TemplateFor(const Message& record) {
  const CompiledType* c = CompiledFor(record);
  if (!c) return nullptr;
  return c->codec->is_v6(record) ? c->v6 : c->v4;
}

int EncodeDataRecord(const TemplateSpec& t, const Message& record, std::string* out) {
  const CompiledType* c = CompiledFor(record);
  if (!c) return 0;
  return (t.ipv6 ? c->codec->encode_v6 : c->codec->encode_v4)(record, out);
}

uint64_t SessionIdOf(const Message& record) {
  const CompiledType* c = CompiledFor(record);
  return c ? c->codec->session_id(record) : 0;
}

const std::string& ElementTypeOptionsTemplate() {
  static const std::string* record = [] {
    auto* r = new std::string;
    // RFC 5610 section 3.9. Scope: privateEnterpriseNumber (346), informationElementId (303);
    // then informationElementDataType (339), informationElementSemantics (344),
    // informationElementUnits (345), informationElementRangeBegin (342) and End (343),
    // informationElementName (341) and informationElementDescription (340).
    const uint16_t fields[][2] = {{346, 4},
                                  {303, 2},
                                  {339, 1},
                                  {344, 1},
                                  {345, 2},
                                  {342, 8},
                                  {343, 8},
                                  {341, kVariableLength},
                                  {340, kVariableLength}};
    PutU16(r, kElementTypeTemplateId);
    PutU16(r, std::size(fields));
    PutU16(r, 2);
    for (const auto& f : fields) {
      PutU16(r, f[0]);
      PutU16(r, f[1]);
    }
    return r;
  }();
  return *record;
}

void EncodeElementTypeRecord(const ElementInfo& e, std::string* out) {
  PutU32(out, e.pen);
  PutU16(out, e.id);
  PutU8(out, Rfc5610DataType(e.type));
  PutU8(out, static_cast<uint8_t>(e.semantics));
  PutU16(out, static_cast<uint16_t>(e.units));
  PutU64(out, 0);  // no range
  PutU64(out, 0);
  // Variable-length fields (RFC 7011 7): a length octet, or 255 and two length octets.
  for (const std::string* s : {&e.name, &e.description}) {
    size_t n = std::min<size_t>(s->size(), 65535);
    if (n < 255) {
      PutU8(out, static_cast<uint8_t>(n));
    } else {
      PutU8(out, 255);
      PutU16(out, static_cast<uint16_t>(n));
    }
    out->append(s->data(), n);
  }
}

void MessageBuilder::Reset() {
  buf_.assign(kMessageHeaderLen, '\0');
  set_start_ = 0;
  set_id_ = 0;
  data_records_ = 0;
}

void MessageBuilder::CloseSet() {
  if (set_start_ == 0) return;
  SetU16At(&buf_, set_start_ + 2, static_cast<uint16_t>(buf_.size() - set_start_));
  set_start_ = 0;
  set_id_ = 0;
}

bool MessageBuilder::OpenSet(uint16_t set_id, size_t need) {
  size_t extra = (set_start_ != 0 && set_id_ == set_id) ? 0 : kSetHeaderLen;
  if (buf_.size() + extra + need > max_size_) {
    if (!empty()) return false;
    // A lone record larger than the budget still goes out, within the 16-bit length.
    if (buf_.size() + extra + need > 65535) return false;
  }
  if (extra) {
    CloseSet();
    set_start_ = buf_.size();
    set_id_ = set_id;
    PutU16(&buf_, set_id);
    PutU16(&buf_, 0);
  }
  return true;
}

bool MessageBuilder::AddTemplate(const TemplateSpec& t) {
  if (!OpenSet(kTemplateSetId, t.template_record.size())) return false;
  buf_.append(t.template_record);
  return true;
}

bool MessageBuilder::AddOptionsTemplate(absl::string_view record) {
  if (!OpenSet(kOptionsTemplateSetId, record.size())) return false;
  buf_.append(record.data(), record.size());
  return true;
}

bool MessageBuilder::AddRecord(uint16_t template_id, absl::string_view encoded) {
  if (!OpenSet(template_id, encoded.size())) return false;
  buf_.append(encoded.data(), encoded.size());
  ++data_records_;
  return true;
}

absl::string_view MessageBuilder::Finish(uint32_t export_time, uint32_t sequence,
                                         uint32_t domain_id) {
  CloseSet();
  SetU16At(&buf_, 0, kIpfixVersion);
  SetU16At(&buf_, 2, static_cast<uint16_t>(buf_.size()));
  SetU32At(&buf_, 4, export_time);
  SetU32At(&buf_, 8, sequence);
  SetU32At(&buf_, 12, domain_id);
  return buf_;
}

size_t IpfixDecoder::PeekMessageLength(absl::string_view buf) {
  if (buf.size() < 4) return 0;
  ByteReader r(buf);
  uint16_t version, length;
  r.ReadU16(&version);
  r.ReadU16(&length);
  return length;
}

bool IpfixDecoder::DecodeMessage(absl::string_view msg) {
  ByteReader r(msg);
  uint16_t version, length;
  uint32_t export_time, sequence, domain;
  if (!r.ReadU16(&version) || !r.ReadU16(&length) || !r.ReadU32(&export_time) ||
      !r.ReadU32(&sequence) || !r.ReadU32(&domain) || version != kIpfixVersion ||
      length != msg.size() || length < kMessageHeaderLen) {
    ++stats_.malformed;
    return false;
  }
  ++stats_.messages;
  auto it = next_sequence_.find(domain);
  // Serial arithmetic (RFC 7011 3.1: the count of records sent before, mod 2^32): ahead of what
  // is expected, the records between are missing; behind it, a message that came late (UDP
  // reorders) brings some of them back.
  const int32_t ahead =
      it != next_sequence_.end() ? static_cast<int32_t>(sequence - it->second) : 0;
  if (ahead > 0) stats_.sequence_gaps += static_cast<uint64_t>(ahead);
  uint64_t records_before = stats_.records + stats_.missing_template + stats_.options_records;
  while (!r.empty()) {
    uint16_t set_id, set_len;
    if (!r.ReadU16(&set_id) || !r.ReadU16(&set_len) || set_len < kSetHeaderLen ||
        set_len - kSetHeaderLen > r.remaining()) {
      ++stats_.malformed;
      return false;
    }
    absl::string_view body;
    r.ReadView(set_len - kSetHeaderLen, &body);
    bool ok = true;
    if (set_id == kTemplateSetId || set_id == kOptionsTemplateSetId) {
      ok = DecodeTemplateSet(domain, body, set_id == kOptionsTemplateSetId);
    } else if (set_id >= 256) {
      ok = DecodeDataSet(domain, set_id, body, export_time, sequence);
    }
    if (!ok) {
      ++stats_.malformed;
      return false;
    }
  }
  uint64_t n = stats_.records + stats_.missing_template + stats_.options_records - records_before;
  if (it != next_sequence_.end() && ahead < 0) {
    ++stats_.sequence_late;
    stats_.sequence_gaps -= std::min(n, stats_.sequence_gaps);
  } else if (it != next_sequence_.end()) {
    it->second = sequence + static_cast<uint32_t>(n);
  } else if (next_sequence_.size() < kMaxDomains) {
    next_sequence_[domain] = sequence + static_cast<uint32_t>(n);
  }
  return true;
}

bool IpfixDecoder::DecodeTemplateSet(uint32_t domain, absl::string_view set, bool options) {
  ByteReader r(set);
  while (r.remaining() >= 4) {
    uint16_t tid = 0, count = 0, scope = 0;
    r.ReadU16(&tid);
    r.ReadU16(&count);
    if (tid < 256) return false;
    if (count == 0) {  // withdrawal
      if (auto old = templates_.find({domain, tid}); old != templates_.end()) {
        template_fields_ -= old->second.fields.size();
        templates_.erase(old);
      }
      continue;
    }
    if (options && (!r.ReadU16(&scope) || scope == 0 || scope > count)) return false;
    Template t;
    t.options = options;
    for (uint16_t i = 0; i < count; ++i) {
      uint16_t id, len;
      if (!r.ReadU16(&id) || !r.ReadU16(&len)) return false;
      FieldSpec fs;
      fs.id = id & 0x7fff;
      fs.length = len;
      // RFC 7011 3.2: a length, or 65535 for a variable-length field. A field of no bytes
      // would make records that take no room: a data set of them never ends.
      if (len == 0) return false;
      if (id & 0x8000) {
        if (!r.ReadU32(&fs.pen)) return false;
      }
      t.fields.push_back(fs);
    }
    if (!options) t.spec = Schema::Get().MatchFields(t.fields);
    auto old = templates_.find({domain, tid});
    size_t replaced = old != templates_.end() ? old->second.fields.size() : 0;
    if ((old == templates_.end() && templates_.size() >= kMaxTemplates) ||
        template_fields_ - replaced + t.fields.size() > kMaxTemplateFields) {
      ++stats_.templates_refused;
      continue;
    }
    template_fields_ += t.fields.size() - replaced;
    templates_[{domain, tid}] = std::move(t);
    ++stats_.templates;
  }
  return true;
}

void SetFieldFromWire(const FieldSpec& fs, absl::string_view wire, Message* msg) {
  const Reflection* r = msg->GetReflection();
  const FieldDescriptor* f = fs.field;
  ByteReader br(wire);
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      for (char c : wire) v = (v << 8) | static_cast<uint8_t>(c);
      r->SetUInt32(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      for (char c : wire) v = (v << 8) | static_cast<uint8_t>(c);
      r->SetUInt64(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(msg, f, std::string(wire));
      break;
    default:
      break;
  }
}

bool IpfixDecoder::DecodeDataSet(uint32_t domain, uint16_t set_id, absl::string_view set,
                                 uint32_t export_time, uint32_t sequence) {
  auto it = templates_.find({domain, set_id});
  if (it == templates_.end()) {
    ++stats_.missing_template;
    return true;
  }
  const Template& t = it->second;
  size_t min_len = 0;
  for (const auto& f : t.fields) min_len += f.length == kVariableLength ? 1 : f.length;
  ByteReader r(set);
  // Every field takes at least a byte (fixed lengths are not 0; a variable length has its
  // length byte): each record moves on, and what is shorter than a record is padding.
  while (r.remaining() >= std::max<size_t>(min_len, 1)) {
    if (t.options) {
      // Options data (e.g. RFC 5610 element types) describe the exporter, not traffic.
      for (const auto& f : t.fields) {
        size_t len = f.length;
        if (len == kVariableLength) {
          uint8_t l8;
          uint16_t l16;
          if (!r.ReadU8(&l8)) return false;
          len = l8;
          if (l8 == 255) {
            if (!r.ReadU16(&l16)) return false;
            len = l16;
          }
        }
        if (!r.Skip(len)) return false;
      }
      ++stats_.options_records;
      continue;
    }
    DecodedRecord rec;
    rec.domain_id = domain;
    rec.export_time = export_time;
    rec.sequence = sequence;
    rec.template_id = set_id;
    rec.spec = t.spec;
    if (t.spec) {
      rec.message.reset(google::protobuf::MessageFactory::generated_factory()
                            ->GetPrototype(t.spec->message)
                            ->New());
    }
    for (size_t i = 0; i < t.fields.size(); ++i) {
      size_t len = t.fields[i].length;
      if (len == kVariableLength) {
        uint8_t l8;
        if (!r.ReadU8(&l8)) return false;
        len = l8;
        if (l8 == 255) {
          uint16_t l16;
          if (!r.ReadU16(&l16)) return false;
          len = l16;
        }
      }
      absl::string_view v;
      if (!r.ReadView(len, &v)) return false;
      if (t.spec) {
        SetFieldFromWire(t.spec->fields[i], v, rec.message.get());
      } else {
        rec.raw.push_back({t.fields[i].pen, t.fields[i].id, std::string(v)});
      }
    }
    ++stats_.records;
    cb_(rec);
  }
  return true;
}

}  // namespace xsensor
