// Locating the shared test data (spec, corpus). Tests that need it skip, saying why, when the
// folder is absent.
#pragma once

#include <string>
#include <thread>
#include <vector>

namespace xsensor::testing {

// The shared/ folder (XSENSOR_SHARED_DIR at build time, or $XSENSOR_SHARED_DIR); empty if absent.
std::string SharedDir();
// SharedDir() + "/corpus/" + rel, or empty when it does not exist.
std::string CorpusFile(const std::string& rel);
// Every capture file under corpus/ (pcap and pcapng), sorted.
std::vector<std::string> AllCorpusCaptures();
std::string ReadFile(const std::string& path);

// A file's bytes written into a pipe by a thread of its own, for readers that take a path:
// path() names the read end (/proc/self/fd/N). The writer is joined and both ends closed on
// destruction.
class FileThroughPipe {
 public:
  explicit FileThroughPipe(const std::string& file);
  ~FileThroughPipe();
  FileThroughPipe(const FileThroughPipe&) = delete;
  FileThroughPipe& operator=(const FileThroughPipe&) = delete;
  std::string path() const;

 private:
  int fds_[2] = {-1, -1};
  std::thread writer_;
};

#define XS_REQUIRE_FILE(path)                                                                    \
  do {                                                                                           \
    if ((path).empty()) GTEST_SKIP() << "shared corpus/spec not found (set XSENSOR_SHARED_DIR)"; \
  } while (0)

}  // namespace xsensor::testing
