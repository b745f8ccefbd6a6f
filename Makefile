# asyncfg: one non-recursive GNU Makefile.
#
#   make                  build/asyncfgd, build/asyncfg, build/fakecloud
#   make check            every test: unit, fuzz corpus replay, e2e, conformance
#   make SANITIZE=address,undefined check   the same, built with sanitizers (in build/san)
#   make MALLOC=libc      build the programs with glibc's malloc instead of tcmalloc
#   make deps             install the Debian packages (and npm modules) that are missing
#   make demo             run the main job against the bundled emulator
#   make fuzz             build the libFuzzer harnesses (clang) and run each for FUZZ_SECONDS
#   make bench            the benchmarks: writes BENCHMARKS.md (tests/bench/bench-report)
#   make man              the manual pages (doc/*.scd, scdoc) in build/man
#   make install          honours PREFIX and DESTDIR; never overwrites an edited configuration
#   make deb              the Debian package build/deb/asyncfg_<version>_<arch>.deb (debian/)
#
# Sources are found by wildcard: every lib/, clouds/ (and its sign/, credentials/) and
# reconciler/<room>/ file goes into the one
# core library; every tests/unit/test-*.c is one test program; every tests/fuzz/fuzz-*.c is
# one fuzzer (and one corpus replayer that make check runs).

CC        ?= gcc
FUZZ_CC   ?= clang
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/asyncfg
DATADIR   ?= $(PREFIX)/share/asyncfg
PYTHON    ?= /usr/bin/python3
FUZZ_SECONDS ?= 60

ifeq ($(SANITIZE),)
BUILD     ?= build
SAN_FLAGS :=
else
BUILD     ?= build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKGS      := libcurl yaml-0.1 jansson libsystemd libmicrohttpd libcrypto sqlite3
# Deferred (=), not immediate: "make check" on a fresh machine installs the packages first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt -lm
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
# The allocator of the programs: gperftools' tcmalloc (Debian's libtcmalloc-minimal4). A run
# allocates about 140 small blocks per cloud request (libyaml, jansson, libcurl, the state
# records), and glibc's malloc was 10-14 % of `asyncfg apply`'s CPU; with tcmalloc the apply
# took 16 % less user CPU, the daemon's sync of 100,000 resources 10 % less CPU and 13 % less
# memory per resource (tests/bench/bench-apply, tests/bench/scale-daemon; BENCHMARKS.md).
# MALLOC=libc builds with glibc's (relink: make clean). Never with sanitizers: they bring
# their own.
MALLOC    ?= tcmalloc
ifeq ($(SANITIZE)$(MALLOC),tcmalloc)
MALLOC_LIBS = -Wl,--push-state,--no-as-needed $(shell pkg-config --libs libtcmalloc_minimal 2>/dev/null) -Wl,--pop-state
endif

WARNINGS  := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
             -Wimplicit-fallthrough -Wno-unused-parameter -Wno-missing-field-initializers
ifneq ($(CI),)
WARNINGS  += -Werror
endif
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT       ?= -O2 -g
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

CPPFLAGS  += -I. -D_GNU_SOURCE -DASYNCFG_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=gnu11 $(OPT) $(WARNINGS) $(HARDEN) $(SAN_FLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(SAN_FLAGS) $(LDFLAGS)

CORE_SRC  := $(sort $(wildcard lib/*.c clouds/*.c clouds/*/*.c reconciler/*/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_LIB  := $(BUILD)/libasyncfg.a

# The emulator: everything but its main() goes into a library the fuzzers and tests link.
FAKE_SRC  := $(sort $(filter-out tests/fakecloud/main.c,$(wildcard tests/fakecloud/*.c)))
FAKE_OBJ  := $(FAKE_SRC:%.c=$(BUILD)/obj/%.o)
FAKE_LIB  := $(BUILD)/libfakecloud.a

UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/tests/replay-%)

BIN_DAEMON := $(BUILD)/asyncfgd
BIN_CLI   := $(BUILD)/asyncfg
BIN_FAKE  := $(if $(wildcard tests/fakecloud/main.c),$(BUILD)/fakecloud)
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: cluster-test
.PHONY: all build-tests check check-all check-layering check-unit check-fuzz check-e2e check-conformance deps demo fuzz bench \
        bench-fakecloud man install deb clean format format-check
.DEFAULT_GOAL := all
# Keep objects of pattern chains (replayers, tests); deleting them only forces rebuilds.
.SECONDARY:

all: $(BIN_DAEMON) $(BIN_CLI) $(BIN_FAKE)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(FAKE_LIB): $(FAKE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN_DAEMON): $(BUILD)/obj/cmd/asyncfgd.o $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MALLOC_LIBS)

$(BIN_CLI): $(BUILD)/obj/cmd/asyncfg.o $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MALLOC_LIBS)

$(BUILD)/fakecloud: $(BUILD)/obj/tests/fakecloud/main.o $(FAKE_LIB) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/tests/test-%: $(BUILD)/obj/tests/unit/test-%.o $(FAKE_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread

# Corpus replayers: the fuzz harness with a plain main() (tests/fuzz/replay.c), built with
# the normal compiler, so make check needs neither clang nor libFuzzer.
$(BUILD)/tests/replay-%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o $(FAKE_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(FAKE_LIB) $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread $(MALLOC_LIBS)

build-tests: $(UNIT_BIN) $(REPLAY_BIN) $(BENCH_BIN)

# ---- tests ---------------------------------------------------------------------------

export ASYNCFG_BUILD_DIR := $(abspath $(BUILD))

# check and demo install what they need first (README: each command works on a fresh machine).
check:
	@tests/install-deps
	@$(MAKE) --no-print-directory check-all

check-all: check-layering format-check all check-unit check-fuzz check-e2e check-conformance

# DESIGN.md §1's dependency arrows, over every #include of the product.
check-layering:
	@tests/check-layering

check-unit: $(UNIT_BIN)
	@tests/run-unit $(UNIT_BIN)

check-fuzz: $(REPLAY_BIN)
	@set -e; for f in $(FUZZ_NAMES); do \
	    echo "replay $$f: tests/fuzz/corpus/$$f"; \
	    $(BUILD)/tests/replay-$$f tests/fuzz/corpus/$$f; done

check-e2e: all $(BENCH_BIN)
	@if ls tests/e2e/test_*.py >/dev/null 2>&1; then \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e; fi

# Cluster mode's long scenarios (3 etcd members, 3-4 daemons; a few minutes): .ci/run runs it.
cluster-test: all
	$(PYTHON) -m pytest -q -s -p no:cacheprovider tests/cluster

check-conformance: all
	@if [ -f tests/conformance/package.json ] && [ -z "$(SANITIZE)" ]; then \
	    tests/conformance/run; fi

# ---- reliability suites (RELIABILITY.md; tests/reliability) ----------------------------
# `make reliability`: the long variants (1,000 resources) of suites 1-3 and suites 4-6, then a
# bounded fuzzing run (suite 7, RELIABILITY_FUZZ_SECONDS per fuzzer), then RELIABILITY.md
# rendered from the figures they write to build/reliability; one after the other, so that no
# step's timing is another's load. .ci/run runs the three steps apart (the fuzzing after the
# sanitizer check). `make check` runs the short ones (100 resources), not under the
# sanitizers (their timing bounds are the daemon's, not ASan's).
.PHONY: reliability reliability-suites reliability-fuzz reliability-render check-reliability-short
RELIABILITY_OUT := $(abspath $(BUILD))/reliability
RELIABILITY_FUZZ_SECONDS ?= 10
reliability:
	@$(MAKE) --no-print-directory reliability-suites
	@$(MAKE) --no-print-directory reliability-fuzz
	@$(MAKE) --no-print-directory reliability-render
reliability-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(RELIABILITY_FUZZ_SECONDS)
	@ASYNCFG_RELIABILITY_OUT=$(RELIABILITY_OUT) \
	    $(PYTHON) tests/reliability/fuzz_figures.py $(RELIABILITY_FUZZ_SECONDS)
reliability-render:
	@$(PYTHON) tests/reliability/render.py $(RELIABILITY_OUT) RELIABILITY.md
reliability-suites: all
	@ASYNCFG_RELIABILITY_SCALE=long ASYNCFG_RELIABILITY_OUT=$(RELIABILITY_OUT) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/reliability
check-all: check-reliability-short
check-reliability-short: all
	@if [ -z "$(SANITIZE)" ]; then ASYNCFG_RELIABILITY_SCALE=short \
	    ASYNCFG_RELIABILITY_OUT=$(RELIABILITY_OUT)/short \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/reliability; fi

# deploy/prometheus: the alerting rules are valid and fire as their tests say (promtool, from
# Debian's prometheus package; the test file names the rules relative to itself).
.PHONY: check-rules
check-all: check-rules
check-rules:
	@promtool check rules deploy/prometheus/asyncfg-alerts.rules.yaml
	@cd deploy/prometheus && promtool test rules asyncfg-alerts.test.yaml

# ---- fuzzing (clang, libFuzzer) ------------------------------------------------------

FUZZ_BUILD := build/fuzz
FUZZ_FLAGS := -std=gnu11 -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) -I. -D_GNU_SOURCE -DASYNCFG_VERSION='"$(VERSION)"' -DFUZZING
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(FAKE_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) -lpthread

# A finding (crash, leak, timeout, abort of an invariant) fails the target: its log's tail is
# shown and the input is kept as build/fuzz/<fuzzer>-crash-* (add it to the corpus once fixed)
# until the next run.
fuzz: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%)
	@set -e; for f in $(FUZZ_NAMES); do \
	    mkdir -p build/fuzz/corpus-$$f; rm -f build/fuzz/$$f-*-*; \
	    if ! $(FUZZ_BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -artifact_prefix=build/fuzz/$$f- -dict=tests/fuzz/$$f.dict \
	        build/fuzz/corpus-$$f tests/fuzz/corpus/$$f > build/fuzz/$$f.log 2>&1; then \
	        tail -n 40 build/fuzz/$$f.log; echo "fuzz: $$f found a problem (build/fuzz/$$f.log)"; \
	        exit 1; fi; \
	    echo "fuzz: $$f: $$(grep -h '^Done' build/fuzz/$$f.log)"; \
	done

# ---- the rest ------------------------------------------------------------------------

deps:
	@tests/install-deps

demo:
	@tests/install-deps
	@$(MAKE) --no-print-directory all
	@tests/demo

bench: all $(BENCH_BIN)
	@tests/bench/run

bench-fakecloud: all $(BENCH_BIN)
	@tests/bench/run fakecloud

# ---- manual pages, install, Debian package --------------------------------------------

# doc/NAME.SECTION.scd -> build/man/NAME.SECTION (scdoc, Debian's package of that name).
MAN_SRC   := $(sort $(wildcard doc/*.scd))
MAN_PAGES := $(MAN_SRC:doc/%.scd=$(BUILD)/man/%)

man: $(MAN_PAGES)

$(BUILD)/man/%: doc/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@

# Prometheus rules and the Grafana dashboard: whatever deploy/ holds, by wildcard.
PROM_FILES := $(sort $(wildcard deploy/*.rules.yaml deploy/prometheus/*.yaml deploy/prometheus/*.yml))
GRAFANA_FILES := $(sort $(wildcard deploy/grafana/*.json))
UNIT_SED  := -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'
ETC_CONFIG = $(DESTDIR)$(SYSCONFDIR)/asyncfg/asyncfgd.yaml

# The configuration is installed only where there is none: an existing one (edited or not) is
# left alone and the shipped one goes next to it as asyncfgd.yaml.dist, to compare by hand.
# (The Debian package marks it a conffile instead: dpkg asks before replacing an edited one.)
install: $(BIN_DAEMON) $(BIN_CLI) $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/asyncfg/desired.d
	install -m 0755 $(BIN_DAEMON) $(BIN_CLI) $(DESTDIR)$(BINDIR)/
	@if [ -e $(ETC_CONFIG) ]; then \
	    echo "install: $(ETC_CONFIG) exists, left alone; the shipped one is $(ETC_CONFIG).dist"; \
	    install -m 0644 config/asyncfgd.yaml $(ETC_CONFIG).dist; \
	else install -m 0644 config/asyncfgd.yaml $(ETC_CONFIG); fi
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	sed $(UNIT_SED) deploy/asyncfgd.service > $(DESTDIR)$(UNITDIR)/asyncfgd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/asyncfgd.service
	install -m 0644 deploy/asyncfg.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/asyncfg.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@set -e; for p in $(MAN_PAGES); do s=$${p##*.}; \
	    install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done
	$(if $(PROM_FILES),install -d $(DESTDIR)$(DATADIR)/prometheus && \
	    install -m 0644 $(PROM_FILES) $(DESTDIR)$(DATADIR)/prometheus/)
	$(if $(GRAFANA_FILES),install -d $(DESTDIR)$(DATADIR)/grafana && \
	    install -m 0644 $(GRAFANA_FILES) $(DESTDIR)$(DATADIR)/grafana/)

# dpkg-buildpackage with debian/ (at the top, where every Debian tool looks for it); its rules
# call this Makefile, so the objects in build/ are reused. No pre-clean (-nc): build/ stays.
# Everything it writes goes to build/deb, not to the parent directory.
DEB_DIR   := $(abspath $(BUILD))/deb
DEB_ARCH   = $(shell dpkg-architecture -qDEB_HOST_ARCH)
deb:
	@mkdir -p $(DEB_DIR)
	ASYNCFG_DEB_DIR=$(DEB_DIR) dpkg-buildpackage -b -nc -us -uc \
	    --buildinfo-file=$(DEB_DIR)/asyncfg_$(VERSION)_$(DEB_ARCH).buildinfo \
	    --buildinfo-option=-u$(DEB_DIR) \
	    --changes-file=$(DEB_DIR)/asyncfg_$(VERSION)_$(DEB_ARCH).changes \
	    --changes-option=-u$(DEB_DIR)
	@echo "deb: $(DEB_DIR)/asyncfg_$(VERSION)_$(DEB_ARCH).deb"

# deploy/git-sync: the sync script, its service and timer (not enabled), and an example of its
# settings (git-sync.env.example; the service runs once /etc/asyncfg/git-sync.env exists).
GITSYNCDIR ?= $(PREFIX)/lib/asyncfg
.PHONY: install-git-sync
install: install-git-sync
install-git-sync:
	install -d $(DESTDIR)$(GITSYNCDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 deploy/git-sync/asyncfg-git-sync $(DESTDIR)$(GITSYNCDIR)/asyncfg-git-sync
	sed 's|@GITSYNCDIR@|$(GITSYNCDIR)|g' deploy/git-sync/asyncfg-git-sync.service \
	    > $(DESTDIR)$(UNITDIR)/asyncfg-git-sync.service
	install -m 0644 deploy/git-sync/asyncfg-git-sync.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 deploy/git-sync/git-sync.env $(DESTDIR)$(DOCDIR)/git-sync.env.example

FORMAT_SRC = $(wildcard cmd/*.c lib/*.[ch] clouds/*.[ch] clouds/*/*.[ch] reconciler/*/*.[ch] \
                         tests/unit/*.[ch] tests/fuzz/*.c tests/fakecloud/*.[ch] tests/bench/*.c)

# .clang-format holds the layout; format rewrites the sources, format-check (part of make
# check) fails on any file that clang-format would change and shows how.
format:
	clang-format -i $(FORMAT_SRC)

format-check:
	@bad=0; for f in $(FORMAT_SRC); do \
	    if ! clang-format "$$f" | cmp -s "$$f" -; then \
	        echo "$$f: not as clang-format lays it out:"; clang-format "$$f" | diff -u "$$f" - | head -n 20; bad=1; fi; \
	done; if [ $$bad -ne 0 ]; then echo "format-check: run 'make format'" >&2; exit 1; fi; \
	echo "format-check: every source is as .clang-format lays it out"

clean:
	rm -rf build debian/.debhelper debian/asyncfg debian/files debian/debhelper-build-stamp \
	    debian/*.debhelper debian/*.debhelper.log debian/*.substvars

-include $(shell find build -name '*.d' 2>/dev/null)
