#!/usr/bin/env bash
# Writes SYSCONFDIR/xsensor/xsensor.conf (every key, its default and meaning, from
# `xsensor --print_config`) unless a file is already there. Honours DESTDIR.
#   install-config.sh XSENSOR_BINARY SYSCONFDIR
set -euo pipefail
bin=$1 sysconf=$2
dir="${DESTDIR:-}$sysconf/xsensor"
mkdir -p "$dir"
if [ -e "$dir/xsensor.conf" ]; then
  echo "install-config: $dir/xsensor.conf exists; left as it is"
else
  "$bin" --print_config >"$dir/xsensor.conf"
  echo "install-config: wrote $dir/xsensor.conf (set the collectors before starting)"
fi
