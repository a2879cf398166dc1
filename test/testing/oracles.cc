#include "testing/oracles.h"

#include <sys/wait.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "testing/corpus.h"

namespace xsensor::testing {
namespace {

std::string Unescape(const std::string& v) {
  if (v == "(empty)") return "";
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t b;
    if (v[i] == '\\' && i + 3 < v.size() + 0 && v[i + 1] == 'x' &&
        absl::SimpleHexAtoi(v.substr(i + 2, 2), &b)) {
      out += static_cast<char>(b);
      i += 3;
    } else {
      out += v[i];
    }
  }
  return out;
}

}  // namespace

std::vector<std::map<std::string, std::string>> ReadZeekLog(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> fields;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    if (absl::StartsWith(line, "#fields\t")) {
      fields = absl::StrSplit(line.substr(8), '\t');
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (fields.empty()) {  // "zeek-cut" output: a plain header line
      fields = cols;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < fields.size() && i < cols.size(); ++i) {
      row[fields[i]] = Unescape(cols[i]);
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& path) {
  // ipfixprobe writes its typed header ("uint16 SRC_PORT,...") after the rows.
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> header;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cols.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    cols.push_back(cur);
    bool is_header = header.empty();
    for (const auto& c : cols) {
      size_t sp = c.find(' ');
      is_header =
          is_header && sp != std::string::npos && sp > 0 &&
          c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", sp + 1) == std::string::npos;
    }
    if (is_header) {
      for (auto& h : cols) header.push_back(h.substr(h.find(' ') + 1));
    } else {
      lines.push_back(cols);
    }
  }
  std::vector<std::map<std::string, std::string>> rows;
  for (const auto& cols : lines) {
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cols.size(); ++i) row[header[i]] = cols[i];
    rows.push_back(row);
  }
  return rows;
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (exit_code) *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

bool HaveCommand(const std::string& name) {
  int rc = -1;
  RunCommand("command -v " + name + " >/dev/null 2>&1", &rc);
  return rc == 0;
}

}  // namespace xsensor::testing
