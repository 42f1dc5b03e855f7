#!/bin/bash
# make deb: build the Debian package from a copy of this tree, check it with
# lintian, install it with dpkg, use it, purge it.  Installs into the real
# system (as root), which is why it is not part of make check.
# Prints "N passed, N failed" like the tests.
set -u
cd "$(dirname "$0")/.." || exit 1
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else nok "$n"; fi; }
[ "$(id -u)" -eq 0 ] || { echo "make deb installs the package: run it as root" >&2; exit 1; }
if dpkg-query -W -f='${Status}' pdns-refresher 2>/dev/null | grep -q "ok installed"; then
	echo "pdns-refresher is installed already: make deb would replace it; purge it first" >&2
	exit 1
fi
W=$(mktemp -d /tmp/pdnsr-deb.XXXXXX)
trap 'dpkg --purge pdns-refresher >/dev/null 2>&1; rm -rf "$W"' EXIT
mkdir "$W/src"
tar --exclude=./build --exclude='./build-*' --exclude=./.tools --exclude=./.git -cf - . |
    tar -xf - -C "$W/src"
cd "$W/src" || exit 1
dpkg-buildpackage -us -uc -b > "$W/build.log" 2>&1; rc=$?
tail -n 5 "$W/build.log" | sed 's/^/#   /'
check "dpkg-buildpackage -us -uc -b builds a .deb" [ $rc -eq 0 ]
deb=$(ls "$W"/pdns-refresher_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
lintian --fail-on error "$deb" > "$W/lintian.log" 2>&1; rc=$?
sed 's/^/#   /' "$W/lintian.log"
check "lintian: no error" [ $rc -eq 0 ]
list=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/pdns-refresher ./usr/sbin/pdns-refresher-control \
    ./usr/share/man/man8/pdns-refresher.8.gz ./usr/share/man/man8/pdns-refresher-control.8.gz \
    ./usr/share/man/man5/pdns-refresher.conf.5.gz ./lib/systemd/system/pdns-refresher.service \
    ./etc/pdns-refresher/pdns-refresher.conf ./etc/pdns-refresher/notify-redirect.nft \
    ./usr/share/pdns-refresher/sql/pdns-refresher.sql; do
	check "the package holds $f" grep -q " $f\$" <<<"$list"
done
check "the configuration is a conffile" bash -c "dpkg-deb -e '$deb' '$W/ctl' && grep -qx /etc/pdns-refresher/pdns-refresher.conf '$W/ctl/conffiles'"
dpkg -i "$deb" > "$W/install.log" 2>&1; rc=$?
sed 's/^/#   /' "$W/install.log" | tail -n 5
check "dpkg -i installs it" [ $rc -eq 0 ]
check "the configuration: root:pdns 0640" [ "$(stat -c '%U:%G %a' /etc/pdns-refresher/pdns-refresher.conf)" = "root:pdns 640" ]
out=$(pdns-refresher -n 2>&1)
check "pdns-refresher -n works (reads the installed configuration)" grep -q "configuration ok" <<<"$out"
check "man pdns-refresher finds the page" bash -c "man -w pdns-refresher >/dev/null 2>&1 || [ -f /usr/share/man/man8/pdns-refresher.8.gz ]"
check "pdns-refresher-control --version" pdns-refresher-control --version
check "the unit is not started by the install (configure the database first)" \
    bash -c "! systemctl is-active --quiet pdns-refresher 2>/dev/null"
dpkg --purge pdns-refresher > "$W/purge.log" 2>&1; rc=$?
check "dpkg --purge removes it" [ $rc -eq 0 ]
check "purge: binaries, man pages, unit, configuration and sql gone" bash -c \
    "! [ -e /usr/sbin/pdns-refresher -o -e /usr/sbin/pdns-refresher-control -o -e /usr/share/man/man8/pdns-refresher.8.gz -o -e /lib/systemd/system/pdns-refresher.service -o -e /etc/pdns-refresher -o -e /usr/share/pdns-refresher ]"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
