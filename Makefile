# pdns-refresher: plain Makefile, pkg-config for the four libraries.
PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
MANDIR   ?= $(PREFIX)/share/man

CC       ?= cc
PKGS     := libevent ldns libmariadb libconfuse
WERROR   ?= -Werror
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral $(WERROR)
ifdef SANITIZE
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
BUILD    ?= build-$(subst $(comma),-,$(SANITIZE))
endif
comma    := ,
BUILD    ?= build

DEPS_OK  := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes)
ALL_CFLAGS := $(WARN) -iquote include $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -pthread $(CFLAGS)
LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm

MODULES  := log util conf zone master keys tsig dnswire soa axfr xfr rr db dbthread chan notify sched domains lastcheck stats sdnotify control metrics zstatus autoprimary ha
OBJS     := $(MODULES:%=$(BUILD)/%.o)
MAIN     := $(BUILD)/main.o
BIN      := $(BUILD)/pdns-refresher
CTL      := $(BUILD)/pdns-refresher-control
CTL_OBJS := $(BUILD)/conf.o $(BUILD)/log.o $(BUILD)/util.o $(BUILD)/master.o
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*.c))

.PHONY: all check unit units demo install clean bench fuzz fuzzers deb

# Missing Debian packages are installed first (pkg-config must see them before
# the flags above mean anything), then the real targets run in a sub-make.
all:
	@tests/lib/deps.sh build
	@$(MAKE) --no-print-directory $(BIN) $(CTL)

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BIN): $(OBJS) $(MAIN)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(OBJS) $(MAIN) $(LIBS)

$(CTL): $(CTL_OBJS) $(BUILD)/pdns-refresher-control.o
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(CTL_OBJS) $(BUILD)/pdns-refresher-control.o $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(OBJS) $(wildcard tests/unit/*.h) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(OBJS) $(LIBS)

$(BUILD)/axfr-floor: tests/bench/axfr-floor.c | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $<

$(BUILD)/soa-floor: tests/bench/soa-floor.c | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The scriptable fake master of the fault tests.
$(BUILD)/fakemaster: tests/fake/fakemaster.c | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CFLAGS) $(shell pkg-config --cflags ldns 2>/dev/null) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs ldns 2>/dev/null)

$(BUILD):
	@mkdir -p $(BUILD)

# Every test: unit tests, integration tests against private servers, then
# the unit tests and the integration tests again under
# AddressSanitizer+UndefinedBehaviorSanitizer, the unit tests and the worker
# pool's tests under ThreadSanitizer (SANITIZED= skips them).
SANITIZED ?= build-address-undefined:all build-thread:03-,08-,11-,27-,30-,31-
check:
	@tests/lib/deps.sh build test
	@$(MAKE) --no-print-directory $(BIN) $(CTL) $(UNITS) $(BUILD)/fakemaster
	@for s in $(SANITIZED); do d=$${s%%:*}; \
	    $(MAKE) --no-print-directory SANITIZE=$$(echo $${d#build-} | tr - ,) \
	    $$d/pdns-refresher $$d/pdns-refresher-control units || exit 1; done
	@SANITIZED="$(SANITIZED)" tests/run.sh $(BUILD)

# libFuzzer on what masters send (transfers, SOA replies) and what we read
# from domains, with ASan and UBSan, FUZZ_SECONDS per target (two at once),
# then the resource target (what a transfer costs) alone for FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
fuzz:
	@tests/lib/deps.sh build fuzz
	@$(MAKE) --no-print-directory CC=clang SANITIZE=fuzzer-no-link,address,undefined \
	    BUILD=build-fuzz fuzzers
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

fuzzers: $(BUILD)/fuzz_axfr $(BUILD)/fuzz_soa $(BUILD)/fuzz_budget $(BUILD)/seeds

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(OBJS) tests/unit/soa_ref.h | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(OBJS) $(LIBS)

$(BUILD)/seeds: tests/fuzz/seeds.c | $(BUILD)
	@echo "  CC      $@"
	@$(CC) $(WARN) $(CFLAGS) $(shell pkg-config --cflags ldns 2>/dev/null) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs ldns 2>/dev/null)

unit:
	@tests/lib/deps.sh build
	@$(MAKE) --no-print-directory $(BIN) $(UNITS)
	@tests/run.sh $(BUILD) unit

units: $(UNITS)

demo:
	@tests/lib/deps.sh build test
	@$(MAKE) --no-print-directory $(BIN) $(CTL)
	@tests/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(SYSCONFDIR)/pdns-refresher $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(PREFIX)/share/pdns-refresher/sql
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/pdns-refresher
	install -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/sbin/pdns-refresher-control
	install -m 0644 doc/pdns-refresher.8 $(DESTDIR)$(MANDIR)/man8/pdns-refresher.8
	install -m 0644 doc/pdns-refresher-control.8 $(DESTDIR)$(MANDIR)/man8/pdns-refresher-control.8
	install -m 0644 doc/pdns-refresher.conf.5 $(DESTDIR)$(MANDIR)/man5/pdns-refresher.conf.5
	install -m 0644 sql/pdns-refresher.sql $(DESTDIR)$(PREFIX)/share/pdns-refresher/sql/pdns-refresher.sql
	install -m 0640 conf/pdns-refresher.conf $(DESTDIR)$(SYSCONFDIR)/pdns-refresher/pdns-refresher.conf.sample
	install -m 0644 conf/notify-redirect.nft $(DESTDIR)$(SYSCONFDIR)/pdns-refresher/notify-redirect.nft
	[ -e $(DESTDIR)$(SYSCONFDIR)/pdns-refresher/pdns-refresher.conf ] || \
	    install -m 0640 conf/pdns-refresher.conf $(DESTDIR)$(SYSCONFDIR)/pdns-refresher/pdns-refresher.conf
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/pdns-refresher.service \
	    > $(DESTDIR)$(UNITDIR)/pdns-refresher.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/pdns-refresher.service

# The Debian package: built from a copy of the tree, lintian, installed with
# dpkg, used, purged (as root: it installs into the system).
deb:
	@tests/lib/deps.sh build deb
	@tests/deb.sh

clean:
	rm -rf build build-*

# Speed figures (not a test): tests/bench/bench.sh, ours against pdns's own
# secondary and the floors (make bench BENCH=--big: 170,000 zones over
# 10,000 masters), then memory with 170,000 idle zones, the cost of the
# refresher_zone_status table with 170,000 failing zones, NOTIFY latency,
# the cache purge, what two nodes with one writer cost (the lease, failover),
# a small change to a 50,000-record zone (IXFR, AXFR, pdns with and without
# its IXFR metadata), and the steady state with 100,000 zones over 100
# masters.
BENCH    ?=
bench:
	@tests/lib/deps.sh build test bench
	@$(MAKE) --no-print-directory $(BIN) $(BUILD)/axfr-floor $(BUILD)/soa-floor $(BUILD)/fakemaster
	@tests/bench/bench.sh $(BENCH)
	@tests/bench/memory.sh
	@tests/bench/status.sh
	@tests/bench/notify.sh
	@tests/bench/ha.sh
	@tests/bench/purge.sh
	@tests/bench/ixfr.sh
	@tests/bench/steady.sh
