# flowrun: make help lists the targets.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.DEFAULT_GOAL := help

.PHONY: help build run test lint bench fuzz golden cover clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/flowrun with its version stamped
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/flowrun ./cmd/flowrun

run: ## run every spec against the embedded sandbox
	$(GO) run ./cmd/flowrun specs/

test: ## go vet, then every test with the race detector
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

lint: ## gofmt, go vet and staticcheck must be clean
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: ## benchmarks, with memory figures
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## fuzz the spec loader and the compiler, 30s each
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./flows/
	$(GO) test -run '^$$' -fuzz FuzzCompile -fuzztime 30s ./runner/

golden: ## rewrite the golden files from the current output
	$(GO) test ./cmd/flowrun ./reports -update

cover: ## test coverage per function
	$(GO) test -coverprofile=cover.out ./...
	$(GO) tool cover -func=cover.out | tail -1

clean: ## remove build output
	rm -rf bin cover.out
