// Readers for the peers' expected outputs in shared/corpus/*/oracles.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xsensor::testing {

// A Zeek TSV log: one map per row, field name -> value. "-" (unset) is kept as "-";
// "(empty)" becomes ""; \xNN escapes are decoded. The field names come from "#fields", or
// from the first line where there is none (zeek-cut output).
std::vector<std::map<std::string, std::string>> ReadZeekLog(const std::string& path);

// A CSV file with a header line (ipfixprobe outputs): one map per row keyed by the column
// name without its type prefix ("string HTTP_REQUEST_HOST" -> "HTTP_REQUEST_HOST").
std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& path);

// Runs a shell command and returns its standard output ("" if it could not run).
std::string RunCommand(const std::string& command, int* exit_code = nullptr);
bool HaveCommand(const std::string& name);

}  // namespace xsensor::testing
