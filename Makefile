# Thin wrappers over the scripts; each target says what it runs.
SHELL := /usr/bin/env bash
NET := test-network-scripts/network.sh
# The pinned Go toolchain (export GOTOOLCHAIN=...), for every target.
include toolchain.env

.PHONY: vulncheck help fabric network-up network-down network-purge network-status deploy logs demo test unit integration faults lint bench k8s-images

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/'

fabric: ## build the pinned Fabric binaries into network/fabric/bin
	network/fabric/build.sh

network-up: ## bring the network up with every chaincode deployed
	$(NET) up

network-down: ## stop every process the network started
	$(NET) down

network-purge: ## stop the network and remove its state
	$(NET) down --purge

network-status: ## health of nodes, Raft leader, channel height, chaincodes
	$(NET) status

deploy: ## redeploy a chaincode: make deploy CC=consent
	$(NET) deploy $(CC)

logs: ## list the logs, or show one: make logs NAME=peer0-hospital
	$(NET) logs $(NAME)

demo: ## the first README command: network up, then a short demo through the SDK
	test-network-scripts/demo.sh

test: ## the second README command: every test, unit and integration, on a network it starts and stops
	test-network-scripts/test.sh all

unit: ## unit tests only
	test-network-scripts/test.sh unit

integration: ## integration tests only
	test-network-scripts/test.sh integration

fuzz: ; test-network-scripts/fuzz.sh ## every chaincode fuzz target, FUZZTIME each (default 60s): make fuzz FUZZTIME=5m

faults: ## the fault suite (nodes killed under load, a CA down, a power loss, WAL replay) on its own network; HL_FAULTS_BUDGET=ci for the short one
	test-network-scripts/faults.sh

bench: ## the benchmark matrix on a fresh network (ports +20000), into docs/benchmarks.md
	test-network-scripts/bench.sh

vulncheck: ## known vulnerabilities in every binary built or run here, against the list in docs/security.md
	test-network-scripts/vulncheck.sh

lint: ## gofmt, go vet and go mod tidy -diff (the root module and network/kubernetes)
	test -z "$$(gofmt -l chaincode gateway-client cmd internal integration examples test-network-scripts network/kubernetes)"
	go vet ./...
	go mod tidy -diff
	cd network/kubernetes && go vet ./... && go mod tidy -diff

k8s-images: ## chaincode server images as OCI archives, no Docker daemon needed, into .k8s/images (docs/kubernetes.md)
	cd network/kubernetes && go run ./cmd/ccimage -root ../.. -out ../../.k8s/images
