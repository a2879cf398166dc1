#!/usr/bin/env bash
# The README documents every configuration key the sensor has, with its default.
set -euo pipefail
README=$1 XSENSOR=$2
fail=0 n=0
while IFS='=' read -r key def; do
  n=$((n + 1))
  grep -qF "| \`$key\` | $def |" "$README" || { echo "FAIL: README lacks '| \`$key\` | $def |'"; fail=1; }
done < <("$XSENSOR" --print_config | grep -v '^#' | grep '=')
[ "$n" -ge 20 ] || { echo "FAIL: only $n keys printed"; fail=1; }
echo "checked $n configuration keys"
exit $fail
