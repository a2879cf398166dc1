// Fuzz target for what the sensor reads as text: the first byte picks the configuration file
// parser (0), the login map parser (1) or the metrics endpoint's request parser (2); the rest
// is the text, in its own allocation.
#include "config/config.h"
#include "fuzz_input.h"
#include "records/login_map.h"
#include "sensor/metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xsensor::fuzz::Reader in(data, size);
  const uint8_t which = in.Byte() % 3;
  xsensor::fuzz::Piece text = in.Take(size);
  absl::string_view view(text.chars(), text.size());
  if (which == 0) {
    xsensor::Config config = xsensor::DefaultConfig();
    std::vector<std::string> warnings;
    (void)xsensor::ParseConfigText("fuzz.conf", view, &config, &warnings);
  } else if (which == 1) {
    auto table = xsensor::LoginTable::Parse("fuzz.map", view);
    if (table.ok()) {
      static const char v4[4] = {10, 0, 0, 1};
      static const char v6[16] = {0x20, 0x01, 0x0d, (char)0xb8};
      (void)(*table)->Find({v4, 4});
      (void)(*table)->Find({v6, 16});
    }
  } else {
    std::string path;
    if (xsensor::MetricsServer::RequestPath(view, &path) && path.size() > view.size()) {
      __builtin_trap();  // a path longer than the request it came from
    }
  }
  return 0;
}
