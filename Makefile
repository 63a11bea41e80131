# kefu: the Makefile is the one entry point for building, testing and running kefu.
# `make test` is what CI runs (.ci/run); `make dev` runs kefu locally.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
BENCHCOUNT ?= 6
PKGS      := ./...

.PHONY: all test unit lint fuzz fuzz-short bench check try
.PHONY: build package package-check bench-coldstart profile build-KefuFunction

all: lint test

## test: everything CI checks: lint, the unit and end-to-end tests (race detector on), a short fuzz pass.
test: lint unit fuzz-short package-check

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags pprof ./functions/scf

## fuzz: every fuzz target for FUZZTIME (default 10s) each.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

fuzz-short:
	@scripts/fuzz.sh 3s

## bench: the benchmarks, BENCHCOUNT runs each (for benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS)

## bench-coldstart: only the cold starts (also part of bench), from exec to the first answered
## push, as medians: the Lambda bootstrap under a test Runtime API, the SCF Web function.
bench-coldstart:
	$(GO) test -run '^$$' -bench 'ColdStart' -benchtime 20x -count 1 ./functions/lambda ./functions/scf

## profile: a CPU profile of the SCF Web function under load (BenchmarkWebPushCPU, built with
## -tags pprof), written to PROFILE, and kefu's own share of that CPU (scripts/profshare).
PROFILE ?= $(CURDIR)/bin/web.prof
profile:
	@mkdir -p $(dir $(PROFILE))
	$(GO) test -run '^$$' -bench WebPushCPU -benchtime 60000x -count 1 ./functions/scf -args -webprofile $(PROFILE)
	$(GO) run ./scripts/profshare $(PROFILE)

## check: validate a rules file (RULES=..., default $$KEFU_RULES or the bundled examples).
check:
	@$(GO) run ./cmd/kefu check $(RULES)

## try: show what kefu does with a message, without sending (MSG="下载", RULES=...).
try:
	@$(GO) run ./cmd/kefu try $(if $(RULES),-rules $(RULES)) "$(MSG)"

## dev: kefu on this machine, with a WeChat simulator and a chat page (no cloud account, no
## settings): open the URL it prints. The rules are read from KEFU_RULES (default
## examples/rules.yaml, on disk), again within a second of each edit. PORT=8081 to move it.
## (Built, then run: `go run` would turn Ctrl-C into a failed make.)
KEFU_RULES ?= examples/rules.yaml
.PHONY: dev
dev:
	@echo "make dev: building kefu's local host; then open http://127.0.0.1:$${PORT:-8080}/ (Ctrl-C stops it)"
	$(GO) build -o bin/kefu-dev ./functions/local
	exec env KEFU_RULES="$(KEFU_RULES)" bin/kefu-dev

## build: the release binaries, static: dist/lambda/bootstrap (linux/arm64, for Lambda's
## provided.al2023) and dist/scf/main (linux/amd64) with dist/scf/scf_bootstrap beside it.
DIST          ?= dist
RELEASE_FLAGS := -trimpath -ldflags "-s -w"
LAMBDA_BUILD  := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc $(RELEASE_FLAGS)
build:
	@mkdir -p $(DIST)/lambda $(DIST)/scf
	$(LAMBDA_BUILD) -o $(DIST)/lambda/bootstrap ./functions/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(RELEASE_FLAGS) -o $(DIST)/scf/main ./functions/scf
	install -m 0755 functions/scf/scf_bootstrap $(DIST)/scf/scf_bootstrap

## package: one zip per platform, ready to upload: dist/kefu-lambda-arm64.zip (bootstrap) and
## dist/kefu-scf-amd64.zip (main and scf_bootstrap: a Web function or a Go1 function).
package: build
	$(GO) run ./scripts/dist zip $(DIST)/kefu-lambda-arm64.zip bootstrap=$(DIST)/lambda/bootstrap:0755
	$(GO) run ./scripts/dist zip $(DIST)/kefu-scf-amd64.zip main=$(DIST)/scf/main:0755 scf_bootstrap=functions/scf/scf_bootstrap:0755

## package-check: make package, then check the zips: contents, modes, ELF architectures,
## static linking, and the Lambda bootstrap at most 12 MiB.
package-check: package
	$(GO) run ./scripts/dist check $(DIST)

## build-KefuFunction: what `sam build` runs for template.yaml's KefuFunction (BuildMethod:
## makefile), since SAM's Go builder cannot pass build tags or linker flags.
build-KefuFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: sam build sets it))
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda
