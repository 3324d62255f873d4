# Shakedown: `make run` and `make test` install what is missing, build and go.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
ADDR    ?= 127.0.0.1:8080
DATA    ?= data
BIN     := bin/shakedown

.PHONY: run test test-unit build desktop deps frontend api bench bench-labs bench-desktop bench-rollout example-package clean

run: build ## build and start Shakedown with the demo dataset and demo production VMs
	scripts/libvirt.sh start
	scripts/build-guest.sh
	@echo "Shakedown: http://$(ADDR)  (sign in as admin; password in $(DATA)/initial-admin-password unless SHAKEDOWN_ADMIN_PASSWORD is set)"
	$(BIN) serve --demo --addr $(ADDR) --data $(DATA) --guest-dir build/guest

test: build desktop ## run every test and print the summary
	scripts/test.sh

test-unit: ## the fast tier: every Go test that needs no libvirtd, VM, browser or X server (under a minute)
	go vet ./...
	go test -short -count=1 ./...

build: deps frontend
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .

# The desktop app: the same frontend build and backend in a Wails window
# (GTK 3 + WebKitGTK 4.0), built with plain go build (no wails CLI).
desktop: deps frontend ## build the desktop app into build/bin/shakedown-desktop
	go build -tags desktop,production,webkit2_40 -ldflags "-w -s -X main.version=$(VERSION)" -o build/bin/shakedown-desktop .
	@echo "build/bin/shakedown-desktop: run it (local mode) or pass --server URL (connected mode)"

deps:
	@scripts/install-deps.sh

frontend:
	cd frontend && npm run build

api: ## regenerate docs/openapi.json from the Go types, and the frontend's API types from it
	go run ./scripts/openapi
	cd frontend && npm run api

bench: build ## API and WebSocket benchmarks with 10,000 releases
	scripts/bench.sh
	go test -run '^$$' -bench . -benchtime 3x ./backend/packages ./backend/kpi

bench-desktop: desktop ## desktop cold start to first paint, binary size, idle CPU and RSS
	go run ./scripts/bench/desktop

bench-labs: build ## lab provisioning vs full copy, clone size, boot-to-agent (real VMs)
	scripts/libvirt.sh start
	scripts/build-guest.sh
	go run ./scripts/bench/labs

bench-rollout: ## a phased rollout to 1,000 real-sshd targets against the ideal and Ansible
	scripts/bench-rollout.sh

example-package: ## pack examples/webapp into build/webapp-2.4.1.tar.gz
	mkdir -p build && tar -C examples/webapp -czf build/webapp-2.4.1.tar.gz .
	@echo "build/webapp-2.4.1.tar.gz: upload it on a release page"

clean:
	rm -rf bin test-output frontend/dist/app
