#!/bin/bash
# Writes the conformance corpus into DIR, one ZONE.zone file per zone:
# every record type, odd names and text, a deep apex, huge TTLs, delegations
# with glue, zones signed with ldns-signzone (NSEC, NSEC3, NSEC3 opt-out),
# the root zone (_root.zone: every name is below its apex), and a zone of
# 50,000 records.  Usage: corpus.sh DIR [BIG_RECORDS]
#        corpus.sh --root SERIAL FILE FLAGS...: the root zone signed anew
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The root zone: delegations with glue, a secure one (DS) and an insecure
# one, a name at a top-level label, an ENT chain.
root_body() {	# root_body SERIAL
	cat <<EOZ
\$ORIGIN .
\$TTL 300
.	IN SOA ns1.zz. hostmaster.zz. $1 3600 600 604800 300
.	IN NS ns1.zz.
zz.	IN NS ns1.zz.
ns1.zz.	IN A 192.0.2.1
deep.below.zz.	IN A 192.0.2.54
yy.	IN NS ns.example.net.
yy.	IN DS 12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3A1B4AB5E2AA12E11A5B8C5A
xx.	IN NS ns.example.org.
toplevel.	IN A 192.0.2.2
x.y.ent-chain.	IN TXT "ent chain below the root"
EOZ
}
root_sign() {	# root_sign SERIAL FILE FLAGS...
	local serial=$1 out=$2 ksk zsk; shift 2
	root_body "$serial" > "$work/root"
	ksk=$(cd "$work" && ldns-keygen -a ECDSAP256SHA256 -k . 2>/dev/null)
	zsk=$(cd "$work" && ldns-keygen -a ECDSAP256SHA256 . 2>/dev/null)
	cat "$work/$ksk.key" "$work/$zsk.key" >> "$work/root"
	(cd "$work" && ldns-signzone -e 20400101000000 -i 20240101000000 "$@" -o . -f "$out" \
	    "$work/root" "$ksk" "$zsk")
}
if [ "$1" = --root ]; then
	serial=$2 out=$3; shift 3
	root_sign "$serial" "$out" "$@"
	exit 0
fi

dir=$1
big=${2:-50000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"

sed 's/@ZONE@/types.test/g' "$here/types.zone.in" > "$dir/types.test.zone"

# What pdns 4.7 stores but cannot read back (an RKEY with an empty key: it
# writes "256 3 3 " and then fails to parse it): alone, so that it cannot
# hide the answers of other zones.
cat > "$dir/pdnsodd.test.zone" <<'EOZ'
$ORIGIN pdnsodd.test.
$TTL 300
@	IN SOA ns1 hostmaster 1 3600 600 604800 300
@	IN NS ns1
ns1	IN A 192.0.2.1
rkey	IN TYPE57 \# 4 01000303
EOZ

# Odd names and text.
long=$(printf 'x%.0s' $(seq 1 255))
cat > "$dir/odd.test.zone" <<EOZ
\$ORIGIN odd.test.
\$TTL 300
@	IN SOA ns1 hostmaster 1 3600 600 604800 300
@	IN NS ns1
ns1	IN A 192.0.2.1
sp\\032ace	IN A 192.0.2.2
a\\.dot	IN A 192.0.2.3
back\\\\slash	IN A 192.0.2.4
high\\200\\255byte	IN A 192.0.2.5
semi\\;colon	IN A 192.0.2.6
paren\\(\\)	IN A 192.0.2.7
quote\\"	IN A 192.0.2.8
UPPER.Mixed.Case	IN A 192.0.2.9
*	IN A 192.0.2.10
*.wild	IN MX 10 mail.odd.test.
sub.*.wild	IN TXT "below a wildcard label"
xn--bcher-kva	IN A 192.0.2.11
xn--nxasmq6b.xn--bcher-kva	IN AAAA 2001:db8::11
txt1	IN TXT "quote\"inside" "back\\\\slash" "semi;colon" ""
txt2	IN TXT "$long"
txt3	IN TXT "$long" "$long" "short"
txt4	IN TXT "\\000\\001\\031\\127\\128\\255"
txt5	IN TXT "tab\\009and newline\\010"
txt6	IN TXT "'single' and \`back\`"
txt7	IN TXT "--; DROP TABLE records; --"
txt8	IN TXT "\\\\\\"\\\\"
cname	IN CNAME Sp\\032Ace.Example.COM.
target	IN MX 0 a\\.b.example.com.
ttl0	0 IN A 192.0.2.20
ttlmax	2147483647 IN A 192.0.2.21
ttlbig	86400000 IN A 192.0.2.22
l63.$(printf 'a%.0s' $(seq 1 63))	IN A 192.0.2.23
e.n.t.deep.ent	IN A 192.0.2.24
EOZ

# A zone at a deep name.
cat > "$dir/a.b.c.d.e.f.g.h.deep.test.zone" <<'EOZ'
$ORIGIN a.b.c.d.e.f.g.h.deep.test.
$TTL 300
@	IN SOA ns1 hostmaster 7 3600 600 604800 300
@	IN NS ns1.example.net.
@	IN A 192.0.2.1
x.y.z	IN TXT "deep"
EOZ

# Delegations, glue and names below cuts (no DNSSEC).
deleg_body() {	# deleg_body ZONE
	cat <<EOZ
\$ORIGIN $1.
\$TTL 300
@	IN SOA ns1 hostmaster 1 3600 600 604800 300
@	IN NS ns1
@	IN NS ns2.example.net.
ns1	IN A 192.0.2.1
www	IN A 192.0.2.2
child	IN NS ns.child
child	IN NS ns.example.net.
ns.child	IN A 192.0.2.53
ns.child	IN AAAA 2001:db8::53
deep.below.child	IN A 192.0.2.54
child	IN DS 12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3A1B4AB5E2AA12E11A5B8C5A
secure	IN NS ns.secure
ns.secure	IN A 192.0.2.55
secure	IN DS 54321 13 2 2BB183AF5F22588179A53B0A98631FAD1A2921182BB183AF5F22588179A53B0A
a.b.insecure	IN NS ns.example.org.
x.y.z	IN TXT "ent chain"
_sip._tcp	IN SRV 10 60 5060 sip
sip	IN A 192.0.2.60
EOZ
}
deleg_body deleg.test > "$dir/deleg.test.zone"

# Signed zones: NSEC, NSEC3, NSEC3 opt-out, with delegations and ENTs.
sign() {	# sign ZONE FLAGS...
	local z=$1; shift
	deleg_body "$z" > "$work/$z"
	(cd "$work" && ldns-keygen -a ECDSAP256SHA256 -k "$z" > "$work/ksk.$z" &&
	    ldns-keygen -a ECDSAP256SHA256 "$z" > "$work/zsk.$z") 2>/dev/null
	local ksk zsk
	ksk=$(cat "$work/ksk.$z"); zsk=$(cat "$work/zsk.$z")
	cat "$work/$ksk.key" "$work/$zsk.key" >> "$work/$z"
	(cd "$work" && ldns-signzone -e 20400101000000 -i 20240101000000 "$@" -f "$dir/$z.zone" \
	    "$work/$z" "$ksk" "$zsk")
}
sign nsec.test
sign nsec3.test -n -s abcdef01 -t 3
sign optout.test -n -p -s 00ff -t 1
sign nosalt.test -n -t 0
root_sign 1 "$dir/_root.zone"

# A zone of many records.
{
	printf '$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n'
	awk -v n="$big" 'BEGIN { for (i = 1; i <= n - 3; i++) {
	    if (i % 3 == 0) printf "h%d.s%d IN TXT \"record %d\"\n", i, i % 97, i;
	    else if (i % 3 == 1) printf "h%d.s%d IN A 10.%d.%d.%d\n", i, i % 97, int(i/65536)%256, int(i/256)%256, i%256;
	    else printf "h%d.s%d IN MX %d mx%d.example.net.\n", i, i % 97, i % 50, i % 7 } }'
} > "$dir/big.test.zone"
