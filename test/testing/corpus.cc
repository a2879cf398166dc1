#include "testing/corpus.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

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

FileThroughPipe::FileThroughPipe(const std::string& file) {
  if (pipe(fds_) != 0) return;
  writer_ = std::thread([this, bytes = ReadFile(file)] {
    // A reader that stops early closes its end: write() then fails (EPIPE) instead of
    // killing the process.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    for (size_t at = 0; at < bytes.size();) {
      ssize_t n = write(fds_[1], bytes.data() + at, bytes.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    close(fds_[1]);
  });
}

FileThroughPipe::~FileThroughPipe() {
  if (fds_[0] >= 0) close(fds_[0]);  // a writer still blocked gets EPIPE
  if (writer_.joinable()) writer_.join();
}

std::string FileThroughPipe::path() const { return "/proc/self/fd/" + std::to_string(fds_[0]); }

}  // namespace xsensor::testing
