// Fuzz target for the RADIUS accounting listener's request handling (RadiusListener::Handle):
// the first byte picks whether the rest is taken as it is (1 in 4: the authenticator check
// refuses almost everything) or as a request that is signed first with the listener's secret,
// so that the attribute walk, the duplicate and stale rules and the session table are reached;
// the second byte picks one of four NAS addresses. One listener for the whole run: its tables
// grow and meet their bounds as a real one's do.
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "common/net_address.h"
#include "fuzz_input.h"
#include "sensor/radius.h"

namespace {

constexpr char kSecret[] = "fuzz-secret";

xsensor::RadiusListener* Listener() {
  static std::unique_ptr<xsensor::RadiusListener> l = [] {
    auto ep = xsensor::ParseEndpoint("127.0.0.1:0", true);
    auto r = xsensor::RadiusListener::Open(*ep, kSecret, false);  // no thread: Handle directly
    if (!r.ok()) __builtin_trap();
    (*r)->set_max_sessions(4096);
    return std::move(*r);
  }();
  return l.get();
}

// Code 4, the input's identifier and attributes, a correct Length and Request Authenticator.
std::string Signed(const xsensor::fuzz::Piece& in) {
  std::string attrs(in.chars() + (in.size() > 0 ? 1 : 0), in.size() > 0 ? in.size() - 1 : 0);
  if (attrs.size() > 4000) attrs.resize(4000);
  const size_t len = 20 + attrs.size();
  std::string head = {4, in.size() > 0 ? in.chars()[0] : '\0', static_cast<char>(len >> 8),
                      static_cast<char>(len & 0xff)};
  std::string signed_part = head + std::string(16, '\0') + attrs + kSecret;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(signed_part.data(), signed_part.size(), md, &n, EVP_md5(), nullptr);
  return head + std::string(reinterpret_cast<char*>(md), 16) + attrs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xsensor::fuzz::Reader in(data, size);
  const uint8_t how = in.Byte();
  static const char* const kNas[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1", "198.51.100.7"};
  const std::string nas = kNas[in.Byte() % 4];
  xsensor::fuzz::Piece rest = in.Take(size);
  // Each packet in its own allocation: a read past its end is a report, not the next bytes.
  const std::string packet = how % 4 == 0 ? std::string(rest.chars(), rest.size()) : Signed(rest);
  xsensor::fuzz::Piece bytes(reinterpret_cast<const uint8_t*>(packet.data()), packet.size());
  const std::string answer =
      Listener()->Handle(absl::string_view(bytes.chars(), bytes.size()), nas);
  // An answer is an Accounting-Response of 20 bytes, to an authentic request only.
  if (!answer.empty() && (answer.size() != 20 || answer[0] != 5)) __builtin_trap();
  return 0;
}
