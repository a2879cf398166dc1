#!/usr/bin/env bash
# Installs the Debian 12 packages one purpose of xsensor needs, and nothing more:
#   install-deps.sh runtime   the shared libraries the sensor runs on, and the tools its unit uses
#   install-deps.sh build     runtime + compilers and headers (make build, make install)
#   install-deps.sh deb       build + what packages it (make deb)
#   install-deps.sh demo      build + iproute2 and the capture tools (make demo)
#   install-deps.sh bench     demo + Google Benchmark (make bench)
#   install-deps.sh test      bench + GoogleTest, the test peers and the independent decoders
#   install-deps.sh fuzz      build + libFuzzer's runtime (make fuzz)
# Test peers (nginx, vsftpd, prosody, dnsmasq...) come only with `test`: `make install` on an
# operator's machine never installs or starts them. Idempotent: when everything is present it
# prints nothing and touches nothing.
set -euo pipefail

RUNTIME=(libbpf1 libxdp1 libabsl20220623 libprotobuf32 libpcap0.8 libssl3 iproute2 ethtool)
BUILD=(build-essential cmake make pkg-config clang llvm libbpf-dev libxdp-dev bpftool
       libabsl-dev libprotobuf-dev protobuf-compiler libpcap-dev libssl-dev)
DEB=(dpkg-dev file)
DEMO=(tcpreplay)
BENCH=(libbenchmark-dev wireshark-common)  # mergecap, editcap: the many-flow capture
TEST=(git clang-format libgtest-dev libgmock-dev procps
      libfixbuf-tools tshark dnsmasq-base dnsutils sip-tester vsftpd curl swaks python3 prosody sendxmpp
      python3-prometheus-client systemd logrotate nginx-light openssl python3-aiosmtpd
      dovecot-imapd debootstrap prometheus chromium clickhouse-server
      clickhouse-client freeradius-utils inn2 lintian)
FUZZ=(libclang-rt-14-dev)

SET=${1:-test}
case "$SET" in
  runtime) PACKAGES=("${RUNTIME[@]}") ;;
  build) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}") ;;
  deb) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}" "${DEB[@]}") ;;
  demo) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}" "${DEMO[@]}") ;;
  bench) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}" "${DEMO[@]}" "${BENCH[@]}") ;;
  test) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}" "${DEB[@]}" "${DEMO[@]}" "${BENCH[@]}" "${TEST[@]}") ;;
  fuzz) PACKAGES=("${RUNTIME[@]}" "${BUILD[@]}" "${FUZZ[@]}") ;;
  *) echo "install-deps: unknown set '$1' (runtime, build, deb, demo, bench, test, fuzz)" >&2
     exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Test peers are started by the tests themselves: none of them is started as a system service
# by its installation (policy-rc.d answers "not now" while this runs, unless one is there).
if [ "$SET" = test ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
# INN (the NNTP test's server) does not configure on a machine whose name has no domain
# unless inn.conf names one: its configuration package first, then a test domain, then INN.
inn=0
for i in "${!missing[@]}"; do
  [ "${missing[$i]}" = inn2 ] && { inn=1; unset 'missing[i]'; }
done
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $inn -eq 1 ]; then
  apt-get install -y -qq --no-install-recommends inn2-inews >/dev/null
  if ! hostname --fqdn 2>/dev/null | grep -q '\.' && ! grep -q '^domain:' /etc/news/inn.conf; then
    sed -i 's/^#domain:.*/domain: xsensor.invalid/' /etc/news/inn.conf
  fi
  apt-get install -y -qq --no-install-recommends inn2 >/dev/null
fi
