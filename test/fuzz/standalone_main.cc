// Runs a fuzz target without libFuzzer: seeds made from captures (seeds.h), then a fixed number
// of deterministic mutations of each seed (bit flips, byte overwrites, truncations, splices),
// so every run is reproducible. Usage:
//   TARGET_smoke ITERATIONS_PER_SEED MODE PCAP...
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "seeds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ITERATIONS_PER_SEED MODE PCAP...\n", argv[0]);
    return 2;
  }
  int iterations = atoi(argv[1]);
  const std::string mode = argv[2];
  std::mt19937_64 rng(20261126);
  size_t runs = 0;
  auto run = [&runs](const std::string& input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    ++runs;
  };
  std::vector<std::string> seeds;
  for (int i = 3; i < argc; ++i) {
    for (std::string& s : xsensor::fuzz::SeedsFrom(mode, argv[i])) seeds.push_back(std::move(s));
    if (mode == "text") break;  // the texts are built in
  }
  for (const std::string& seed : seeds) {
    run(seed);
    for (int k = 0; k < iterations; ++k) {
      std::string m = seed;
      int edits = 1 + static_cast<int>(rng() % 16);
      for (int e = 0; e < edits && !m.empty(); ++e) {
        size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m[at] = static_cast<char>(m[at] ^ (1 << (rng() % 8)));
            break;
          case 1:
            m[at] = static_cast<char>(rng());
            break;
          case 2:
            m.resize(at);
            break;
          default:
            m.insert(at, m.substr(rng() % m.size(), rng() % 64));
            break;
        }
      }
      run(m);
    }
  }
  printf("%zu seeds, %zu inputs, no crash\n", seeds.size(), runs);
  return seeds.empty() ? 1 : 0;
}
