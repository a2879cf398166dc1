#!/usr/bin/env bash
# Installs every Debian 12 package that xsensor's build, tests, benchmarks and demo need.
# Idempotent: when everything is present it prints nothing and touches nothing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake make pkg-config git
  clang llvm clang-format libbpf-dev libxdp-dev bpftool
  libabsl-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev libpcap-dev libssl-dev
  # test peers and independent decoders
  libfixbuf-tools tshark tcpreplay iproute2 ethtool procps dnsmasq-base dnsutils
  sip-tester vsftpd curl swaks python3 prosody sendxmpp python3-prometheus-client
  systemd logrotate nginx-light openssl python3-aiosmtpd dovecot-imapd
)
# `install-deps.sh fuzz` (make fuzz): libFuzzer's runtime too.
[ "${1:-}" = fuzz ] && PACKAGES+=(libclang-rt-14-dev)

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
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
