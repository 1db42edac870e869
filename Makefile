# Thin entry points; the work is in scripts/.
.PHONY: all test chaos demo build bench size fmt bootstrap clean

all: test

## make test: bootstrap, fmt, clippy (native + wasm32), native tests, browser tests,
## TypeScript check, e2e. One summary line at the end.
test:
	scripts/test.sh

## make chaos: the full chaos suite (scripts/chaos.sh): server kills under load, half-open
## peers, a hidden tab for 10 minutes, >= 1M fuzz cases, malformed frames; writes
## build/chaos/results.json and summary.txt. `make test` runs its short form.
chaos:
	scripts/chaos.sh

## make demo: bootstrap, build pkg/, run the reference server on $(PORT) (default 8080).
demo:
	scripts/demo.sh

## make build: the npm package in pkg/ (bootstrap first: it needs npm's binaryen).
build: bootstrap
	scripts/build-pkg.sh

## make bench: build pkg/ + the release server, run the benchmarks in headless Chromium
## against raw WebSocket and the JS libraries (BENCHMARKS.md); writes target/bench/results.json.
bench: bootstrap
	scripts/bench.sh

## make size: build pkg/, print where the wasm bytes go by origin (crate/module, data,
## import/export names) and the largest functions, then the budget check.
size: bootstrap
	scripts/size.sh

## make fmt: format Rust sources.
fmt:
	cargo fmt --all

bootstrap:
	scripts/bootstrap.sh

clean:
	rm -rf pkg build
