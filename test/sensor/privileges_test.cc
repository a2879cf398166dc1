// The folders the sensor writes in as `user=`: a missing one is made and given to the user; an
// existing one (it may be /tmp, or hold others' files) is never changed, and refused when the
// user cannot write in it. As root only (chown).
#include "sensor/privileges.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"

namespace xsensor {
namespace {

TEST(PrepareFoldersForTest, MakesAndGivesWhatIsMissingLeavesWhatExists) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (chown)";
  const passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user nobody";
  char tmpl[] = "/tmp/xs-priv-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;  // 0700, root's: as /tmp is shared, a folder not the sensor's
  const std::string fresh = root + "/logs/sensor";
  ASSERT_TRUE(PrepareFoldersFor({fresh}, "nobody", nobody->pw_uid, nobody->pw_gid).ok());
  struct stat st;
  ASSERT_EQ(stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);
  ASSERT_EQ(stat((root + "/logs").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid) << "the folders it made, top first";
  // The existing parent: not given away, and refused (nobody cannot write in it).
  absl::Status s = PrepareFoldersFor({root}, "nobody", nobody->pw_uid, nobody->pw_gid);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "cannot write in " + root)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "does not change a folder it did not make")) << s;
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "left as it was";
  // An existing folder the user may write in (as /tmp, sticky and 1777): taken as it is.
  ASSERT_EQ(chmod(root.c_str(), 01777), 0);
  EXPECT_TRUE(PrepareFoldersFor({root}, "nobody", nobody->pw_uid, nobody->pw_gid).ok());
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  // A file where a folder is named: refused, not replaced.
  const std::string file = root + "/dns.log";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  s = PrepareFoldersFor({file}, "nobody", nobody->pw_uid, nobody->pw_gid);
  EXPECT_TRUE(absl::StrContains(s.message(), "is not a folder")) << s;
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace xsensor
