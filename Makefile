# The commands that matter: `make demo` runs leakwatch in one process; `make test` installs and
# starts the real services (deploy/local) and runs every test against them.
GO ?= go
TEST_TIMEOUT ?= 20m

.PHONY: demo test test-unit vet services services-down bench build test-faults

demo:
	$(GO) run ./cmd/leakwatch demo

build:
	$(GO) build -o leakwatch ./cmd/leakwatch

vet:
	$(GO) vet ./...

services:
	bash deploy/local/up.sh

services-down:
	bash deploy/local/down.sh

# Every test, then the fault tests (they stop and start services of their own, so they run
# alone, after the rest). Services are stopped whatever the tests did, so nothing is left
# listening.
test: vet
	bash deploy/local/up.sh
	LEAKWATCH_SERVICES=required $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./... ; \
	rc=$$?; if [ $$rc -eq 0 ]; then $(MAKE) --no-print-directory test-faults; rc=$$?; fi; \
	bash deploy/local/down.sh; exit $$rc

# Unit tests only: tests that need a service skip when it is not running.
test-unit:
	$(GO) test ./...

# Go benchmarks of the detectors, then the whole pipeline on the local services at max rate
# and at 10k posts/s (figures and how to read them: docs/PERFORMANCE.md).
BENCH_ARGS ?= --accounts 10000 --days 7 --rates max,10000 --json .leakwatch-local/bench.json
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./analytics/...
	$(GO) test -run '^$$' -bench BenchmarkAnalyzeJSONL -benchtime 4x -benchmem ./cmd/leakwatch
	bash deploy/local/up.sh
	$(GO) run ./cmd/leakwatch bench $(BENCH_ARGS)

# Fault tests: they stop and start services, so they run alone, one package, after the rest.
test-faults:
	LEAKWATCH_FAULTS=1 LEAKWATCH_SERVICES=required $(GO) test -count=1 -p 1 -timeout 15m -v ./faults/
