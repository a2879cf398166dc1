#!/usr/bin/env bash
# The documentation against the program: docs/configuration.md documents every configuration
# key with its default (the table is the program's own, --print_config), the README stays a
# front door (under 250 lines) whose links to docs/ all lead to a file, and the README and
# docs/ speak of the project as it is (no commit ids).
set -euo pipefail
SRC=$1 XSENSOR=$2
CONF=$SRC/docs/configuration.md
fail=0 n=0
while IFS='=' read -r key def; do
  n=$((n + 1))
  grep -qF "| \`$key\` | $def |" "$CONF" || { echo "FAIL: docs/configuration.md lacks '| \`$key\` | $def |'"; fail=1; }
done < <("$XSENSOR" --print_config | grep -v '^#' | grep '=')
[ "$n" -ge 20 ] || { echo "FAIL: only $n keys printed"; fail=1; }
echo "checked $n configuration keys"
lines=$(wc -l <"$SRC/README.md")
[ "$lines" -le 250 ] || { echo "FAIL: README.md has $lines lines (a front door: at most 250)"; fail=1; }
for link in $(grep -oE '\]\(docs/[a-z_-]+\.md\)' "$SRC/README.md" | sed -E 's/^\]\((.*)\)$/\1/' | sort -u); do
  [ -s "$SRC/$link" ] || { echo "FAIL: README links to $link, which is not there"; fail=1; }
done
if grep -nE '\b[0-9a-f]{7}\b \+|\(commit [0-9a-f]{7}|of [0-9a-f]{7}[,:)]' "$SRC/README.md" "$SRC"/docs/*.md; then
  echo "FAIL: the documentation names commits (history belongs in CHANGELOG.md and bench/history.tsv)"
  fail=1
fi
echo "README: $lines lines, $(ls "$SRC"/docs/*.md | wc -l) documents in docs/"
exit $fail
