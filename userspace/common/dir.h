// The two directions of a flow, named by its roles: what the client sends and what the server
// sends. Shared by the flow table, the parsers and record assembly.
#pragma once

#include <cstdint>

namespace xsensor {

enum class Dir : uint8_t { kToServer = 0, kToClient = 1 };

inline Dir Opposite(Dir d) { return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer; }

}  // namespace xsensor
