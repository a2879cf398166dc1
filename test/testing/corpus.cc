#include "testing/corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace xsensor::testing {

std::string SharedDir() {
  const char* env = std::getenv("XSENSOR_SHARED_DIR");
  std::string dir = env ? env : XSENSOR_SHARED_DIR_DEFAULT;
  return std::filesystem::is_directory(dir) ? dir : "";
}

std::string CorpusFile(const std::string& rel) {
  std::string dir = SharedDir();
  if (dir.empty()) return "";
  std::string p = dir + "/corpus/" + rel;
  return std::filesystem::exists(p) ? p : "";
}

std::vector<std::string> AllCorpusCaptures() {
  std::vector<std::string> out;
  std::string dir = SharedDir();
  if (dir.empty()) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/corpus")) {
    std::string ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace xsensor::testing
