# The conformance corpus and how its rows are compared, for run.sh and the
# IXFR chain (tests/integration/30-ixfr.sh).  Source after tests/lib/env.sh.

# corpus_write DIR BIG: the corpus (corpus.sh), and two extra copies of the
# delegation zone that pdns signs live from cryptokeys (corpus_seed).
corpus_write() {
	tests/conformance/corpus.sh "$1" "$2" || return 1
	for z in live.test live3.test; do
		sed "s/deleg\.test/$z/g" "$1/deleg.test.zone" > "$1/$z.zone"
	done
}
rows() {	# rows DB: every records row, by zone
	RAW=1 sql "$1" "SELECT d.name, r.name, IFNULL(r.type,'NULL'), IFNULL(r.content,'NULL'),
	    IFNULL(r.ttl,'NULL'), IFNULL(r.prio,'NULL'), r.disabled, IFNULL(r.ordername,'NULL'), r.auth
	    FROM records r JOIN domains d ON d.id = r.domain_id ORDER BY 1, 2, 3, 4, 5, 6, 8"
}
meta() {	# meta DB: the metadata pdns's secondary may change
	RAW=1 sql "$1" "SELECT d.name, m.kind, IFNULL(m.content,'NULL') FROM domainmetadata m
	    JOIN domains d ON d.id = m.domain_id ORDER BY 1, 2, 3"
}
# corpus_seed DB MASTER ZONE...: the SLAVE domains, and the state a hoster's
# database may hold: cryptokeys (a real private key: pdns keeps the BIND
# private-key format that ldns-keygen writes) and stale DNSSEC metadata.
corpus_seed() {
	local db=$1 master=$2 key
	shift 2
	if [ -z "${CORPUS_KEY:-}" ]; then
		key=$(cd "$T" && ldns-keygen -a ECDSAP256SHA256 -k live.test 2>/dev/null)
		CORPUS_KEY=$(cat "$T/$key.private")
	fi
	add_slaves "$db" "$master" "$@"
	sql "$db" "INSERT INTO cryptokeys (domain_id, flags, active, published, content)
	    SELECT id, 257, 1, 1, '$CORPUS_KEY' FROM domains WHERE name IN ('live.test','live3.test')"
	sql "$db" "INSERT INTO domainmetadata (domain_id, kind, content)
	    SELECT id, 'NSEC3PARAM', '1 0 1 ab' FROM domains WHERE name = 'live3.test'
	    UNION ALL SELECT id, 'PRESIGNED', '1' FROM domains WHERE name = 'deleg.test'
	    UNION ALL SELECT id, 'NSEC3PARAM', '1 0 5 -' FROM domains WHERE name = 'odd.test'"
}
