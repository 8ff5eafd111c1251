# Relink — see README.md. Every target that needs tools runs `deps` first,
# which installs only what is missing.
SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
export PATH := $(GOBIN):/usr/local/go/bin:$(PATH)
BIN := build/bin/relink
# One version, wails.json's productVersion, stamped into the binary.
VERSION ?= $(shell sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' wails.json)

.PHONY: deps build run test bench package install uninstall demo screenshots fuzz clean bridge

deps:
	@.ci/deps

build: deps
	wails build -m -nosyncgomod -ldflags "-X main.version=$(VERSION)"
	.ci/build-helper build/bin

run: build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "make run: no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)."; \
	  echo "Run it from a desktop session, or try it headless with: .ci/with-keyring .ci/xvfb $(BIN)"; \
	  exit 1; fi
	$(BIN)

test: deps
	@.ci/test

bench: deps build
	@bench/run

package: build
	mkdir -p dist
	VERSION=$(VERSION) go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2 package -f build/linux/nfpm.yaml -p deb -t dist/

install: build
	build/linux/install-user.sh $(BIN)

uninstall:
	build/linux/install-user.sh --uninstall

demo: build
	@.ci/demo

# The README's screenshots (build/screenshots), from the real window.
screenshots: build
	@.ci/readme-shots

fuzz: deps
	@FUZZTIME=$${FUZZTIME:-60s} .ci/fuzz

# frontend/src/lib/bridge.gen.ts, after a bound method, model or event
# changed in Go (a root test fails until it is current).
bridge:
	go test -tags $$(.ci/build-tags) -count=1 -run TestBridgeDeclarationIsCurrent . -update-bridge

clean:
	rm -rf build/bin frontend/dist dist artifacts
