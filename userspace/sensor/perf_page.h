// The live performance page served at / beside /metrics (sensor/perf_page.html, embedded at
// build time): totals, per-second rates and two-minute charts read from /metrics each second.
#pragma once

namespace xsensor {

extern const char kPerfPage[];

}  // namespace xsensor
