#!/usr/bin/env bash
# A manual page from a program's own --help (its flags) and, for xsensor, --print_config (every
# configuration key): the pages say what the binary takes, generated at build time from the same
# tables, never written by hand.
#   make-man.sh BINARY NAME "SUMMARY" OUT.1.gz
set -euo pipefail
bin=$1 name=$2 summary=$3 out=$4
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/-/\\-/g'; }
version=$("$bin" --version 2>/dev/null | head -1 | awk '{print $2}' || true)
{
  echo ".TH $(tr a-z A-Z <<<"$name") 1 \"\" \"$name ${version:-}\" \"User Commands\""
  echo ".SH NAME"
  echo "$name \\- $summary"
  echo ".SH SYNOPSIS"
  "$bin" --help | sed -n '1p' | esc
  echo ".SH OPTIONS"
  "$bin" --help | awk '/^Options:/ {on = 1; next} /^$/ {on = 0} on' |
    while IFS= read -r line; do
      flag=$(sed -E 's/^ +(--[a-z_0-9]+).*/\1/' <<<"$line")
      text=$(sed -E 's/^ +--[a-z_0-9]+ +//' <<<"$line")
      echo ".TP"
      echo ".B $(esc <<<"$flag")"
      esc <<<"$text"
    done
  if [ "$name" = xsensor ]; then
    echo ".SH CONFIGURATION KEYS"
    echo "Each key is a KEY=VALUE line of the file given with \\-\\-config, or a flag \\-\\-KEY=VALUE"
    echo "(the flag wins). The installed example, /usr/share/doc/xsensor/xsensor.conf.example,"
    echo "has them all with their defaults."
    "$bin" --print_config | awk '
      /^# accepts / { acc = substr($0, 10); next }
      /^# / { help = (help ? help " " : "") substr($0, 3); next }
      /^[a-z_0-9]+=/ { k = $0; sub(/=.*/, "", k); d = $0; sub(/^[^=]*=/, "", d)
                       print ".TP"; print ".B " k
                       print help " (takes " acc "; default: " (d == "" ? "empty" : d) ")"
                       help = ""; acc = "" }' | sed -e 's/-/\\-/g'
    echo ".SH FILES"
    echo "/etc/xsensor/xsensor.conf, /usr/share/doc/xsensor/README.md"
  fi
  echo ".SH SEE ALSO"
  [ "$name" = xsensor ] && echo "xsensor\\-recv(1)" || echo "xsensor(1)"
} | gzip -9n >"$out"
