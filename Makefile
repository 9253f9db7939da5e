# StackSmart — the two commands a developer needs are `make run` and `make test`.
# Tools and the cargo target dir live outside the checkout (STACKSMART_CACHE) so a warm
# machine and a fresh clone reuse them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
STACKSMART_CACHE ?= $(HOME)/.cache/stacksmart
export STACKSMART_CACHE
export CARGO_TARGET_DIR ?= $(STACKSMART_CACHE)/target
export PATH := $(STACKSMART_CACHE)/tools/bin:$(HOME)/.cargo/bin:$(PATH)
# Browsers write their caches and profiles here during tests, never into $HOME.
export XDG_CACHE_HOME := $(CURDIR)/build/xdg-cache
export XDG_CONFIG_HOME := $(CURDIR)/build/xdg-config
STAGE = scripts/stage.sh

.PHONY: setup build run test test-native test-wasm e2e lint fmt size bench bench-server eval eval-pages bench-popup clean

setup:
	@$(STAGE) setup scripts/setup.sh

build: setup
	@$(STAGE) build scripts/build.sh

run: build
	@scripts/run.sh

test: setup
	@$(STAGE) "lint" $(MAKE) --no-print-directory lint
	@$(STAGE) "native tests (engine, background, popup, sync server on real Postgres)" $(MAKE) --no-print-directory test-native
	@$(STAGE) "wasm tests in headless Chromium" $(MAKE) --no-print-directory test-wasm
	@$(STAGE) build scripts/build.sh
	@$(STAGE) "end-to-end (Chromium, Firefox)" $(MAKE) --no-print-directory e2e
	@echo "make test: all stages passed"

test-native:
	cargo test --workspace --quiet

# The background's boundary code compiled to wasm, run in a real browser.
test-wasm:
	CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p stacksmart-background --test wasm

e2e:
	cd tests && node --test --test-concurrency=1 e2e/

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	cargo clippy --quiet --target wasm32-unknown-unknown -p stacksmart-background -p stacksmart-ui --all-targets -- -D warnings
	# The two modules the build makes of the pages' crate, each on its own (dead code shows).
	cargo clippy --quiet --target wasm32-unknown-unknown -p stacksmart-ui --no-default-features --features popup -- -D warnings
	cargo clippy --quiet --target wasm32-unknown-unknown -p stacksmart-ui --no-default-features --features options -- -D warnings

fmt:
	cargo fmt --all

size:
	@scripts/size.sh

# Criterion benchmarks of the engine (stack optimizer vs its brute-force oracle; deal score).
bench: setup
	cargo bench -p stacksmart-engine --bench stack
	cargo bench -p stacksmart-engine --bench score
	CHROMEDRIVER=/usr/bin/chromedriver cargo test --profile wasm-release --target wasm32-unknown-unknown \
	  -p stacksmart-background --test wasm_bench -- --nocapture

# The popup's time to paint its product (median of 20), in headless Chromium.
bench-popup: build
	cd tests && node popup-timing.js

# Native detection over a folder of saved pages (the product-pages format) and its scores.
PAGES ?= ../shared/data/product-pages
# The built extension in headless Chromium over a page set (pages served at their own
# addresses from the saved files, nothing else reaches the network); scripts on and off.
OUT ?= build/eval-pages/predictions.json
eval-pages: build
	cargo build --quiet --release -p stacksmart-engine --bin stacksmart
	cd tests && STACKSMART_BIN=$(CARGO_TARGET_DIR)/release/stacksmart node eval-pages.js $(abspath $(PAGES)) $(abspath $(OUT))

eval:
	@mkdir -p build
	cargo run --quiet --release -p stacksmart-engine --bin stacksmart -- detect-batch $(PAGES) > build/predictions.json
	cargo run --quiet --release -p stacksmart-engine --bin stacksmart -- eval $(PAGES) build/predictions.json

# Load test of the release sync server from a second process on loopback (wrk).
bench-server: setup
	sync-server/scripts/bench.sh

clean:
	rm -rf dist build
