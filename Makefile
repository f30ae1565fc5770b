# Thin wrapper over Meson + ninja.  `make run` and `make check` are the two
# commands the README promises to work on a fresh Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=

.PHONY: all deps run check bench stress asan tsan fuzz clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps --check-or-install

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) --buildtype=debugoptimized $(MESON_OPTS)

# The demo TD, its quote from a softtdx qgs, and the quote verified; with
# BIOS=FILE, that firmware (e.g. Debian's OVMF.fd) instead, serial on stdio.
BIOS ?=
run: all
ifeq ($(BIOS),)
	scripts/run-demo $(BUILD)
else
	$(BUILD)/vmm/softtdx run -bios $(BIOS) $(RUN_OPTS)
endif

check: all
	scripts/check-layers
	scripts/run-tests $(BUILD)

bench: all
	$(BUILD)/bench/measure
	$(BUILD)/bench/kvm
	$(BUILD)/bench/td
	$(BUILD)/bench/td-uapi
	$(BUILD)/bench/ovmf $(BUILD)/vmm/softtdx
	@if kernel=$$(sh tests/linux/fixture.sh $(BUILD)/fixtures/linux $(BUILD)/bench-initrd); \
	then $(BUILD)/bench/linux $(BUILD)/vmm/softtdx $$kernel $(BUILD)/bench-initrd; \
	else echo "linux-boot s: skipped ($$kernel)"; fi

# Repeated SMP boots of Debian's kernel as a TD (STRESS_BOOTS of them).
STRESS_BOOTS ?= 16
# The multi-vCPU, conversion, QGS and stress tests under ThreadSanitizer.
TSAN_BUILD ?= build-tsan
TSAN_TESTS = test_concurrency test_qgs test_td_run test_td_stress
$(TSAN_BUILD)/build.ninja: | deps
	meson setup $(TSAN_BUILD) -Db_sanitize=thread -Db_lto=false $(MESON_OPTS)

tsan: deps $(TSAN_BUILD)/build.ninja
	ninja -C $(TSAN_BUILD) tests/test_concurrency tests/test_qgs tests/uapi/test_td_run \
		tests/uapi/test_td_stress
	TSAN_OPTIONS=halt_on_error=1 SOFTTDX_STRESS_ITERATIONS=30 \
		meson test -C $(TSAN_BUILD) --no-rebuild --print-errorlogs --timeout-multiplier 4 \
		$(TSAN_TESTS)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

STRESS_ITERATIONS ?= 5000
stress: all
	SOFTTDX_STRESS_ITERATIONS=$(STRESS_ITERATIONS) $(BUILD)/tests/uapi/test_td_stress
	sh tests/linux/stress.sh $(BUILD)/vmm/softtdx $(BUILD)/fixtures/linux $(STRESS_BOOTS)

$(ASAN_BUILD)/build.ninja: | deps
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false $(MESON_OPTS)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASAN_OPTIONS=detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0 \
		scripts/run-tests $(ASAN_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
