// Writes the seed corpus of a fuzz target for libFuzzer: one file per seed made from each
// capture (seeds.h). Usage: xsensor-fuzz-seeds OUT_DIR MODE PCAP...
#include <cstdio>
#include <fstream>
#include <string>

#include "seeds.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s OUT_DIR MODE PCAP...\n", argv[0]);
    return 2;
  }
  size_t n = 0;
  for (int i = 3; i < argc; ++i) {
    for (const std::string& s : xsensor::fuzz::SeedsFrom(argv[2], argv[i])) {
      std::ofstream(std::string(argv[1]) + "/seed-" + std::to_string(n++), std::ios::binary) << s;
    }
    if (std::string(argv[2]) == "text") break;
  }
  printf("%zu seeds\n", n);
  return 0;
}
