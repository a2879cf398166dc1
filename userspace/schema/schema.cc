#include "schema/schema.h"

#include "absl/strings/ascii.h"
#include "common/byte_reader.h"
#include "xsensor/records.pb.h"

namespace xsensor {

Schema::Schema() {
  const google::protobuf::FileDescriptor* file = schema::Clickstream::descriptor()->file();
  for (int m = 0; m < file->message_type_count(); ++m) {
    const google::protobuf::Descriptor* d = file->message_type(m);
    const auto& topt = d->options().GetExtension(schema::ipfix_template);
    for (bool v6 : {false, true}) {
      TemplateSpec t;
      t.message = d;
      t.name = topt.name();
      t.template_id = static_cast<uint16_t>(v6 ? topt.id_v6() : topt.id_v4());
      t.ipv6 = v6;
      t.stream = topt.stream();
      if (const auto* sid = d->FindFieldByName("session_id");
          sid && sid->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT64) {
        t.session_id = sid;
      }
      for (int i = 0; i < d->field_count(); ++i) {
        const auto* f = d->field(i);
        const auto& fo = f->options().GetExtension(schema::ipfix);
        FieldSpec fs{f, static_cast<uint16_t>(fo.id()), fo.pen(),
                     static_cast<uint16_t>(fo.length()), fo.type()};
        if (v6 && fo.v6_id() != 0) {
          fs.id = static_cast<uint16_t>(fo.v6_id());
          fs.length = 16;
          fs.type = schema::IPV6_ADDRESS;
        }
        t.fields.push_back(fs);
      }
      // RFC 7011 3.4.1: template id, field count, then field specifiers with the
      // enterprise bit set where a PEN follows.
      PutU16(&t.template_record, t.template_id);
      PutU16(&t.template_record, static_cast<uint16_t>(t.fields.size()));
      for (const auto& fs : t.fields) {
        PutU16(&t.template_record, static_cast<uint16_t>(fs.id | (fs.pen ? 0x8000 : 0)));
        PutU16(&t.template_record, fs.length);
        if (fs.pen) PutU32(&t.template_record, fs.pen);
      }
      templates_.push_back(std::move(t));
    }
  }
}

const Schema& Schema::Get() {
  static const Schema* schema = new Schema();
  return *schema;
}

const TemplateSpec* Schema::Find(const google::protobuf::Descriptor* message, bool ipv6) const {
  for (const auto& t : templates_) {
    if (t.message == message && t.ipv6 == ipv6) return &t;
  }
  return nullptr;
}

const TemplateSpec* Schema::FindById(uint16_t id) const {
  for (const auto& t : templates_) {
    if (t.template_id == id) return &t;
  }
  return nullptr;
}

const TemplateSpec* Schema::MatchFields(const std::vector<FieldSpec>& fields) const {
  for (const auto& t : templates_) {
    if (t.fields.size() != fields.size()) continue;
    bool same = true;
    for (size_t i = 0; i < fields.size() && same; ++i) {
      same = t.fields[i].id == fields[i].id && t.fields[i].pen == fields[i].pen &&
             t.fields[i].length == fields[i].length;
    }
    if (same) return &t;
  }
  return nullptr;
}

std::vector<ElementInfo> Schema::EnterpriseElements(schema::Stream stream) const {
  std::vector<ElementInfo> out;
  for (const auto& t : templates_) {
    if (t.stream != stream) continue;
    for (const auto& fs : t.fields) {
      if (fs.pen == 0) continue;
      bool seen = false;
      for (const auto& e : out) seen |= (e.pen == fs.pen && e.id == fs.id);
      if (seen) continue;
      std::string name = absl::AsciiStrToUpper(fs.field->name());
      if (fs.type == schema::IPV6_ADDRESS) name += "_V6";
      out.push_back({fs.pen, fs.id, fs.type, std::move(name)});
    }
  }
  return out;
}

uint8_t Rfc5610DataType(schema::IpfixType type) {
  switch (type) {
    case schema::UNSIGNED8:
      return 1;
    case schema::UNSIGNED16:
      return 2;
    case schema::UNSIGNED32:
      return 3;
    case schema::UNSIGNED64:
      return 4;
    case schema::MAC_ADDRESS:
      return 12;
    case schema::STRING:
      return 13;
    case schema::IPV4_ADDRESS:
      return 18;
    case schema::IPV6_ADDRESS:
      return 19;
    default:
      return 0;  // octetArray
  }
}

std::vector<const google::protobuf::Descriptor*> Schema::Messages() const {
  std::vector<const google::protobuf::Descriptor*> out;
  for (const auto& t : templates_) {
    if (!t.ipv6) out.push_back(t.message);
  }
  return out;
}

const char* IpfixTypeName(schema::IpfixType type) {
  switch (type) {
    case schema::UNSIGNED8:
      return "unsigned8";
    case schema::UNSIGNED16:
      return "unsigned16";
    case schema::UNSIGNED32:
      return "unsigned32";
    case schema::UNSIGNED64:
      return "unsigned64";
    case schema::STRING:
      return "string";
    case schema::OCTET_ARRAY:
      return "octetArray";
    case schema::IPV4_ADDRESS:
      return "ipv4Address";
    case schema::IPV6_ADDRESS:
      return "ipv6Address";
    case schema::MAC_ADDRESS:
      return "macAddress";
    default:
      return "?";
  }
}

}  // namespace xsensor
