// The schema in proto/ against spec/templates.tsv, field by field, for all nine record types
// and their IPv6 twins.
#include "schema/schema.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "testing/corpus.h"

namespace xsensor {
namespace {

struct TsvRow {
  std::string tmpl, name, length, pen;
  int order = 0, id = 0;
};

// "TIME_STAMP" -> "time_stamp"; "sourceTransportPort" -> "source_transport_port".
std::string SnakeName(const std::string& n) {
  if (n.find('_') != std::string::npos || absl::AsciiStrToUpper(n) == n) {
    return absl::AsciiStrToLower(n);
  }
  std::string out;
  for (char c : n) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::vector<TsvRow>> ReadTsv(const std::string& path) {
  std::map<std::string, std::vector<TsvRow>> out;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(testing::ReadFile(path), '\n')) {
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> c = absl::StrSplit(line, '\t');
    TsvRow r;
    r.tmpl = c[0];
    EXPECT_TRUE(absl::SimpleAtoi(c[1], &r.order));
    EXPECT_TRUE(absl::SimpleAtoi(c[2], &r.id));
    r.pen = c[3];
    r.length = c[4];
    r.name = c[6];
    out[r.tmpl].push_back(r);
  }
  return out;
}

TEST(SchemaTest, MatchesSpecTemplatesTsvFieldByField) {
  std::string dir = testing::SharedDir();
  XS_REQUIRE_FILE(dir);
  auto tsv = ReadTsv(dir + "/spec/templates.tsv");
  ASSERT_EQ(tsv.size(), 9u);
  std::set<std::string> checked;
  for (const TemplateSpec& t : Schema::Get().templates()) {
    SCOPED_TRACE(t.name + (t.ipv6 ? " (IPv6)" : " (IPv4)"));
    auto it = tsv.find(t.name);
    ASSERT_NE(it, tsv.end()) << "template not in the spec";
    const auto& rows = it->second;
    ASSERT_EQ(t.fields.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const TsvRow& r = rows[i];
      const FieldSpec& f = t.fields[i];
      SCOPED_TRACE(r.name);
      EXPECT_EQ(r.order, static_cast<int>(i + 1));
      EXPECT_EQ(f.field->name(), SnakeName(r.name));
      EXPECT_EQ(f.field->number(), r.order);
      bool ip = r.id == 1003 || r.id == 1004;
      EXPECT_EQ(f.id, t.ipv6 && ip ? r.id + 100 : r.id);
      // SPEC decision: TCP_SEQUENCE (2018) uses PEN 43823 everywhere, also in raw.
      uint32_t pen = r.pen.empty() ? (r.id == 2018 ? 43823u : 0u) : std::stoul(r.pen);
      EXPECT_EQ(f.pen, pen);
      uint16_t len = r.length == "var" ? kVariableLength : std::stoi(r.length);
      EXPECT_EQ(f.length, t.ipv6 && ip ? 16 : len);
      if (t.ipv6 && ip) {
        EXPECT_EQ(f.type, schema::IPV6_ADDRESS);
      }
    }
    checked.insert(t.name + (t.ipv6 ? "6" : "4"));
  }
  EXPECT_EQ(checked.size(), 18u);
}

TEST(SchemaTest, TemplateIdsAreStableAndDistinct) {
  std::set<uint16_t> ids;
  const char* names[] = {"clickstream", "http_reply", "ssl_reply", "sip", "ftp",
                         "im",          "mail",       "raw",       "dns"};
  int i = 0;
  for (const char* n : names) {
    for (bool v6 : {false, true}) {
      const TemplateSpec* found = nullptr;
      for (const auto& t : Schema::Get().templates()) {
        if (t.name == n && t.ipv6 == v6) found = &t;
      }
      ASSERT_NE(found, nullptr) << n;
      // Documented in the README: 256 + 2*index for IPv4, the next id for IPv6.
      EXPECT_EQ(found->template_id, 256 + 2 * i + (v6 ? 1 : 0)) << n;
      ids.insert(found->template_id);
    }
    ++i;
  }
  EXPECT_EQ(ids.size(), 18u);
  EXPECT_EQ(ids.count(300), 0u);  // reserved for the RFC 5610 options template
}

TEST(SchemaTest, StreamsFollowTheSpec) {
  for (const auto& t : Schema::Get().templates()) {
    if (t.name == "clickstream" || t.name == "http_reply" || t.name == "ssl_reply") {
      EXPECT_EQ(t.stream, schema::CLICKSTREAM) << t.name;
    } else if (t.name == "dns") {
      EXPECT_EQ(t.stream, schema::DNS);
    } else {
      EXPECT_EQ(t.stream, schema::METADATA) << t.name;
    }
  }
}

TEST(SchemaTest, MatchFieldsFindsEachTemplateByItsFieldList) {
  for (const auto& t : Schema::Get().templates()) {
    EXPECT_EQ(Schema::Get().MatchFields(t.fields), &t) << t.name;
  }
  std::vector<FieldSpec> other = Schema::Get().templates()[0].fields;
  other.pop_back();
  EXPECT_EQ(Schema::Get().MatchFields(other), nullptr);
}

}  // namespace
}  // namespace xsensor
