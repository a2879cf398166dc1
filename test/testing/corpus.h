// Locating the shared test data (spec, corpus). Tests that need it skip, saying why, when the
// folder is absent.
#pragma once

#include <string>
#include <vector>

namespace xsensor::testing {

// The shared/ folder (XSENSOR_SHARED_DIR at build time, or $XSENSOR_SHARED_DIR); empty if absent.
std::string SharedDir();
// SharedDir() + "/corpus/" + rel, or empty when it does not exist.
std::string CorpusFile(const std::string& rel);
// Every capture file under corpus/ (pcap and pcapng), sorted.
std::vector<std::string> AllCorpusCaptures();
std::string ReadFile(const std::string& path);

#define XS_REQUIRE_FILE(path)                                                                    \
  do {                                                                                           \
    if ((path).empty()) GTEST_SKIP() << "shared corpus/spec not found (set XSENSOR_SHARED_DIR)"; \
  } while (0)

}  // namespace xsensor::testing
