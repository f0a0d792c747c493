# Every target that runs something first makes sure its dependencies are there (scripts/ensure-deps.sh).
SHELL := /bin/bash
TARGET ?= local
REPS ?= 1
LAB := node dist/lab/cli.js
LAB_ARGS := --target $(TARGET) $(if $(L7),--l7 $(L7)) $(if $(filter-out 1,$(REPS)),--reps $(REPS)) $(if $(RATE),--rate $(RATE)) $(if $(DEPLOYS),--deploys $(DEPLOYS))

.PHONY: deps build test before after ladder leave-one-out report render kill-mid-job reload-vs-restart reconnect tune cluster clean-cluster bench doctor triage graph long-lived check check-examples stress guardian keepalive route-retry clients idle-close

deps:
	@scripts/ensure-deps.sh $(TARGET)

build: deps
	@npm run --silent build

test: build
	@scripts/run-tests.sh

# `make before after` is ONE invocation (one batch, one headline): the first arm goal runs every arm goal given.
ARM_GOALS := $(filter before after,$(MAKECMDGOALS))
before after: build
	$(if $(filter $@,$(firstword $(ARM_GOALS))),$(LAB) $(ARM_GOALS) $(LAB_ARGS),@:)

# after at 4x the scenario's rate, 5 reps unless REPS/RATE say otherwise
stress: build
	$(LAB) stress --target $(TARGET) $(if $(filter-out 1,$(REPS)),--reps $(REPS)) $(if $(RATE),--rate $(RATE)) $(if $(DEPLOYS),--deploys $(DEPLOYS))

guardian: build
	$(LAB) guardian

keepalive: build
	$(LAB) keepalive

# each arm rolled through the envoy-gateway L7 profile without and with the HTTPRoute retry
route-retry: build
	$(LAB) route-retry

clients: build
	$(LAB) clients $(if $(filter-out 1,$(REPS)),--reps $(REPS))

idle-close: build
	$(LAB) idle-close

ladder: build
	$(LAB) ladder $(LAB_ARGS)

leave-one-out: build
	$(LAB) leave-one-out $(LAB_ARGS)

report: build
	$(LAB) report

kill-mid-job: build
	$(LAB) kill-mid-job

reload-vs-restart: build
	$(LAB) reload-vs-restart $(LAB_ARGS)

# Thousands of keep-alive clients hold one descriptor each: raise the soft open-files limit to the hard one.
reconnect: build
	ulimit -n $$(ulimit -Hn) && $(LAB) reconnect --target $(TARGET) $(if $(CLIENTS),--clients $(CLIENTS)) $(if $(VARIANT),--variant $(VARIANT))

tune: build
	$(LAB) tune $(LAB_ARGS)
# DEREGISTRATION_S=600 for the long run (default: the quick, scaled-down 20 s).
long-lived: build
	$(LAB) long-lived $(LAB_ARGS) $(if $(DEREGISTRATION_S),--deregistration-s $(DEREGISTRATION_S))

# Static check of manifests (docs/doctor.md): make doctor FILE=path/to/manifests.yaml [DOCTOR_ARGS="--sarif --fail-on warning"].
# Needs no Redis, so it builds without the local target's dependency check.
doctor:
	@test -n "$(FILE)" || { echo "make doctor needs FILE=<manifest file, directory or -> (e.g. FILE=k8s/rendered/before.yaml)" >&2; exit 2; }
	@npm run --silent build
	@$(LAB) doctor $(FILE) $(DOCTOR_ARGS)

# The runbook's spike-triage table from the stored runs (results/triage/, docs/runbook.md); no load.
triage:
	@npm run --silent build
	$(LAB) triage

# Regenerates k8s/arms/* and k8s/rendered/*.yaml from their sources (needs kubectl with kustomize).
render:
	scripts/render.sh

cluster:
	LAB_L7=$(or $(L7),ingress-nginx) scripts/kind-cluster.sh

clean-cluster:
	scripts/kind-clean.sh

bench: build
	npm run bench:service && npm run bench:worker && npm run bench:loadgen && npm run bench:reload && npm run bench:startup

# Your own service: make check MANIFESTS=k8s/ APP_DIR=. ROUTES="GET:/health POST:/orders@order.json" [DEPLOYMENT=D] [MAX_FAILED=N] [POD_NETWORK=auto|netns|loopback] [ARGS=...]
CHECK_ARGS := $(if $(MANIFESTS),--manifests $(MANIFESTS)) $(if $(APP_DIR),--app-dir $(APP_DIR)) $(if $(DEPLOYMENT),--deployment $(DEPLOYMENT)) \
	$(foreach r,$(ROUTES),--route $(r)) $(if $(RATE),--rate $(RATE)) $(if $(DEPLOYS),--deploys $(DEPLOYS)) $(if $(MAX_FAILED),--max-failed $(MAX_FAILED)) $(if $(POD_NETWORK),--pod-network $(POD_NETWORK)) $(ARGS)
check: build
	$(LAB) check $(CHECK_ARGS)

# results/check/{naive,fixed}: the examples/ service with the typical mistakes, and its fixed twin.
EXAMPLE_ROUTES := --route 'GET:/orders*3' --route POST:/orders@examples/order.json
check-examples: build
	# the naive service is expected to fail the gate (exit 1, VERDICT: FAIL); anything else stops here
	$(LAB) check --manifests examples/naive/k8s --app-dir examples/naive $(EXAMPLE_ROUTES) --out results/check/naive; \
	rc=$$?; test $$rc -eq 1 || { echo "check-examples: examples/naive should FAIL the gate (exit 1), got exit $$rc" >&2; exit 1; }
	$(LAB) check --manifests examples/fixed/k8s --app-dir examples/fixed $(EXAMPLE_ROUTES) --max-failed 0 --out results/check/fixed
	# a service check was not written for (test/check/app: ESM, its own port variable, an HTTPRoute, binds 0.0.0.0 unless HOST is set)
	$(LAB) check --manifests test/check/app/deploy --app-dir test/check/app --route GET:/ping --out results/check/test-app

# lab/'s import graph per folder; fails on an import cycle, a computed import() or service/worker/common importing lab/.
graph: build
	node dist/scripts/import-graph.js --dirs
