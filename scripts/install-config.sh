#!/usr/bin/env bash
# Writes SYSCONFDIR/xsensor/xsensor.conf unless a file is already there (an operator's file is
# never replaced), and DOCDIR/xsensor.conf.example: every key with its default and meaning
# (`xsensor --print_config`), kept up to date on every install. The configuration file itself
# is short, what an operator sets (collectors first): a package upgrade that changes a
# default does not touch it, so dpkg has nothing to ask. Honours DESTDIR.
#   install-config.sh XSENSOR_BINARY SYSCONFDIR [DOCDIR]
set -euo pipefail
bin=$1 sysconf=$2 docdir=${3:-}
dir="${DESTDIR:-}$sysconf/xsensor"
mkdir -p "$dir"
example=/usr/share/doc/xsensor/xsensor.conf.example
if [ -n "$docdir" ]; then
  mkdir -p "${DESTDIR:-}$docdir"
  "$bin" --print_config >"${DESTDIR:-}$docdir/xsensor.conf.example"
  example=$docdir/xsensor.conf.example
fi
if [ -e "$dir/xsensor.conf" ]; then
  echo "install-config: $dir/xsensor.conf exists; left as it is"
else
  cat >"$dir/xsensor.conf" <<CONF
# xsensor configuration: KEY=VALUE lines, each key once; '#' starts a comment.
# Every key, its default and what it takes: $example
# (or: xsensor --print_config). Flags override this file: --KEY=VALUE.
#
# The sensor refuses to start until it has somewhere to send records: give the collectors of
# the streams you want (HOST:PORT, comma-separated; a host name is resolved at start), or
# ajb_save_dns=on for the DNS text log alone.
#ipfix_tcp_collectors=collector.example.net:4739
#ipfix_meta_tcp_collectors=collector.example.net:4739
#ipfix_dns_tcp_collectors=collector.example.net:4739
#
# Replies too (http_reply and ssl_reply records):
#http_parse_reply=1
#ssl_parse_reply=1
#
# Subscriber logins ('ADDRESS[/PREFIX] LOGIN' lines) and the subscribers' address ranges:
#login_map_file=/etc/xsensor/logins.txt
#subscriber_nets=10.0.0.0/8
CONF
  echo "install-config: wrote $dir/xsensor.conf (set the collectors before starting)"
fi
