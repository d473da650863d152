# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# asyncscope: eBPF observer of Node.js / libuv async resource lifecycles.
#
#   make            build ./asyncscope
#   sudo make demo  install missing Debian packages, build, trace the bundled demo
#   sudo make test  unit + golden tests, 30 s fuzz, end-to-end tests (node 20, 22, 24, 26, libuv)
#   make unit       unit and golden tests only (no root, no BPF)
#   make fuzz       fuzz the capture readers (FUZZ_TIME=60 seconds)
#   make deb        the Debian package, in .output/deb/
#   sudo make bench benchmarks: overhead side by side, written to bench/results.md
#   make V=1        show full commands

OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(ARCH)

# Debian packages the build, the demo and the tests need (see docs/development.md).
DEB_PACKAGES := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libuv1-dev \
	libclang-rt-dev pkg-config make gcc binutils nodejs npm wrk cmake python3 python3-uvloop neovim \
	chromium help2man lintian man-db bash-completion prometheus

CFLAGS ?= -g -O2
WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter
# user/ headers are included by folder ("lib/log.h"), the wire format as
# "bpf/events.h", the generated skeletons from $(OUTPUT).
INCLUDES := -I$(OUTPUT) -iquote user -iquote .
LIBBPF_LIBS := $(shell pkg-config --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
# libbpf is linked statically so the binary runs where only libelf/zlib exist.
LDLIBS := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lpthread

# clang's default system includes, so BPF programs find asm/ types.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

# bpf/X.bpf.c -> $(OUTPUT)/bpf/X.bpf.o; the tracer's layers are linked into one object
BPF_LAYERS := core node js uv
BPF_OBJS := $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(BPF_LAYERS))
SKEL := $(OUTPUT)/asyncscope.skel.h

# user/ is split by stage; tools/check-layout.sh says which folder may
# include which, and that libbpf stays out of the pure folders.
USER_DIRS := lib event resolve model out live daemon cli
USER_SRCS := $(wildcard $(patsubst %,user/%/*.c,$(USER_DIRS)))
USER_HDRS := $(wildcard $(patsubst %,user/%/*.h,$(USER_DIRS)))
# Pure parts: no libbpf. The unit-test binary links only these, which keeps
# reconstruction and output free of the BPF machinery.
BPF_ONLY_SRCS := user/live/tracer.c user/live/uprobes.c user/live/ingest.c user/live/session.c \
	user/live/privs.c user/live/follow.c user/daemon/daemon_targets.c user/daemon/daemon_loop.c \
	user/daemon/daemon_capture.c
PURE_SRCS := $(filter-out user/cli/main.c user/cli/cmd_%.c $(BPF_ONLY_SRCS), $(USER_SRCS))
BPF_SRCS := $(BPF_ONLY_SRCS) $(wildcard user/cli/cmd_*.c) user/cli/main.c
PURE_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(PURE_SRCS)) $(OUTPUT)/user/out/html_asset.o
BPF_USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(BPF_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%.o,$(UNIT_SRCS))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean deps demo test unit golden e2e bench format format-check vmlinux nodes fuzz deb
.DELETE_ON_ERROR:
.SECONDARY:

all: asyncscope

$(OUTPUT) $(OUTPUT)/unit:
	$(Q)mkdir -p $@

# Header dependencies are found by the compilers (-MMD: a .d file next to
# each object), so an edited header rebuilds exactly what includes it.
DEPFLAGS = -MMD -MP
-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d)

# Every BPF program, the tracer's layers, the process watcher and the
# benchmark's producer alike.
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_DIR)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Ibpf \
		$(CLANG_BPF_SYS_INCLUDES) $(DEPFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/asyncscope.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/asyncscope.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name asyncscope > $@

$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/layout.ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) $(DEPFLAGS) -c $< -o $@

# the HTML report's template, built in with .incbin
$(OUTPUT)/user/out/html_asset.o: user/out/html_asset.S user/out/html/report.html
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c $< -o $@

# The daemon's process watcher: a small object of its own, loaded once.
$(OUTPUT)/procwatch.skel.h: $(OUTPUT)/bpf/procwatch.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name procwatch > $@

# Which folder of user/ may include which (tools/check-layout.sh): checked
# before anything is compiled, so a wrong include fails the build.
$(OUTPUT)/layout.ok: tools/check-layout.sh $(USER_SRCS) $(USER_HDRS) | $(OUTPUT)
	$(call msg,CHECK,layout)
	$(Q)tools/check-layout.sh
	$(Q)touch $@

# On the first build, before any .d file says which objects include the
# skeletons, those that may wait for them.
$(BPF_USER_OBJS): | $(SKEL) $(OUTPUT)/procwatch.skel.h

asyncscope: $(PURE_OBJS) $(BPF_USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# make bench's synthetic producer (bpf/synth.bpf.c) and the user-space
# ingestion benchmark that drains it through the real ingest path
$(OUTPUT)/synth.bpf.o: $(OUTPUT)/bpf/core.bpf.o $(OUTPUT)/bpf/synth.bpf.o
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/synth.skel.h: $(OUTPUT)/synth.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name synth > $@

$(OUTPUT)/ingest-bench: tools/bench/ingest_bench.c $(OUTPUT)/synth.skel.h $(PURE_OBJS) \
		$(OUTPUT)/user/live/ingest.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) $(DEPFLAGS) -MF $@.d -MT $@ \
		$(filter %.c %.o,$^) $(LDLIBS) -o $@

# make bench's probe-cost measurement: a uprobe hit and each helper the
# probes use, timed by bpf_stats (bpf/probe_cost.bpf.c, tools/bench/probe_cost.c)
$(OUTPUT)/probe_cost.skel.h: $(OUTPUT)/bpf/probe_cost.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name probe_cost > $@

$(OUTPUT)/probe-cost: tools/bench/probe_cost.c $(OUTPUT)/probe_cost.skel.h $(PURE_OBJS) \
		$(OUTPUT)/user/live/uprobes.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) $(DEPFLAGS) -MF $@.d -MT $@ \
		$(filter %.c %.o,$^) $(LDLIBS) -o $@

# ---- tests -----------------------------------------------------------------

# Every `void test_<module>__<case>(void)` in tests/unit is collected here, so
# adding a test needs no registration.
$(OUTPUT)/unit/tests.h: $(UNIT_SRCS) | $(OUTPUT)/unit
	$(Q)sed -n 's/^void \(test_[a-z0-9_]*__[a-z0-9_]*\)(void)$$/UNIT_TEST(\1)/p' $(UNIT_SRCS) > $@

$(OUTPUT)/unit/%.o: tests/unit/%.c | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) -Itests/unit $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/unit/runner.o: tests/unit/runner.c $(OUTPUT)/unit/tests.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) $(INCLUDES) -Itests/unit -I$(OUTPUT)/unit $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/unit/unit-tests: $(filter-out $(OUTPUT)/unit/runner.o,$(UNIT_OBJS)) \
		$(OUTPUT)/unit/runner.o $(PURE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lelf -lz -o $@

# node binaries of every tested major (fetched into ~/.cache/asyncscope once)
NODE_ENV = ASYNCSCOPE_NODE20=$$(tools/fetch-node.sh 20) ASYNCSCOPE_NODE22=$$(tools/fetch-node.sh 22) \
	ASYNCSCOPE_NODE24=$$(tools/fetch-node.sh 24) ASYNCSCOPE_NODE26=$$(tools/fetch-node.sh 26)

unit: $(OUTPUT)/unit/unit-tests asyncscope
	$(Q)$(NODE_ENV) $(OUTPUT)/unit/unit-tests
	$(Q)tests/golden/run.sh

# Golden replays of checked-in captures (no root): byte-identical reports.
golden: asyncscope
	$(Q)tests/golden/run.sh

e2e: asyncscope
	$(Q)$(NODE_ENV) tests/e2e/run.sh $(E2E)

# unit and golden tests, a short fuzz pass over the capture readers, then
# the end-to-end tests against real node and libuv programs
test: deps asyncscope $(OUTPUT)/unit/unit-tests
	$(Q)tools/fetch-node.sh all
	$(Q)$(NODE_ENV) $(OUTPUT)/unit/unit-tests
	$(Q)tests/golden/run.sh
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(TEST_FUZZ_TIME)
	$(Q)$(NODE_ENV) tests/e2e/run.sh

# Fuzzing the capture readers (.asr and JSON Lines) with libFuzzer, ASan and
# UBSan: FUZZ_TIME seconds (default 60) from a corpus seeded with the golden
# captures. A crash or a hang (>10 s on one input) leaves its input in
# .output/fuzz/ and fails the target.
FUZZ_TIME ?= 60
TEST_FUZZ_TIME ?= 30
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(OUTPUT)/fuzz/fuzz-capture: tools/fuzz/fuzz_capture.c $(PURE_SRCS) user/out/html_asset.S \
		user/out/html/report.html $(USER_HDRS) $(wildcard bpf/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(INCLUDES) tools/fuzz/fuzz_capture.c $(PURE_SRCS) \
		user/out/html_asset.S -lelf -lz -o $@

fuzz: $(OUTPUT)/fuzz/fuzz-capture
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)cp tests/golden/*.asr tests/golden/*.jsonl $(OUTPUT)/fuzz/corpus/ 2>/dev/null || true
	$(Q)cd $(OUTPUT)/fuzz && { ./fuzz-capture -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 corpus > fuzz.log 2>&1; rc=$$?; \
		grep -E "^(INFO: |==|SUMMARY|stat::number_of_executed_units|stat::new_units)|runtime error" \
			fuzz.log | tail -n 12; exit $$rc; }

# Side-by-side overhead benchmarks (root); writes bench/results.md and .json.
# BENCH_ARGS="--rounds 5" or "--only http,fsstat" narrow or widen the run;
# "--nodes 24 --out /tmp/b" runs one node line and leaves bench/ alone.
bench: deps asyncscope $(OUTPUT)/ingest-bench $(OUTPUT)/probe-cost
	$(Q)tools/fetch-node.sh all
	$(Q)node tools/bench/bench.js $(BENCH_ARGS)

# The Debian package (tools/deb/build-deb.sh): .output/deb/asyncscope_<version>_amd64.deb
deb: asyncscope
	$(Q)tools/install-deps.sh help2man
	$(Q)tools/deb/build-deb.sh ./asyncscope $(OUTPUT)/deb

# ---- set-up and demo -------------------------------------------------------

# Installs only what is missing, so it is quick on a prepared machine.
deps:
	$(Q)tools/install-deps.sh $(DEB_PACKAGES)

nodes:
	$(Q)tools/fetch-node.sh all

demo: deps asyncscope
	$(Q)tools/demo.sh

vmlinux:
	$(Q)vmlinux/gen-vmlinux-h.sh

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h $(USER_SRCS) $(USER_HDRS) tests/unit/*.c tests/unit/*.h

format-check:
	$(Q)clang-format --dry-run --Werror bpf/*.c bpf/*.h $(USER_SRCS) $(USER_HDRS) tests/unit/*.c \
		tests/unit/*.h

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) asyncscope
