#!/usr/bin/env bash
# The Debian package, checked in a clean Debian 12 root (debootstrap --variant=minbase):
#   - cpack builds xsensor_*.deb and xsensor-dbgsym_*.ddeb from BUILD_DIR: binaries stripped,
#     their debug symbols in the -dbgsym package under /usr/lib/debug/.build-id;
#   - Depends is computed from the shared libraries (libbpf, libxdp, libprotobuf, libpcap...);
#   - `apt-get install ./xsensor_*.deb` in the clean root pulls the runtime libraries and no test
#     peer; `xsensor --version` and `--check_config` on the packaged configuration run there;
#   - the configuration and the logrotate file are conffiles: an operator's edit survives a
#     remove, and after the remove nothing of the package is left but them; purge removes them.
# The clean root is cached in BUILD_DIR (debootstrap-bookworm.tar) for the next run.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR. Exit 77 = skipped, with the reason.
set -euo pipefail
BUILD=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (chroot, mount)"; exit 77; }
for t in debootstrap cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (make test installs it)"; exit 77; }
done
tmp=$(mktemp -d)
root=$tmp/root
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if eval "$1"; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }

(cd "$BUILD" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) || {
  cat "$tmp/cpack.log"; echo "FAIL: cpack"; exit 1; }
deb=$(ls "$tmp"/pkg/xsensor_*.deb)
dbg=$(ls "$tmp"/pkg/xsensor-dbgsym_*.*deb 2>/dev/null || true)
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -f "$deb" Depends >"$tmp/depends"
cat "$tmp/depends"
for lib in libbpf1 libxdp1 libprotobuf32 libpcap0.8 libssl3 iproute2 ethtool; do
  check 'grep -q "\b$lib\b" "$tmp/depends"' "Depends names $lib"
done
check '! grep -qE "gtest|benchmark|nginx|tshark|vsftpd" "$tmp/depends"' \
  "Depends names no test library or peer"
# Debian's own package checker: no error and no warning (copyright, changelog, manual pages,
# maintainer, maintainer scripts, description).
if command -v lintian >/dev/null; then
  lintian "$deb" >"$tmp/lintian.log" 2>&1 || true
  check '! grep -qE "^[EW]: " "$tmp/lintian.log"' "lintian: no error, no warning ($(grep -cE "^[EW]: " "$tmp/lintian.log") tags)"
  grep -E "^[EW]: " "$tmp/lintian.log" | head -20 || true
else
  echo "note: lintian not installed; the package was not checked by it"
fi
mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
for f in usr/share/man/man1/xsensor.1.gz usr/share/man/man1/xsensor-recv.1.gz \
         usr/share/doc/xsensor/copyright usr/share/doc/xsensor/changelog.gz \
         usr/share/doc/xsensor/xsensor.conf.example usr/lib/systemd/system/xsensor-recv.service; do
  check '[ -s "$tmp/x/$f" ]' "the package has /$f"
done
check 'zcat "$tmp/x/usr/share/man/man1/xsensor.1.gz" | grep -qxF ".B netflow_timeout" && zcat "$tmp/x/usr/share/man/man1/xsensor.1.gz" | grep -qxF ".B \\-\\-check_config"' \
  "xsensor(1) lists the configuration keys and the flags"
check 'file "$tmp/x/usr/bin/xsensor" | grep -q ", stripped"' "xsensor is stripped"
check 'file "$tmp/x/usr/bin/xsensor-recv" | grep -q ", stripped"' "xsensor-recv is stripped"
check '[ -n "$dbg" ] && [ "$(dpkg-deb -c "$dbg" | grep -c "/usr/lib/debug/.build-id/.*\.debug$")" -eq 2 ]' \
  "the debug symbols are in the -dbgsym package"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles"
check 'grep -qx /etc/xsensor/xsensor.conf "$tmp/conffiles" && grep -qx /etc/logrotate.d/xsensor "$tmp/conffiles"' \
  "the configuration and the logrotate file are conffiles"
for f in usr/bin/xsensor usr/bin/xsensor-recv usr/libexec/xsensor/attach-nic.sh \
         usr/lib/systemd/system/xsensor@.service etc/logrotate.d/xsensor etc/xsensor/xsensor.conf \
         usr/share/xsensor/prometheus/xsensor.rules.yml usr/share/xsensor/grafana/xsensor-dashboard.json \
         usr/share/xsensor/elements/xsensor-elements.xml usr/share/xsensor/elements/xsensor.lua \
         usr/share/xsensor/elements/xsensor-libfds.xml; do
  check '[ -s "$tmp/x/$f" ]' "the package holds /$f"
done
check 'grep -q "^ExecStart=/usr/bin/xsensor --config /etc/xsensor/xsensor.conf" "$tmp/x/usr/lib/systemd/system/xsensor@.service"' \
  "the packaged unit runs /usr/bin/xsensor on /etc/xsensor/xsensor.conf"

# A clean Debian 12 root, from the mirror apt uses here (cached as a tarball in BUILD_DIR).
cache=$BUILD/debootstrap-bookworm.tar
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir "$root"
if [ -s "$cache" ]; then
  tar -xf "$cache" -C "$root"
elif debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -cf "$cache.part" -C "$root" . && mv "$cache.part" "$cache"
else
  tail -5 "$tmp/debootstrap.log"
  echo "SKIP: debootstrap could not build a Debian 12 root from $mirror"
  exit 77
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  ASAN_OPTIONS=detect_leaks=0 "$@"; }
snapshot() {  # every path of the root but apt's and dpkg's own bookkeeping, logs and caches
  in_root find / -xdev \( -path /proc -o -path /var/lib/apt -o -path /var/lib/dpkg \
    -o -path /var/cache -o -path /var/log -o -path /tmp -o -path /etc/ld.so.cache \) -prune \
    -o -print | sort >"$1"
}
in_root apt-get update -qq >"$tmp/apt.log" 2>&1 || {
  tail -5 "$tmp/apt.log"; echo "SKIP: apt-get update in the clean root failed (no mirror)"; exit 77; }
snapshot "$tmp/before"
cp "$deb" "$root/tmp/"
check 'in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >>"$tmp/apt.log" 2>&1' \
  "apt-get install ./$(basename "$deb") in a clean Debian 12 root"
check '! in_root dpkg-query -W -f="\${Package} \${Status}\n" 2>/dev/null | grep -E "^(nginx|tshark|vsftpd|prosody|dnsmasq|libgtest|libbenchmark)[^ ]* .*installed"' \
  "no test peer or test library came with it"
version=$(in_root xsensor --version 2>&1 || true)
check '[[ "$version" == "xsensor "* ]]' "xsensor --version in the root: $version"
# As packaged, the configuration has no collector: --check_config says so (exit 2) and what to
# give; with the operator's collector it passes. Every key is in the example file.
check '! in_root xsensor --config /etc/xsensor/xsensor.conf --check_config >"$tmp/check.log" 2>&1 && grep -q "nothing would be exported" "$tmp/check.log"' \
  "xsensor --check_config on the packaged configuration asks for a collector"
echo "ipfix_tcp_collectors=127.0.0.1:4739" >>"$root/etc/xsensor/xsensor.conf"
check 'in_root xsensor --config /etc/xsensor/xsensor.conf --check_config >"$tmp/check.log" 2>&1' \
  "xsensor --check_config passes with a collector added"
check '[ "$(grep -c "^[a-z_]*=" "$root/usr/share/doc/xsensor/xsensor.conf.example")" -eq "$(in_root xsensor --print_config | grep -c "^[a-z_]*=")" ] && [ "$(grep -c "^[a-z_]*=" "$root/etc/xsensor/xsensor.conf")" -eq 1 ]' \
  "every key in /usr/share/doc/xsensor/xsensor.conf.example; the conffile holds only what was set"
check 'in_root xsensor-recv --help >/dev/null 2>&1; [ $? -le 1 ]' "xsensor-recv runs in the root"
echo "# the operator's edit" >>"$root/etc/xsensor/xsensor.conf"
in_root dpkg-query -L xsensor | sort >"$tmp/owned"
check 'in_root apt-get remove -y -qq xsensor >>"$tmp/apt.log" 2>&1' "apt-get remove xsensor"
snapshot "$tmp/after"
# What the package put there and the remove left (the runtime libraries stay until autoremove).
left=$(comm -13 "$tmp/before" "$tmp/after" | comm -12 - "$tmp/owned" | tr '\n' ' ')
echo "left of the package after the remove: $left"
check '[ "$left" = "/etc/logrotate.d/xsensor /etc/xsensor /etc/xsensor/xsensor.conf " ]' \
  "only the configuration is left after the remove"
check '[ "$(tail -1 "$root/etc/xsensor/xsensor.conf")" = "# the operator'"'"'s edit" ]' \
  "with the operator's edit in it"
check '[ -z "$(comm -23 "$tmp/before" "$tmp/after")" ]' "the remove took nothing that was there before"
check 'in_root apt-get purge -y -qq --autoremove xsensor >>"$tmp/apt.log" 2>&1' \
  "apt-get purge --autoremove xsensor (its configuration and the libraries it pulled)"
snapshot "$tmp/purged"
extra=$(comm -3 "$tmp/before" "$tmp/purged" | tr '\n' ' ')
check '[ -z "$extra" ]' "the root is as before the install ($extra)"
[ $fail -eq 0 ] || { tail -20 "$tmp/apt.log"; exit 1; }
echo "deb: all checks passed"
