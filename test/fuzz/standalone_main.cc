// Runs a fuzz target without libFuzzer: seeds from capture files (all their frames, in order,
// as one input), then a fixed number of deterministic mutations of each seed (bit flips, byte
// overwrites, truncations, splices), so every run is reproducible. Usage:
//   worker_fuzz_smoke ITERATIONS_PER_SEED PCAP...
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
std::string Seed(const char* path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path, err);
  std::string out;
  if (!p) return out;
  if (pcap_datalink(p) == DLT_EN10MB) {
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1 && out.size() < (1 << 20)) {
      size_t len = std::min<size_t>(h->caplen, 4095);
      out.push_back(static_cast<char>(len >> 8));
      out.push_back(static_cast<char>(len));
      out.append(reinterpret_cast<const char*>(d), len);
    }
  }
  pcap_close(p);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s ITERATIONS_PER_SEED PCAP...\n", argv[0]);
    return 2;
  }
  int iterations = atoi(argv[1]);
  std::mt19937_64 rng(20261126);
  size_t runs = 0;
  for (int i = 2; i < argc; ++i) {
    std::string seed = Seed(argv[i]);
    if (seed.empty()) continue;
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    ++runs;
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
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(m.data()), m.size());
      ++runs;
    }
  }
  printf("%zu inputs, no crash\n", runs);
  return 0;
}
