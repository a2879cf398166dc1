// CertificateName walks the DER in place; OpenSSL's full X.509 decoder is the independent
// reference here: certificates built with OpenSSL must give the name OpenSSL reads from them.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "parsers/tls/tls_parser.h"

namespace xsensor {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

EVP_PKEY* Key() {
  static EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return key;
}

struct CertSpec {
  int version = 2;                                                // X509v3
  std::vector<std::pair<std::string, std::string>> subject = {};  // (short name, value)
  bool multi_value_rdn = false;  // the last two attributes share one RDN
  std::string san = {};          // e.g. "DNS:a.example,DNS:b.example"
  bool san_critical = false;
  bool basic_constraints = false;
  int cn_type = MBSTRING_UTF8;
};

std::string BuildDer(const CertSpec& spec) {
  X509Ptr x(X509_new());
  X509_set_version(x.get(), spec.version);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_NAME* name = X509_get_subject_name(x.get());
  for (size_t i = 0; i < spec.subject.size(); ++i) {
    const auto& [field, value] = spec.subject[i];
    int set = (spec.multi_value_rdn && i + 1 == spec.subject.size()) ? 1 : 0;
    int type = field == "CN" ? spec.cn_type : MBSTRING_ASC;
    X509_NAME_add_entry_by_txt(name, field.c_str(), type,
                               reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, set);
  }
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), Key());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  auto add_ext = [&](int nid, std::string value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    ASSERT_NE(e, nullptr) << value;
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  };
  if (spec.basic_constraints) add_ext(NID_basic_constraints, "critical,CA:FALSE");
  if (!spec.san.empty()) {
    add_ext(NID_subject_alt_name, (spec.san_critical ? "critical," : "") + spec.san);
  }
  X509_sign(x.get(), Key(), EVP_sha256());
  unsigned char* buf = nullptr;
  int n = i2d_X509(x.get(), &buf);
  std::string der(reinterpret_cast<char*>(buf), n > 0 ? n : 0);
  OPENSSL_free(buf);
  return der;
}

// What OpenSSL reads: the subject's first commonName, else the first DNS subjectAltName.
std::string OpenSslName(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return "";
  X509_NAME* subject = X509_get_subject_name(cert.get());
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       ASN1_STRING_length(s));
  }
  std::string name;
  if (auto* sans = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans) && name.empty(); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type == GEN_DNS) {
        name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                    ASN1_STRING_length(g->d.dNSName));
      }
    }
    GENERAL_NAMES_free(sans);
  }
  return name;
}

struct Case {
  const char* label;
  CertSpec spec;
  const char* expected;
};

TEST(CertificateNameTest, EqualsOpenSslOnBuiltCertificates) {
  std::vector<Case> cases = {
      {"cn only", {.subject = {{"CN", "www.example.com"}}}, "www.example.com"},
      {"o before cn",
       {.subject = {{"C", "DE"}, {"O", "Example"}, {"CN", "shop.example.de"}}},
       "shop.example.de"},
      {"two cns: the first",
       {.subject = {{"CN", "first.example"}, {"CN", "second.example"}}},
       "first.example"},
      {"cn in a multi-valued rdn",
       {.subject = {{"O", "Org"}, {"CN", "mv.example"}}, .multi_value_rdn = true},
       "mv.example"},
      {"no cn, san",
       {.subject = {{"O", "No CN Inc"}}, .san = "IP:192.0.2.1,DNS:san.example,DNS:b"},
       "san.example"},
      {"no cn, critical san after basic constraints",
       {.san = "DNS:crit.example", .san_critical = true, .basic_constraints = true},
       "crit.example"},
      {"cn wins over san",
       {.subject = {{"CN", "cn.example"}}, .san = "DNS:san.example"},
       "cn.example"},
      {"v1, no extensions", {.version = 0, .subject = {{"CN", "v1.example"}}}, "v1.example"},
      {"no cn, san without dns", {.subject = {{"O", "x"}}, .san = "IP:192.0.2.7"}, ""},
      {"utf-8 cn",
       {.subject = {{"CN",
                     "b\xc3\xbc"
                     "cher.example"}}},
       "b\xc3\xbc"
       "cher.example"},
      {"bmp cn: bytes as sent", {.subject = {{"CN", "ab"}}, .cn_type = MBSTRING_BMP}, nullptr},
      {"empty subject, no san", {}, ""},
  };
  for (const Case& c : cases) {
    std::string der = BuildDer(c.spec);
    ASSERT_FALSE(der.empty()) << c.label;
    std::string reference = OpenSslName(der);
    if (c.expected) {
      EXPECT_EQ(reference, c.expected) << c.label << " (the reference itself)";
    }
    EXPECT_EQ(CertificateName(der), reference) << c.label;
  }
}

TEST(CertificateNameTest, CutOrDamagedCertificatesGiveNoNameAndNoOverread) {
  std::string der = BuildDer({2, {{"CN", "cut.example"}}, false, "DNS:cut.example"});
  ASSERT_EQ(CertificateName(der), "cut.example");
  for (size_t n = 0; n < der.size(); ++n) {
    // Each prefix in its own allocation, so that ASan sees any read past its end.
    std::unique_ptr<char[]> copy(new char[n + 1]);
    std::memcpy(copy.get(), der.data(), n);
    EXPECT_EQ(CertificateName(absl::string_view(copy.get(), n)), "") << "cut at " << n;
  }
  // A wrong outer tag, an indefinite length, a length past the end.
  std::string bad = der;
  bad[0] = 0x31;
  EXPECT_EQ(CertificateName(bad), "");
  bad = der;
  bad[1] = static_cast<char>(0x80);
  EXPECT_EQ(CertificateName(bad), "");
  bad = der;
  bad[2] = static_cast<char>(0x7f);
  EXPECT_EQ(CertificateName(bad), "");
}

}  // namespace
}  // namespace xsensor
