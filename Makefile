# kefu: the Makefile is the one entry point for building, testing and running kefu.
# `make test` is what CI runs (.ci/run); `make dev` runs kefu locally.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BENCHCOUNT ?= 6
PKGS      := ./...

.PHONY: all test unit lint fuzz fuzz-short bench check try

all: lint test

## test: everything CI checks: lint, the unit and end-to-end tests (race detector on), a short fuzz pass.
test: lint unit fuzz-short

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: every fuzz target for FUZZTIME (default 10s) each.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

fuzz-short:
	@scripts/fuzz.sh 3s

## bench: the benchmarks, BENCHCOUNT runs each (for benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS)

## check: validate a rules file (RULES=..., default $$KEFU_RULES or the bundled examples).
check:
	$(GO) run ./cmd/kefu check $(RULES)

## try: show what kefu does with a message, without sending (MSG="下载", RULES=...).
try:
	$(GO) run ./cmd/kefu try $(if $(RULES),-rules $(RULES)) "$(MSG)"
