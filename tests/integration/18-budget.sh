#!/bin/bash
# Hostile masters, round two (issue 12): no master buys more memory, CPU or
# worker time than its zone is worth.  Each input fails (or passes) within
# its budget, with the zone's rows kept and one log line naming the reason,
# while honest zones go on.
#
#   drip:     two zones dripping a byte every 200 ms (inside idle-timeout)
#             held both workers for transfer.timeout; now the rate floor
#             ends them after rate-grace, their master drops to one
#             transfer at a time, and the honest zone is not kept waiting.
#   deep:     60,000 records at one 127-label owner (1 MB of wire): +921
#             MiB before; now stored, the daemon's peak resident size small.
#   bintxt:   20 MB of binary TXT (80 MB as text) over a 64 MiB
#             transfer.max-memory: refused, rows kept, peak bounded.
#   iter:     NSEC3PARAM with 65,535 iterations and 2,000 names: 40 s of
#             CPU before; now refused at once.
. tests/lib/env.sh
set -u
mkdir -p "$T/z"

# sz FILE ZONE SERIAL [RECORDS...]: a small zone.
sz() {
	local f=$1 z=$2 s=$3; shift 3
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$z"
		printf '@ IN SOA ns1 hostmaster %s 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n' "$s"
		printf 'version IN TXT "%s"\n' "$s"
		for r in "$@"; do printf '%s\n' "$r"; done
	} > "$f"
}

for z in drip1 drip2 drip3 drip4 honest deep bintxt iter; do sz "$T/z/$z.test.zone" "$z.test" 1; done
{
	for z in drip1 drip2 drip3 drip4 honest deep bintxt iter; do echo "zone $z.test $T/z/$z.test.zone"; done
} > "$T/script"
fake_start "$T/script" 127.0.3.1 127.0.3.2 127.0.3.3 || exit 1
db_create t18
sql t18 "INSERT INTO domains (name, master, type) VALUES
    ('drip1.test','127.0.3.1:5300','SLAVE'), ('drip2.test','127.0.3.1:5300','SLAVE'),
    ('drip3.test','127.0.3.1:5300','SLAVE'), ('drip4.test','127.0.3.1:5300','SLAVE'),
    ('honest.test','127.0.3.2:5300','SLAVE'),
    ('deep.test','127.0.3.3:5300','SLAVE'), ('bintxt.test','127.0.3.3:5300','SLAVE'),
    ('iter.test','127.0.3.3:5300','SLAVE')"
CONF="workers = 2
master {
    queries-per-second = 1000
    down-backoff = 1
    max-down-backoff = 2
    transfers = 2
}
transfer {
    rate-grace = 3
    min-rate = 1024
    max-memory = 67108864
}"
write_conf t18 "$CONF"
# the first versions, all honest
run_once
check "setup: eight zones loaded" sql_is t18 "SELECT COUNT(*) FROM records WHERE type='SOA'" 8
for z in drip1 drip2 drip3 drip4 honest deep bintxt iter; do zone_rows t18 "$z.test" > "$T/$z.old"; done

# NSEC3PARAM with 65,535 iterations and 2,000 names to hash each time.
sz "$T/z/iter.test.zone" iter.test 2 "@ IN NSEC3PARAM 1 0 65535 aabbccdd" \
    $(seq 1 2000 | sed 's/.*/h&_IN_A_192.0.2.7/')
sed -i 's/_/ /g' "$T/z/iter.test.zone"
touch "$T/script"
: > "$DLOG"
t1=$(date +%s%N)
run_once --zone iter.test
t1=$(( ($(date +%s%N) - t1) / 1000000 ))
check "65,535 NSEC3 iterations: refused with the reason in $t1 ms (bound 10 s; it took 40 s of CPU)" \
    bash -c "[ $t1 -lt 10000 ] && grep -q 'zone iter.test: master 127.0.3.3:5300: transfer failed, rows kept: NSEC3PARAM has 65535 iterations, more than transfer.max-nsec3-iterations (150; RFC 9276)' $DLOG"
zone_rows t18 iter.test > "$T/iter.now"
check "iter: rows byte-identical to before" cmp -s "$T/iter.old" "$T/iter.now"

# Version 2 of the dripping zones.  Once their transfers hold both
# workers, the honest zone changes.
for z in drip1 drip2 drip3 drip4; do sz "$T/z/$z.test.zone" "$z.test" 2; done
script() {	# script [AXFR RULES...]: every zone served, with the rules
	for z in drip1 drip2 drip3 drip4 honest deep bintxt iter; do echo "zone $z.test $T/z/$z.test.zone"; done > "$T/script.new"
	for r in "$@"; do echo "$r"; done >> "$T/script.new"
	mv "$T/script.new" "$T/script"
}
script "axfr drip1.test bytedrip 200" "axfr drip2.test bytedrip 200" \
    "axfr drip3.test bytedrip 200" "axfr drip4.test bytedrip 200"
sql t18 "UPDATE domains SET last_check = last_check - 7200"
write_conf t18 "$CONF
timers {
    max-refresh = 1
}"
: > "$DLOG"; : > "$FAKELOG"
t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
daemon_start
drips() { awk '$2 == "tcp" && $3 == "AXFR" && $4 ~ /^drip/' "$FAKELOG" | wc -l; }
check "two dripping transfers hold both workers" wait_for 20 sh -c "[ \$(awk '\$2 == \"tcp\" && \$3 == \"AXFR\" && \$4 ~ /^drip/' $FAKELOG | wc -l) -ge 2 ]"
sz "$T/z/honest.test.zone" honest.test 2
touch "$T/script"
t0=$(date +%s%N)
check "the honest zone changes meanwhile: stored within 15 s (it waited for the drips' transfer.timeout, 600 s)" \
    wait_for 15 sql_is t18 "SELECT content FROM records WHERE name='version.honest.test'" '"2"'
echo "# the honest zone arrived after $(ms) ms"
check "each dripping transfer ends at the rate floor with the reason (within 30 s; it took transfer.timeout)" \
    wait_for 30 sh -c "[ \$(grep -c 'transfer failed, rows kept: master sent [0-9]* bytes in [0-9]* s, slower than transfer.min-rate (1024 bytes/s)' $DLOG) -ge 4 ]"
check "the dripping master drops to one transfer at a time, once, in one line" \
    eq "$(grep -c "warning: master 127.0.3.1:5300: a transfer (zone drip[1-4].test) broke a limit: transfers from it one at a time until one succeeds" "$DLOG")" "1"
# When the workers took the dripping transfers (the master's log): the
# first two overlap; once one broke the floor (3 s in), each next one
# starts only when the one before it ended, 3 s later.
starts=$(awk '$2 == "tcp" && $3 == "AXFR" && $4 ~ /^drip/ { print $1 }' "$FAKELOG" | sort -n | head -4 | tr '\n' ' ')
check "after the first limit broke, the master's transfers run one after another ($starts)" \
    awk -v s="$starts" 'BEGIN { n = split(s, a, " "); exit !(n == 4 && a[3] - a[2] >= 2500 && a[4] - a[3] >= 2500) }'

# The deep owner, the binary text.
for z in deep bintxt; do sz "$T/z/$z.test.zone" "$z.test" 2; done
script "axfr drip1.test bytedrip 200" "axfr drip2.test bytedrip 200" \
    "axfr drip3.test bytedrip 200" "axfr drip4.test bytedrip 200" \
    "axfr deep.test deep 60000" "axfr bintxt.test bintxt 20000"
check "deep owner: 60,000 records at 127 labels stored" \
    wait_for 60 sql_is t18 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name='deep.test' AND r.type='A'" 60001
check "deep owner: every empty non-terminal once" \
    sql_is t18 "SELECT COUNT(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name='deep.test' AND r.type IS NULL" 121
check "binary TXT over transfer.max-memory: refused with the reason" \
    wait_for 60 grep -q "zone bintxt.test: master 127.0.3.3:5300: transfer failed, rows kept: converting the zone needs more than 64 MiB of memory (transfer.max-memory)" "$DLOG"
check "the master that sent it drops to one transfer at a time too" \
    grep -q "warning: master 127.0.3.3:5300: a transfer (zone bintxt.test) broke a limit" "$DLOG"
for z in drip1 drip2 drip3 drip4 bintxt; do
	zone_rows t18 "$z.test" > "$T/$z.now"
	check "$z: rows byte-identical to before" cmp -s "$T/$z.old" "$T/$z.now"
done
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$DPID/status)
if [ -n "${SANITIZED_RUN:-}" ]; then	# ASan's shadow and quarantine are its own
	check "peak resident size under a sanitizer: sampled ($hwm kB)" [ "${hwm:-0}" -gt 0 ]
else
	check "peak resident size $hwm kB, under 200 MiB (2 workers x 64 MiB budget, the rest)" \
	    [ "${hwm:-999999}" -lt $((200 * 1024)) ]
fi
check "the daemon carries on" kill -0 "$DPID"

# The masters behave again: the dripping master gets its concurrency back.
for z in drip1 drip2 drip3 drip4 bintxt; do sz "$T/z/$z.test.zone" "$z.test" 3; done
script
check "masters repaired: every zone reaches serial 3" \
    wait_for 60 sql_is t18 "SELECT COUNT(*) FROM records WHERE name LIKE 'version.%' AND content='\"3\"'" 5
check "after a good transfer the master is back to master.transfers, in one line" \
    grep -q "master 127.0.3.1:5300: a transfer succeeded (zone drip[1-4].test): back to master.transfers" "$DLOG"
daemon_stop
finish
