// Checks of a configuration against the machine it runs on: values that parse but cannot be
// used (an export interface that does not exist, a login map that does not load, a DNS log
// folder that cannot be made). `xsensor --check_config` and every start run the same checks, so
// a configuration accepted by one is accepted by the other. Errors name where the key was set
// (file and line, or the flag).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "config/config.h"

namespace xsensor {

// Errors: the first unusable value. `warnings` gets what is usable but likely unintended
// (records of a stream that no collector receives while other streams have collectors).
// True when `c` sends records somewhere: a collector of any stream, or the DNS text log.
bool ExportsAnything(const Config& c);

absl::Status CheckConfigEnvironment(const Config& config, std::vector<std::string>* warnings);

}  // namespace xsensor
