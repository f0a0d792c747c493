# Every target that runs something first makes sure its dependencies are there (scripts/ensure-deps.sh).
SHELL := /bin/bash
TARGET ?= local
REPS ?= 1
LAB := node dist/lab/cli.js
LAB_ARGS := --target $(TARGET) $(if $(filter-out 1,$(REPS)),--reps $(REPS)) $(if $(RATE),--rate $(RATE)) $(if $(DEPLOYS),--deploys $(DEPLOYS))

.PHONY: deps build test before after ladder leave-one-out report render kill-mid-job reload-vs-restart cluster clean-cluster bench doctor triage graph stress guardian

deps:
	@scripts/ensure-deps.sh $(TARGET)

build: deps
	@npm run --silent build

test: build
	node --test --test-concurrency=1 dist/test/

# `make before after` is ONE invocation (one batch, one headline): the first arm goal runs every arm goal given.
ARM_GOALS := $(filter before after,$(MAKECMDGOALS))
before after: build
	$(if $(filter $@,$(firstword $(ARM_GOALS))),$(LAB) $(ARM_GOALS) $(LAB_ARGS),@:)

# after at 4x the scenario's rate, 5 reps unless REPS/RATE say otherwise
stress: build
	$(LAB) stress --target $(TARGET) $(if $(filter-out 1,$(REPS)),--reps $(REPS)) $(if $(RATE),--rate $(RATE)) $(if $(DEPLOYS),--deploys $(DEPLOYS))

guardian: build
	$(LAB) guardian

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
	scripts/kind-cluster.sh

clean-cluster:
	scripts/kind-clean.sh

bench: build
	npm run bench:service && npm run bench:worker && npm run bench:loadgen && npm run bench:reload

# lab/'s import graph per folder; fails on an import cycle, a computed import() or service/worker/common importing lab/.
graph: build
	node dist/scripts/import-graph.js --dirs
