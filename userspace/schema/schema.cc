#include "schema/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "common/byte_reader.h"
#include "google/protobuf/text_format.h"
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
  // Every enterprise element documented once (a build that breaks this fails every test).
  schema::ElementDocs docs;
  auto fatal = [](const std::string& what) {
    std::fprintf(stderr, "xsensor: proto/xsensor/elements.textproto: %s\n", what.c_str());
    std::abort();
  };
  if (!google::protobuf::TextFormat::ParseFromString(kElementDocsText, &docs)) fatal("unreadable");
  std::map<uint16_t, const schema::ElementDoc*> by_id;
  std::set<std::string> names;
  for (const auto& d : docs.element()) {
    if (!by_id.emplace(static_cast<uint16_t>(d.id()), &d).second ||
        !names.insert(d.name()).second) {
      fatal("element " + std::to_string(d.id()) + " (" + d.name() + ") twice");
    }
    if (d.description().empty()) fatal("element " + d.name() + " has no description");
  }
  std::map<uint16_t, std::set<std::string>> field_names;  // the names the fields give each id
  for (const auto& t : templates_) {
    for (const auto& fs : t.fields) {
      std::string name = absl::AsciiStrToUpper(fs.field->name());
      if (fs.type == schema::IPV6_ADDRESS) name += "_V6";
      field_names[fs.id].insert(name);
    }
  }
  for (const auto& t : templates_) {
    for (const auto& fs : t.fields) {
      if (fs.pen != kXsensorPen) continue;
      if (std::any_of(elements_.begin(), elements_.end(),
                      [&fs](const ElementInfo& e) { return e.id == fs.id; })) {
        continue;
      }
      auto it = by_id.find(fs.id);
      if (it == by_id.end()) fatal("no entry for element " + std::to_string(fs.id));
      const schema::ElementDoc& d = *it->second;
      if (!field_names[fs.id].count(d.name())) {
        fatal("element " + std::to_string(fs.id) + " is named " + d.name() + ", no field's name");
      }
      elements_.push_back(
          {fs.pen, fs.id, fs.type, d.name(), d.semantics(), d.units(), d.description()});
    }
  }
  if (elements_.size() != by_id.size()) fatal("entries for elements no template uses");
  std::sort(elements_.begin(), elements_.end(),
            [](const ElementInfo& a, const ElementInfo& b) { return a.id < b.id; });
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
      for (const auto& e : elements_) {
        if (e.id == fs.id) out.push_back(e);
      }
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

const char* SemanticsName(schema::Semantics semantics) {
  switch (semantics) {
    case schema::SEMANTICS_QUANTITY:
      return "quantity";
    case schema::SEMANTICS_TOTAL_COUNTER:
      return "totalCounter";
    case schema::SEMANTICS_DELTA_COUNTER:
      return "deltaCounter";
    case schema::SEMANTICS_IDENTIFIER:
      return "identifier";
    case schema::SEMANTICS_FLAGS:
      return "flags";
    case schema::SEMANTICS_LIST:
      return "list";
    default:
      return "default";
  }
}

const char* UnitsName(schema::Units units) {
  switch (units) {
    case schema::UNITS_OCTETS:
      return "octets";
    case schema::UNITS_SECONDS:
      return "seconds";
    default:
      return "none";
  }
}

}  // namespace xsensor
