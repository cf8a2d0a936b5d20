# flowrun: make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go

.DEFAULT_GOAL := help

.PHONY: help build run test lint fmtcheck tidycheck vet staticcheck bench fuzz golden cover clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/flowrun with its version stamped
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/flowrun ./cmd/flowrun

run: ## run every spec against the embedded sandbox
	$(GO) run ./cmd/flowrun specs/

# The checks are prerequisites, so one make runs each once: `make test lint`
# vets once. staticcheck waits for vet, so with -j2 it runs beside the race
# build and the tests rather than slowing vet down (.ci/run).
# -vet=off: go test's own vet is a subset of the go vet that has just run.
test: vet ## go vet, then every test with the race detector
	$(GO) test -race -count=1 -vet=off ./...

lint: fmtcheck tidycheck vet staticcheck ## gofmt, go mod tidy, go vet and staticcheck must be clean

fmtcheck: ## gofmt must have nothing to change
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidycheck: ## go.mod and go.sum must be tidy
	$(GO) mod tidy -diff

# vet type-checks every package from a compile of its imports; with -race
# that compile is the one go test -race reuses, rather than a second build.
vet: ## go vet
	$(GO) vet -race ./...

staticcheck: vet ## go vet, then staticcheck (pinned in go.mod by its tool directive)
	$(GO) tool staticcheck ./...

# Each benchmark runs as long as its figures need (docs/performance.md):
# the engine beside a raw client three times over, 10,000 sandbox flows
# once, 1,000 spec files three times, the process 200 times. About a
# minute in all.
bench: ## benchmarks: the engine and the flowrun process against a raw client, 10,000 flows, spec loading
	$(GO) test -run '^$$' -bench 'VsRaw' -benchtime 2s -count 3 ./runner/
	$(GO) test -run '^$$' -bench 'Flow|Compile|Assertion' -benchmem -benchtime 2s ./runner/
	$(GO) test -run '^$$' -bench 'Sandbox' -benchtime 1x ./runner/
	$(GO) test -run '^$$' -bench 'Load' -benchmem -benchtime 3x ./flows/ ./cmd/flowrun/
	$(GO) test -run '^$$' -bench 'Execute' -benchmem -benchtime 2s ./cmd/flowrun/
	$(GO) test -run '^$$' -bench 'Process' -benchtime 200x ./cmd/flowrun/

# Each fuzz target runs FUZZTIME (make fuzz FUZZTIME=10m; CI: 10s). -fuzz
# must match one target, so each is named whole (docs/fuzzing.md). An input
# that finds new code is shrunk for at most FUZZMINTIME, and its worker
# explores nothing meanwhile: Go's default, a minute, would take all of a
# short run on a multi-kilobyte spec.
FUZZTIME ?= 1m
FUZZMINTIME ?= 5s
FUZZFLAGS = -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME)
fuzz: ## fuzz spec loading, compiling, templates, expressions and captures, FUZZTIME (1m) each
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzParse$$' ./flows/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzCompile$$' ./runner/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzTemplate$$' ./runner/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzExpr$$' ./runner/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzCapture$$' ./runner/

golden: ## rewrite the golden files from the current output
	$(GO) test ./cmd/flowrun ./reports ./flows -update

cover: ## test coverage per function
	$(GO) test -coverprofile=cover.out ./...
	$(GO) tool cover -func=cover.out | tail -1

clean: ## remove build output
	rm -rf bin cover.out
