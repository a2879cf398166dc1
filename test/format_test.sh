#!/usr/bin/env bash
# Every C++ file of the tree is as .clang-format writes it (`make format` fixes them).
set -euo pipefail
src=${1:?source dir}
cd "$src"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "SKIP: $src is not a git checkout: the files to check are git's list"; exit 0
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
[ ${#files[@]} -gt 100 ] || { echo "FAIL: only ${#files[@]} C++ files found"; exit 1; }
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue  # deleted in the work tree, not yet in git
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "FAIL: ${#bad[@]} of ${#files[@]} files differ from .clang-format (run make format):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "ok: ${#files[@]} files formatted"
