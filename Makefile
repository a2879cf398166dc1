# xsensor — see README.md. Every target installs what it needs first (Debian 12, as root).
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= 2
BUILD ?= build
BUILD_TEST ?= build-test
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
# Warnings are errors where the project's CI builds (.ci/run exports WERROR=ON); a user's build
# does not break on a newer compiler's new warning.
WERROR ?= OFF

.PHONY: all deps deps-test build build-test test demo bench fuzz install deb clean format

all: build

# Only what building needs (scripts/install-deps.sh names every set): no test peers.
deps:
	@bash scripts/install-deps.sh build

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXSENSOR_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Tests run against an AddressSanitizer + UndefinedBehaviorSanitizer build.
# The tests' peers and decoders (nginx, tshark, ipfixDump...) are installed here only.
deps-test:
	@bash scripts/install-deps.sh test

$(BUILD_TEST)/CMakeCache.txt: | deps-test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DXSENSOR_SANITIZE=ON -DXSENSOR_TESTS=ON \
	  -DXSENSOR_BENCH=ON -DXSENSOR_WERROR=$(WERROR) $(CMAKE_FLAGS)

build-test: deps-test $(BUILD_TEST)/CMakeCache.txt
	cmake --build $(BUILD_TEST) -j$(JOBS)

test: build-test
	cd $(BUILD_TEST) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS)

demo: build
	@bash scripts/install-deps.sh demo
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD) -DXSENSOR_BENCH=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	@bash scripts/bench.sh $(BUILD)

# libFuzzer targets with every library instrumented (clang), FUZZ_SECONDS each (default 60).
fuzz:
	@bash scripts/install-deps.sh fuzz
	@bash scripts/fuzz.sh

# Installs under PREFIX (and SYSCONFDIR), or under DESTDIR for packaging.
install: build
	XSENSOR_SYSCONFDIR=$(SYSCONFDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package of the release build (CPack): build/xsensor_VERSION_ARCH.deb and its -dbgsym.
deb: build
	@bash scripts/install-deps.sh deb
	cd $(BUILD) && cpack -G DEB

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_TEST) build-fuzz
