// libbpf's messages reach the sensor's logger: its format, its levels.
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "capture/xdp_program.h"
#include "common/logging.h"

namespace xsensor {
namespace {

// What libbpf writes while it fails to open a missing object file, with stderr in a file.
std::string LibbpfOpenMissing() {
  const std::string path = absl::StrCat(::testing::TempDir(), "/bpflog-", ::getpid());
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  bpf_object* obj = bpf_object__open_file("/nonexistent/xsensor-test.bpf.o", nullptr);
  EXPECT_EQ(libbpf_get_error(obj), -ENOENT);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  ::unlink(path.c_str());
  return out.str();
}

TEST(BpfLibraryLogTest, LibbpfWarningsAreTheSensorsWarningLines) {
  RouteBpfLibraryLogs();
  RouteBpfLibraryLogs();  // idempotent
  const std::string got = LibbpfOpenMissing();
  // "2026-12-04T04:05:06.789Z WARN libbpf: elf: failed to open /nonexistent/...": one line,
  // the logger's time stamp and level, libbpf's text without its newline.
  EXPECT_NE(got.find("Z WARN libbpf: "), std::string::npos) << got;
  EXPECT_NE(got.find("/nonexistent/xsensor-test.bpf.o"), std::string::npos) << got;
  EXPECT_EQ(got.find("\n\n"), std::string::npos) << got;
  EXPECT_EQ(got.rfind("libbpf: ", 0), std::string::npos) << "not libbpf's own stderr line";
}

TEST(BpfLibraryLogTest, TheLoggersLevelHoldsForLibbpf) {
  RouteBpfLibraryLogs();
  SetLogLevel(LogLevel::kError);
  const std::string got = LibbpfOpenMissing();
  SetLogLevel(LogLevel::kInfo);
  EXPECT_EQ(got, "");
}

}  // namespace
}  // namespace xsensor
