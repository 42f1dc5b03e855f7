#!/bin/sh
# Installs the Debian packages a make target needs, when they are missing.
# Usage: deps.sh build|test|bench|fuzz ...   (as root it runs apt-get; otherwise it prints the command)
set -eu
pkgs=""
tools=""
for what in "$@"; do
	case "$what" in
	build) pkgs="$pkgs gcc make pkg-config libevent-dev libldns-dev libmariadb-dev libconfuse-dev" ;;
	test)  pkgs="$pkgs systemd mariadb-server mariadb-client galera-4 rsync nsd knot ldnsutils pdns-server pdns-backend-mysql bind9-dnsutils bc mandoc iproute2 nftables dnsdist strace"
	       tools="promtool" ;;
	bench) pkgs="$pkgs iproute2 nftables tcpdump time" ;;
	deb)   pkgs="$pkgs dpkg-dev debhelper lintian man-db git" ;;
	fuzz)  pkgs="$pkgs clang libclang-rt-14-dev" ;;
	*) echo "deps.sh: unknown set '$what'" >&2; exit 2 ;;
	esac
done
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

# promtool checks the metrics the tests scrape.  It comes from Debian's
# prometheus package, unpacked into .tools/ rather than installed: the
# package would also install and enable a Prometheus server.
promtool() {
	[ -x .tools/promtool ] && return 0
	d=$(mktemp -d)
	( cd "$d" && { apt-get download prometheus >/dev/null 2>&1 ||
	    { [ "$(id -u)" -eq 0 ] && apt-get update -qq && apt-get download prometheus >/dev/null; }; } ) ||
	    { rm -rf "$d"; echo "deps.sh: cannot download Debian's prometheus package for promtool" >&2; return 1; }
	mkdir -p .tools
	dpkg-deb --fsys-tarfile "$d"/prometheus_*.deb | tar -xO ./usr/bin/promtool > .tools/promtool.tmp &&
	    chmod 755 .tools/promtool.tmp && mv .tools/promtool.tmp .tools/promtool
	rm -rf "$d"
	echo "deps.sh: promtool unpacked into .tools/ from Debian's prometheus package" >&2
}
for t in $tools; do $t; done

[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start system-wide services: the tests start private ones.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
