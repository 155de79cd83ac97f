# egov -- the README's commands.  CMake does the real work; this file only
# names the steps.
#   make          build build/egov (release build with debug info)
#   make demo     install what is missing, build, run the platform on SQLite
#   make check    install what is missing, build with ASan+UBSan, run every
#                 test on SQLite and on a throwaway PostgreSQL cluster
#   make bench    HTTP benchmark against nginx (bench/http.sh)
#   make format   clang-format every C file

BUILD       ?= build
CHECK_BUILD ?= build-check
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps demo check check-build bench format clean

all: $(BUILD)/egov

$(BUILD)/egov: FORCE
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEGOV_TESTS=OFF
	cmake --build $(BUILD) -j$(JOBS)

FORCE:

deps:
	scripts/install-deps.sh build

demo:
	scripts/install-deps.sh demo
	$(MAKE) all
	$(BUILD)/egov demo

check-build:
	scripts/install-deps.sh check
	@test -f $(CHECK_BUILD)/CMakeCache.txt || cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEGOV_SANITIZE=ON -DEGOV_WERROR=ON
	cmake --build $(CHECK_BUILD) -j$(JOBS)

check: check-build
	scripts/run-tests.sh $(CHECK_BUILD)

bench:
	scripts/install-deps.sh bench
	$(MAKE) all
	bench/http.sh

format:
	find src tests bench -name '*.[ch]' -print0 | xargs -0 clang-format -i

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
