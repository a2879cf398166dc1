// Seed inputs for the fuzz targets, made from captures (fuzz_input.h gives the formats).
#ifndef XSENSOR_TEST_FUZZ_SEEDS_H_
#define XSENSOR_TEST_FUZZ_SEEDS_H_

#include <string>
#include <vector>

namespace xsensor::fuzz {

// "frames", "chunks", "segments", "ipfix" (the records the sensor makes of the capture, as
// the IPFIX messages a collector receives) or "text" (built-in configuration, login map and
// request texts; the capture is not read). Empty when the capture gives nothing.
std::vector<std::string> SeedsFrom(const std::string& mode, const std::string& pcap_path);

}  // namespace xsensor::fuzz

#endif  // XSENSOR_TEST_FUZZ_SEEDS_H_
