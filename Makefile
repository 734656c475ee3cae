# ahttp - plain Makefile. Outputs go under build/ (build/san with SANITIZE=1).
#   make            shared + static library, examples
#   make check      every test and the contract checks (README's test command)
#   make install    PREFIX=/usr/local DESTDIR=
#   make demo       the ahttp tool and examples/gather against a local test server
# The user's CPPFLAGS/CFLAGS/LDFLAGS are kept; ours are added to them.

PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR?= $(PREFIX)/include
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CC        ?= cc
CXX       ?= c++
CFLAGS    ?= -O2 -g
PYTHON    ?= python3
PKG_CONFIG ?= pkg-config

# Version: read once from the header.
VERSION_OF = $(shell sed -n 's/^\#define AH_VERSION_$(1) \([0-9]*\)$$/\1/p' include/ahttp.h)
MAJOR   := $(call VERSION_OF,MAJOR)
MINOR   := $(call VERSION_OF,MINOR)
PATCH   := $(call VERSION_OF,PATCH)
VERSION := $(MAJOR).$(MINOR).$(PATCH)

# Linux only (epoll, timerfd, eventfd), libcurl 7.88.1 or newer: said
# before anything is compiled (lib/curl_caps.c says it again to a
# compiler driven by another build system).
ifeq ($(filter clean distclean uninstall,$(MAKECMDGOALS)),)
ifneq ($(shell uname -s),Linux)
$(error ahttp builds on Linux only (epoll, timerfd, eventfd); this system is $(shell uname -s))
endif
ifeq ($(LIBCURL_V)$(LIBCURL_PREFIX),)
ifeq ($(shell $(PKG_CONFIG) --exists libcurl 2>/dev/null && ! $(PKG_CONFIG) --atleast-version=7.88.1 libcurl && echo old),old)
$(error libcurl $(shell $(PKG_CONFIG) --modversion libcurl) is too old: ahttp needs 7.88.1 or newer)
endif
endif
endif

# libcurl: the one pkg-config finds, or with LIBCURL_V a release that
# tests/libcurl.sh built (see check-libcurl below).
ifneq ($(LIBCURL_V)$(LIBCURL_RUN),)
LEG_PREFIX := $(CURDIR)/build/libcurl/$(LIBCURL_V)$(LIBCURL_RUN)
ifeq ($(wildcard $(LEG_PREFIX)/.done)$(filter clean distclean,$(MAKECMDGOALS)),)
$(error libcurl $(LIBCURL_V)$(LIBCURL_RUN) is not built: make libcurl-release V=$(LIBCURL_V)$(LIBCURL_RUN))
endif
export LD_LIBRARY_PATH := $(LEG_PREFIX)/lib
export AH_EXPECT_LIBCURL := $(LIBCURL_V)$(LIBCURL_RUN)
endif
ifneq ($(LIBCURL_V),)
LIBCURL_PREFIX := $(LEG_PREFIX)
endif
ifeq ($(LIBCURL_PREFIX),)
CURL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
else
CURL_CFLAGS := -I$(LIBCURL_PREFIX)/include
CURL_LIBS   := -L$(LIBCURL_PREFIX)/lib -lcurl
endif
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(SANITIZE),1)
B := build/san
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
B := build/tsan
SAN := -fsanitize=thread -fno-omit-frame-pointer
else
B := build
SAN :=
endif
ifneq ($(LIBCURL_V),)
B := $(B)/curl-$(LIBCURL_V)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude $(SAN)
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DAH_BUILDING_LIBRARY $(CURL_CFLAGS)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(patsubst lib/%.c,$(B)/obj/%.o,$(LIB_SRC))
# Before 1.0 a minor release may change the interface (docs/design.md,
# "ABI and versioning"): the soname carries the minor then.
SONAME  := libahttp.so.$(if $(filter 0,$(MAJOR)),0.$(MINOR),$(MAJOR))
SHARED  := $(B)/libahttp.so.$(VERSION)
STATIC  := $(B)/libahttp.a

TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
TEST_UTIL := $(B)/tests/testutil.o
EXAMPLES  := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))

.SECONDARY:

.PHONY: all lib examples tool check test contract install uninstall clean distclean demo deps

all: lib examples tool

lib: $(SHARED) $(STATIC) $(B)/libahttp.so $(B)/pkgconfig/ahttp-uninstalled.pc

# A program finds this build uninstalled through pkg-config's own rule:
# with PKG_CONFIG_PATH=$(B)/pkgconfig, `pkg-config ahttp` reads
# ahttp-uninstalled.pc (this tree's header, this build's library).
$(B)/pkgconfig/ahttp-uninstalled.pc: pkgconfig/ahttp.pc.in include/ahttp.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@LIBDIR@|$(CURDIR)/$(B)|' \
	    -e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|^Libs: .*|Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lahttp|' \
	    -e 's|^Name: ahttp|Name: ahttp (uninstalled, $(CURDIR)/$(B))|' $< > $@

$(B)/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(SHARED): $(LIB_OBJ) lib/libahttp.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libahttp.map \
	  $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(CURL_LIBS) -lpthread

$(B)/libahttp.so: $(SHARED)
	ln -sf libahttp.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Examples use the public header and the shared library only; the host
# loop examples also their loop library (libuv1-dev, libevent-dev), and
# are built when pkg-config finds it (said when not).
LOOPS_MISSING := $(strip $(foreach l,libuv libevent,$(if $(shell $(PKG_CONFIG) --exists $(l) 2>/dev/null && echo y),,$(l))))
EXAMPLES := $(filter-out $(patsubst %,$(B)/examples/%_loop,$(LOOPS_MISSING)),$(EXAMPLES))
examples: $(EXAMPLES) $(if $(filter libuv,$(LOOPS_MISSING)),,$(B)/tests/adapter_uv)
$(B)/tests/adapter_uv: tests/adapter_uv.c include/ahttp.h include/ahttp/adapters/libuv.h $(B)/libahttp.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ -L$(B) -lahttp -Wl,-rpath,'$$ORIGIN/..' \
	  $(shell $(PKG_CONFIG) --cflags --libs libuv) $(LDFLAGS)
ifneq ($(LOOPS_MISSING),)
	@echo "examples: not built: $(patsubst %,examples/%_loop.c,$(LOOPS_MISSING)) (pkg-config finds no $(LOOPS_MISSING))"
endif
$(B)/examples/libuv_loop: EX_LIBS = $(shell $(PKG_CONFIG) --cflags --libs libuv)
$(B)/examples/libevent_loop: EX_LIBS = $(shell $(PKG_CONFIG) --cflags --libs libevent)
$(B)/examples/threads: EX_LIBS = -lpthread
$(B)/examples/%: examples/%.c include/ahttp.h $(B)/libahttp.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ -L$(B) -lahttp -Wl,-rpath,'$$ORIGIN/..' $(EX_LIBS) $(LDFLAGS)

# The ahttp tool (src/): the public header only, the static library in,
# so that the installed binary needs nothing of ours at run time.
TOOL_SRC := $(wildcard src/*.c)
TOOL_OBJ := $(patsubst src/%.c,$(B)/tool/%.o,$(TOOL_SRC))
TOOL     := $(B)/ahttp
tool: $(TOOL)
$(B)/tool/%.o: src/%.c src/tool.h include/ahttp.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(TOOL): $(TOOL_OBJ) $(STATIC)
	$(CC) $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CURL_LIBS) -lpthread -lm

# Tests link the static library: they also reach internal ah__ functions.
$(B)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Ilib $(CURL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/tests/test_%: $(B)/tests/test_%.o $(TEST_UTIL) $(STATIC)
	$(CC) $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(CURL_LIBS) -lpthread

# Allocation-failure torture, under AddressSanitizer (issue: reliability).
$(B)/tests/torture: $(B)/tests/torture.o $(TEST_UTIL) $(STATIC)
	$(CC) $(SAN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(CURL_LIBS) -lpthread
.PHONY: torture torture-run
torture:
	@$(MAKE) --no-print-directory SANITIZE=1 torture-run
torture-run: deps $(B)/tests/torture
	@ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 PYTHON=$(PYTHON) \
	  AH_TEST_SERVER=tests/server.py $(B)/tests/torture

# Fuzzing (issue: reliability): clang's libFuzzer, the library built into
# each harness with ASan and UBSan. FUZZ_SECONDS each (CI: 60).
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Ilib $(CURL_CFLAGS)
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) lib/*.h include/ahttp.h
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) $< $(LIB_SRC) -o $@ $(CURL_LIBS) -lpthread
.PHONY: fuzz
fuzz: deps $(FUZZ_DIR)/fuzz_response $(FUZZ_DIR)/fuzz_request
	@for h in response request; do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$h; \
	  echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
	  $(FUZZ_DIR)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -print_final_stats=1 $(FUZZ_DIR)/corpus-$$h tests/fuzz/$$h \
	    > $(FUZZ_DIR)/$$h.log 2>&1 || { tail -40 $(FUZZ_DIR)/$$h.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' $(FUZZ_DIR)/$$h.log | \
	    sed "s/^/fuzz: $$h: /"; \
	done

TEST_TIMEOUT ?= 300
# The examples are made after deps, by a make that looks for libuv and
# libevent again (deps may just have installed them).
check: deps lib tool $(TEST_BIN) $(if $(SANITIZE),,contract)
	@$(MAKE) --no-print-directory examples
	@$(PYTHON) tests/layers.py $(B)/obj
	@VALGRIND=$(filter 1,$(VALGRIND)) PYTHON=$(PYTHON) AH_TEST_SERVER=tests/server.py \
	  sh tests/run.sh $(TEST_TIMEOUT) $(TEST_BIN)
	@$(PYTHON) tests/test_tool.py $(TOOL)
	@PYTHON=$(PYTHON) sh tests/examples.sh $(B)
	@PYTHON=$(PYTHON) sh tests/outside.sh $(TOOL)
	@$(PYTHON) tests/tutorial.py docs/tutorial.md README.md
ifeq ($(SANITIZE),)
	@MAKE="$(MAKE)" sh tests/install.sh
	@MAKE="$(MAKE)" sh tests/dist.sh
endif

test: check

# Compatibility legs: the whole suite on one libcurl release, built from
# $(LIBCURL_SRC)/curl-V.tar.xz into build/libcurl/V once and kept there.
#   make check-libcurl V=8.21.0          built against V's headers, run on V
#   make check-libcurl-runtime V=8.21.0  built against the system's headers
#                                        (build/ as make check), run on V
# libcurl keeps one soname from 7.16 on, so the second is what a program
# built on one distribution meets on another. Any other goal takes
# LIBCURL_V=V (build against and run on V, in $(B)/curl-V) or LIBCURL_RUN=V
# (run on V), e.g. make bench LIBCURL_V=8.21.0. AH_EXPECT_LIBCURL makes
# test_curl_bridge fail unless V is the libcurl that really ran.
LIBCURL_SRC ?= ../shared/libcurl
.PHONY: check-libcurl check-libcurl-runtime libcurl-release
libcurl-release:
	@test -n "$(V)" || { echo "usage: make $(MAKECMDGOALS) V=8.21.0"; exit 2; }
	@LIBCURL_SRC="$(LIBCURL_SRC)" sh tests/libcurl.sh $(V)
check-libcurl: libcurl-release
	@echo "check-libcurl: built against and run on libcurl $(V)"
	@$(MAKE) --no-print-directory check LIBCURL_V=$(V)
check-libcurl-runtime: libcurl-release
	@echo "check-libcurl-runtime: built against the system's libcurl, run on $(V)"
	@$(MAKE) --no-print-directory check LIBCURL_RUN=$(V)

contract: $(SHARED) $(STATIC)
	@sh tests/contract.sh "$(CC)" "$(CXX)" $(SHARED)
	@sh tests/abi.sh $(SHARED) $(ABI_BASELINE)

# The ABI baseline (tests/abi.sh): one per minor version before 1.0, as
# a minor may change the interface then; written only when asked.
ABI_BASELINE := abi/libahttp-$(if $(filter 0,$(MAJOR)),0.$(MINOR),$(MAJOR)).abi
.PHONY: abi-baseline
abi-baseline: $(SHARED)
	@mkdir -p abi
	abidw --headers-dir include --drop-private-types --no-corpus-path \
	  --out-file $(ABI_BASELINE) $(SHARED)

deps:
	@AH_NO_INSTALL=$(filter 1 yes,$(NO_INSTALL)) sh tests/deps.sh

# CMake's package files: paths relative to where they are installed.
CMAKEDIR ?= $(LIBDIR)/cmake/ahttp
rel_to_cmakedir = $(shell realpath -m -s --relative-to=$(CMAKEDIR) $(1))
SIZEOF_VOID_P := $(shell echo | $(CC) $(CFLAGS) -dM -E - 2>/dev/null | sed -n 's/^\#define __SIZEOF_POINTER__ //p')
CMAKE_SUBST = -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' -e 's|@MINOR@|$(MINOR)|g' \
  -e 's|@SONAME@|$(SONAME)|g' -e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g' \
  -e 's|@REL_INCLUDEDIR@|$(call rel_to_cmakedir,$(INCLUDEDIR))|g' \
  -e 's|@REL_LIBDIR@|$(call rel_to_cmakedir,$(LIBDIR))|g'
ADAPTERS := $(wildcard include/ahttp/adapters/*.h)
# The pages' source field (.TH's fourth) gets the version.
MAN_SUBST := '1,3s/^\(\.TH [^"]* "[^"]*" \)"ahttp"/\1"ahttp $(VERSION)"/'

install: lib tool
	install -d $(DESTDIR)$(INCLUDEDIR)/ahttp/adapters $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(CMAKEDIR)
	install -m 644 include/ahttp.h $(DESTDIR)$(INCLUDEDIR)/ahttp.h
	install -m 644 $(ADAPTERS) $(DESTDIR)$(INCLUDEDIR)/ahttp/adapters/
	sed $(CMAKE_SUBST) cmake/ahttpConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/ahttpConfig.cmake
	sed $(CMAKE_SUBST) cmake/ahttpConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/ahttpConfigVersion.cmake
	chmod 644 $(DESTDIR)$(CMAKEDIR)/ahttpConfig.cmake $(DESTDIR)$(CMAKEDIR)/ahttpConfigVersion.cmake
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libahttp.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libahttp.so
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libahttp.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    pkgconfig/ahttp.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/ahttp.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/ahttp.pc
	for f in docs/man3/*.3; do sed $(MAN_SUBST) $$f > $(DESTDIR)$(MANDIR)/man3/$${f##*/}; done
	chmod 644 $(DESTDIR)$(MANDIR)/man3/*.3
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/ahttp
	sed $(MAN_SUBST) docs/man1/ahttp.1 > $(DESTDIR)$(MANDIR)/man1/ahttp.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/ahttp.1

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ahttp.h $(DESTDIR)$(LIBDIR)/libahttp.* \
	  $(DESTDIR)$(PKGCONFIGDIR)/ahttp.pc $(DESTDIR)$(BINDIR)/ahttp \
	  $(DESTDIR)$(MANDIR)/man1/ahttp.1 \
	  $(DESTDIR)$(CMAKEDIR)/ahttpConfig.cmake $(DESTDIR)$(CMAKEDIR)/ahttpConfigVersion.cmake
	for f in $(ADAPTERS); do rm -f $(DESTDIR)$(INCLUDEDIR)/ahttp/adapters/$${f##*/}; done
	-rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(INCLUDEDIR)/ahttp/adapters $(DESTDIR)$(INCLUDEDIR)/ahttp 2>/dev/null
	for f in docs/man3/*.3; do rm -f $(DESTDIR)$(MANDIR)/man3/$${f##*/}; done

# Benchmarks (never part of make check): see bench/bench.py.
BENCH_BIN := $(B)/bench/bench_ahttp $(B)/bench/raw_socket $(B)/bench/raw_poll $(B)/bench/measure \
             $(B)/bench/mem $(B)/bench/soak $(B)/bench/pagefault
$(B)/bench/bench_ahttp: bench/bench_ahttp.c include/ahttp.h $(B)/libahttp.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ -L$(B) -lahttp -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS)
$(B)/bench/soak: bench/soak.c include/ahttp.h $(B)/libahttp.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ -L$(B) -lahttp -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS)
$(B)/bench/mem: bench/mem.c include/ahttp.h $(B)/libahttp.so
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ -L$(B) -lahttp -Wl,-rpath,'$$ORIGIN/..' $(LDFLAGS)
$(B)/bench/measure: bench/measure.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@
$(B)/bench/pagefault: bench/pagefault.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@
$(B)/bench/raw_%: bench/raw_%.c bench/raw_common.h include/ahttp.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iinclude $(CURL_CFLAGS) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(CURL_LIBS) $(LDFLAGS)

.PHONY: bench bench-quick bench-ratios bench-instr bench-cache bench-deps soak
soak: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/soak.py --bin $(B)/bench
bench-deps:
	@sh bench/deps.sh
bench: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/bench.py --bin $(B)/bench $(BENCH_ARGS)
bench-quick: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/bench.py --bin $(B)/bench --quick $(BENCH_ARGS)
# The README's line of wall-clock ratios: ahttp and the raw loops only,
# pinned (clients on one CPU, nginx on another), paired over 10 rounds.
bench-ratios: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/bench.py --bin $(B)/bench --ratios --only W1,W2,W3,W5 --rounds 10 $(BENCH_ARGS)
bench-instr: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/instr.py --bin $(B)/bench
bench-cache: bench-deps lib $(BENCH_BIN)
	@/usr/bin/python3 bench/cache.py --bin $(B)/bench $(BENCH_CACHE_ARGS)

# A release: ahttp-VERSION.tar.gz of the files git tracks, as they are in
# the work tree (from a tarball, of every file outside build/); ordered,
# dated and owned the same on every run. tests/dist.sh (make check)
# unpacks it and builds it on its own.
DIST_DIR ?= build
DIST_NAME := ahttp-$(VERSION)
.PHONY: dist version
version:
	@echo $(VERSION)
dist:
	@mkdir -p $(DIST_DIR)
	@if [ -e .git ] && command -v git >/dev/null 2>&1; then git ls-files; \
	 else find . -path ./build -prune -o -type f -print | sed 's|^\./||'; fi | LC_ALL=C sort > $(DIST_DIR)/$(DIST_NAME).files
	@tar --create --gzip --file $(DIST_DIR)/$(DIST_NAME).tar.gz --no-recursion \
	  --transform 's|^|$(DIST_NAME)/|' --owner=0 --group=0 --numeric-owner --mode=go-w \
	  --mtime="$$(git log -1 --format=@%ct 2>/dev/null || echo @0)" \
	  --files-from $(DIST_DIR)/$(DIST_NAME).files
	@rm -f $(DIST_DIR)/$(DIST_NAME).files
	@echo "dist: $(DIST_DIR)/$(DIST_NAME).tar.gz"

demo: deps lib tool $(B)/examples/gather
	@PYTHON=$(PYTHON) sh examples/demo.sh $(TOOL) $(B)/examples/gather

# clean keeps the libcurl releases built for the legs (minutes to
# build again); distclean removes them too.
clean:
	@if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name libcurl -exec rm -rf {} +; fi
distclean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(wildcard $(B)/tests/*.d)
