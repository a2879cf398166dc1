#include "common/logging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace xsensor {
namespace {

// Runs `log` with stderr sent to a file whose device and inode JOURNAL_STREAM names (as
// systemd does for a service whose stderr is the journal) or not; returns what was written.
template <typename Fn>
std::string Captured(bool name_it, Fn log) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/log-", ::getpid());
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  struct stat st;
  EXPECT_EQ(::fstat(fd, &st), 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  ::setenv("JOURNAL_STREAM",
           absl::StrCat(st.st_dev, ":", name_it ? st.st_ino : st.st_ino + 1).c_str(), 1);
  DetectJournalStderr();
  log();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::unsetenv("JOURNAL_STREAM");
  DetectJournalStderr();
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  ::unlink(path.c_str());
  return out.str();
}

TEST(LoggingTest, JournalLinesCarrySyslogPriorities) {
  const std::string journal = Captured(true, [] {
    XS_LOG_ERROR("collector 10.0.0.1:4739 down");
    XS_LOG_WARN("ring full");
    XS_LOG_INFO("capturing");
  });
  EXPECT_EQ(journal, "<3>collector 10.0.0.1:4739 down\n<4>ring full\n<6>capturing\n");
}

TEST(LoggingTest, OtherwiseLinesCarryTimeAndLevel) {
  // JOURNAL_STREAM inherited, but stderr was redirected elsewhere: plain lines.
  const std::string plain = Captured(false, [] { XS_LOG_ERROR("bad"); });
  ASSERT_GT(plain.size(), 30u);
  EXPECT_EQ(plain.substr(0, 2), "20");  // 20YY-MM-DDTHH:MM:SS.mmmZ
  EXPECT_NE(plain.find("Z ERROR bad\n"), std::string::npos) << plain;
}

}  // namespace
}  // namespace xsensor
