# xsensor — see README.md. Every target installs what it needs first (Debian 12, as root).
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= 2
BUILD ?= build
BUILD_TEST ?= build-test
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc

.PHONY: all deps build build-test test demo bench fuzz install clean format

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXSENSOR_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Tests run against an AddressSanitizer + UndefinedBehaviorSanitizer build.
$(BUILD_TEST)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DXSENSOR_SANITIZE=ON -DXSENSOR_WERROR=ON \
	  $(CMAKE_FLAGS)

build-test: deps $(BUILD_TEST)/CMakeCache.txt
	cmake --build $(BUILD_TEST) -j$(JOBS)

test: build-test
	cd $(BUILD_TEST) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash scripts/bench.sh $(BUILD)

# libFuzzer targets with every library instrumented (clang), FUZZ_SECONDS each (default 60).
fuzz:
	@bash scripts/install-deps.sh fuzz
	@bash scripts/fuzz.sh

# Installs under PREFIX (and SYSCONFDIR), or under DESTDIR for packaging.
install: build
	XSENSOR_SYSCONFDIR=$(SYSCONFDIR) cmake --install $(BUILD) --prefix $(PREFIX)
	@bash scripts/install-config.sh $(BUILD)/userspace/xsensor $(SYSCONFDIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_TEST) build-fuzz
