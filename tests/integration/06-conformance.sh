#!/bin/bash
# The conformance harness (tests/conformance/run.sh) as part of make check:
# every record type, odd names, signed zones and a 50,000-record zone, stored
# by pdns 4.7 and by us in both gmysql-dnssec modes, and served by pdns.
exec tests/conformance/run.sh "${CONFORMANCE_BIG:-50000}"
