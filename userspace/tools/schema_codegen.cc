// Build-time generator: compiles the record schema (proto/xsensor/records.proto, through the
// same Schema the exporter and the receiver use) into C++ that encodes each IPFIX template's
// data record by reading the message's fields through their generated accessors, in template
// order. The exporter then encodes without protobuf reflection, and the schema stays the one
// definition: change a field there and the encoders follow at the next build.
//   xsensor-schema-codegen OUT.cc
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "schema/schema.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// "xsensor.schema.Clickstream" -> "::xsensor::schema::Clickstream"
std::string CppClass(const Descriptor* d) {
  std::string out = "::";
  for (char c : d->full_name()) {
    if (c == '.') {
      out += "::";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FieldLine(const xsensor::FieldSpec& fs) {
  const FieldDescriptor* f = fs.field;
  std::string get = "r." + std::string(f->name()) + "()";
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      if (fs.length == 1) return "  PutU8(out, static_cast<uint8_t>(" + get + "));\n";
      if (fs.length == 2) return "  PutU16(out, static_cast<uint16_t>(" + get + "));\n";
      return "  PutU32(out, " + get + ");\n";
    case FieldDescriptor::CPPTYPE_UINT64:
      return "  PutU64(out, " + get + ");\n";
    case FieldDescriptor::CPPTYPE_STRING:
      if (fs.length == xsensor::kVariableLength) return "  cut += PutVariable(out, " + get + ");\n";
      return "  PutFixed(out, " + get + ", " + std::to_string(fs.length) + ");\n";
    default:
      return "  out->append(" +
             std::to_string(fs.length == xsensor::kVariableLength ? 1 : fs.length) +
             ", '\\0');  // " + std::string(f->name()) + ": no value of this type\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUT.cc\n";
    return 2;
  }
  const auto& schema = xsensor::Schema::Get();
  std::string s;
  s += "// Generated at build time by xsensor-schema-codegen from proto/xsensor/records.proto.\n"
       "// Do not edit: change the schema.\n"
       "#include \"ipfix/record_codec.h\"\n\n"
       "#include \"common/byte_reader.h\"\n"
       "#include \"xsensor/records.pb.h\"\n\n"
       "namespace xsensor {\nnamespace {\n\n"
       "int PutVariable(std::string* out, const std::string& v) {\n"
       "  size_t n = v.size() > kMaxVarFieldLen ? kMaxVarFieldLen : v.size();\n"
       "  if (n < 255) {\n    PutU8(out, static_cast<uint8_t>(n));\n  } else {\n"
       "    PutU8(out, 255);\n    PutU16(out, static_cast<uint16_t>(n));\n  }\n"
       "  out->append(v.data(), n);\n  return n < v.size() ? 1 : 0;\n}\n\n"
       "// Fixed-size octets (addresses): exactly `length` bytes, zero-filled when absent.\n"
       "void PutFixed(std::string* out, const std::string& v, size_t length) {\n"
       "  size_t n = v.size() < length ? v.size() : length;\n"
       "  out->append(v.data(), n);\n  out->append(length - n, '\\0');\n}\n\n";
  for (const auto& t : schema.templates()) {
    std::string cls = CppClass(t.message);
    s += "// " + t.name + (t.ipv6 ? " (IPv6)" : " (IPv4)") + ", template " +
         std::to_string(t.template_id) + "\n";
    s += "int Encode" + std::to_string(t.template_id) +
         "(const google::protobuf::Message& m, std::string* out) {\n";
    s += "  const auto& r = static_cast<const " + cls + "&>(m);\n  int cut = 0;\n";
    for (const auto& fs : t.fields) s += FieldLine(fs);
    s += "  return cut;\n}\n\n";
  }
  s += "}  // namespace\n\nconst std::vector<CompiledRecordType>& CompiledRecordTypes() {\n"
       "  static const auto* types = new std::vector<CompiledRecordType>{\n";
  for (const google::protobuf::Descriptor* d : schema.Messages()) {
    const xsensor::TemplateSpec* v4 = schema.Find(d, false);
    const xsensor::TemplateSpec* v6 = schema.Find(d, true);
    if (!v4 || !v6) {
      std::cerr << d->full_name() << ": no IPv4 and IPv6 template\n";
      return 1;
    }
    std::string cls = CppClass(d);
    const FieldDescriptor* src = d->FindFieldByNumber(3);
    std::string sid = v4->session_id
                          ? "static_cast<const " + cls + "&>(m)." + v4->session_id->name() + "()"
                          : "0";
    s += "      {" + cls + "::descriptor(), " + std::to_string(v4->template_id) + ", " +
         std::to_string(v6->template_id) + ", &Encode" + std::to_string(v4->template_id) +
         ", &Encode" + std::to_string(v6->template_id) +
         ",\n       [](const google::protobuf::Message& m) { return static_cast<const " + cls +
         "&>(m)." + src->name() + "().size() == 16; },\n" +
         "       [](const google::protobuf::Message& m) -> uint64_t { return " + sid + "; }},\n";
  }
  s += "  };\n  return *types;\n}\n\n}  // namespace xsensor\n";
  std::string tmp = std::string(argv[1]) + ".tmp";
  std::ofstream(tmp) << s;
  if (std::rename(tmp.c_str(), argv[1]) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
