// Human-readable and machine-readable counter reports for a worker and the exporter.
#pragma once

#include <string>

#include "export/exporter.h"
#include "sensor/worker.h"

namespace xsensor {

// "name value" lines, one counter per line, grouped by prefix (decode., flow., parser., ...).
std::string CountersText(const Worker& worker, const Exporter* exporter);

}  // namespace xsensor
