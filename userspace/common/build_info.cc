#include "common/build_info.h"

namespace xsensor {

const char* BuildVersion() { return XSENSOR_VERSION; }
const char* BuildCommit() { return XSENSOR_GIT; }

}  // namespace xsensor
