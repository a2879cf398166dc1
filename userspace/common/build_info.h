// The release and the commit a binary was built from (`--version`, xsensor_build_info).
#pragma once

namespace xsensor {

// "0.8.0"
const char* BuildVersion();
// `git describe --always --dirty` at configure time ("469d868", "469d868-dirty"); "" when the
// source was not a git checkout.
const char* BuildCommit();

}  // namespace xsensor
