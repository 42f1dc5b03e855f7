#!/bin/bash
# make install honours PREFIX and DESTDIR and never overwrites a live config.
. tests/lib/env.sh
set -u
D=$T/root
make --no-print-directory -s install DESTDIR="$D" PREFIX=/opt/pr SYSCONFDIR=/etc/x UNITDIR=/lib/systemd/system BUILD="$BUILD" >/dev/null
check "install: binary under PREFIX/sbin" test -x "$D/opt/pr/sbin/pdns-refresher"
check "install: the control client beside it" test -x "$D/opt/pr/sbin/pdns-refresher-control"
check "install: sql/ under PREFIX/share/pdns-refresher" test -f "$D/opt/pr/share/pdns-refresher/sql/pdns-refresher.sql"
check "install: the NOTIFY redirect rule set under SYSCONFDIR, and nft reads it" \
    sh -c "test -f '$D/etc/x/pdns-refresher/notify-redirect.nft' && nft -c -f '$D/etc/x/pdns-refresher/notify-redirect.nft'"
check "install: config and sample under SYSCONFDIR" test -f "$D/etc/x/pdns-refresher/pdns-refresher.conf" -a -f "$D/etc/x/pdns-refresher/pdns-refresher.conf.sample"
check "install: config not world-readable" eq "$(stat -c %a "$D/etc/x/pdns-refresher/pdns-refresher.conf")" "640"
check "install: unit runs the installed binary with the installed config" \
    grep -qx "ExecStart=/opt/pr/sbin/pdns-refresher -c /etc/x/pdns-refresher/pdns-refresher.conf" "$D/lib/systemd/system/pdns-refresher.service"
echo "# edited" >> "$D/etc/x/pdns-refresher/pdns-refresher.conf"
make --no-print-directory -s install DESTDIR="$D" PREFIX=/opt/pr SYSCONFDIR=/etc/x BUILD="$BUILD" >/dev/null
check "install: a second install keeps the edited config" grep -q "# edited" "$D/etc/x/pdns-refresher/pdns-refresher.conf"
for m in man8/pdns-refresher.8 man8/pdns-refresher-control.8 man5/pdns-refresher.conf.5; do
	f=$D/opt/pr/share/man/$m
	check "install: man page $m under PREFIX/share/man" test -f "$f"
	out=$(mandoc -T lint -W warning "$f" 2>&1); rc=$?
	echo "$out" | sed 's/^/#   /'
	check "man page $m: mandoc -T lint clean" [ $rc -eq 0 -a -z "$out" ]
done
# every key of the sample configuration is in pdns-refresher.conf(5)
missing=$(sed -n 's/^ *\([a-z-]*\) *=.*/\1/p' conf/pdns-refresher.conf | sort -u | while read -r k; do
	grep -q "^\.It Cm $k\b" doc/pdns-refresher.conf.5 || echo "$k"; done | tr '\n' ' ')
check "pdns-refresher.conf(5) documents every key of the sample (missing: ${missing:-none})" [ -z "$missing" ]
# every flag of --help is in pdns-refresher(8)
missing=$("$BIN" --help | sed -n 's/^  \(-[-a-z]*\).*/\1/p' | while read -r f; do
	case $f in --*) pat=".It Fl -${f#--}" ;; *) pat=".It Fl ${f#-}" ;; esac
	grep -qF -- "$pat" doc/pdns-refresher.8 || printf '%s\n' "$f"; done | tr '\n' ' ')
check "pdns-refresher(8) documents every flag of --help (missing: ${missing:-none})" [ -z "$missing" ]
# every command and flag of pdns-refresher-control -h is in its page
missing=$("$CTL" -h | sed -n 's/^  \(-[-a-z]*\).*/\1/p; s/^  \([a-z][a-z-]*\) .*/\1/p' | while read -r f; do
	case $f in --*) pat=".It Fl -${f#--}" ;; -*) pat="Fl ${f#-}" ;; *) pat=".It Cm $f" ;; esac
	grep -qF -- "$pat" doc/pdns-refresher-control.8 || printf '%s\n' "$f"; done | tr '\n' ' ')
check "pdns-refresher-control(8) documents every command and flag of -h (missing: ${missing:-none})" [ -z "$missing" ]
check "pdns-refresher-control -h: exit 0" "$CTL" -h
"$CTL" --frob 2>/dev/null; rc=$?
check "pdns-refresher-control with an unknown flag: exit 2" eq "$rc" 2
out=$("$D/opt/pr/sbin/pdns-refresher" -c "$D/etc/x/pdns-refresher/pdns-refresher.conf.sample" -n 2>&1)
check "install: the installed sample parses (-n reaches the database step)" grep -q "configuration ok" <<<"$out"
sed "s|/opt/pr/sbin/pdns-refresher|$D/opt/pr/sbin/pdns-refresher|" \
    "$D/lib/systemd/system/pdns-refresher.service" > "$T/pdns-refresher.service"
out=$(systemd-analyze verify "$T/pdns-refresher.service" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check "unit: systemd-analyze verify passes with no complaint" [ $rc -eq 0 -a -z "$out" ]
check "unit: runs as its own user, not root" grep -qx "User=pdns" "$T/pdns-refresher.service"
check "unit: Type=notify with a watchdog, no fork" bash -c "grep -qx Type=notify $T/pdns-refresher.service && grep -qx 'WatchdogSec=[0-9]*' $T/pdns-refresher.service"
check "unit: a runtime directory for the control socket" grep -qx "RuntimeDirectory=pdns-refresher" "$T/pdns-refresher.service"
level=$(systemd-analyze security --offline=yes "$T/pdns-refresher.service" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
check "unit: hardened, systemd-analyze security exposure $level (2.0 or less)" \
    awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
finish
