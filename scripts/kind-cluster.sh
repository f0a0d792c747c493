#!/usr/bin/env bash
# `make cluster`: the lab's kind cluster (k8s/kind/cluster.yaml) with ingress-nginx, idempotently:
# a second run reuses the cluster and re-applies the same pinned ingress-nginx release.
# Also sourced by scripts/kind-clean.sh for the tool checks (nothing runs when sourced).
set -euo pipefail

LAB_CLUSTER=deploy-loss-lab
LAB_CONTEXT="kind-${LAB_CLUSTER}"
LAB_NAMESPACE=deploy-loss-lab
INGRESS_NGINX_VERSION=controller-v1.15.1
INGRESS_NGINX_URL="https://raw.githubusercontent.com/kubernetes/ingress-nginx/${INGRESS_NGINX_VERSION}/deploy/static/provider/kind/deploy.yaml"
NEED_DOCKER=20.10.0
NEED_KIND=0.30.0
# The node image is Kubernetes 1.34; kubectl supports one minor version of skew either way.
NEED_KUBECTL=1.33.0

# Bash builtins only up to the end of the tool checks: they must work on a PATH without coreutils.
LAB_ROOT=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
LAB_STATE="${LAB_ROOT}/.lab"

lab_fail() { printf 'LAB_MISSING_TOOL: %s\n' "$*" >&2; exit 1; }

# version_ge 1.32.4 1.33.0 → false. Numeric, per dotted component; suffixes (-dispatcher) ignored.
version_ge() {
  local IFS=.
  local -a a b
  read -r -a a <<<"${1%%[-+]*}"
  read -r -a b <<<"${2%%[-+]*}"
  local i
  for i in 0 1 2; do
    local x=${a[i]:-0} y=${b[i]:-0}
    ((10#$x > 10#$y)) && return 0
    ((10#$x < 10#$y)) && return 1
  done
  return 0
}

tool_hint() {
  case $1 in
    docker) echo "docker >= ${NEED_DOCKER} with a running engine (https://docs.docker.com/engine/install/)" ;;
    kind) echo "kind >= v${NEED_KIND} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)" ;;
    kubectl) echo "kubectl >= v${NEED_KUBECTL} (https://kubernetes.io/docs/tasks/tools/)" ;;
  esac
}

# require_tools docker kind kubectl: every missing tool is named at once, with the version needed.
require_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  if ((${#missing[@]})); then
    local msg="missing on PATH: ${missing[*]}. The kind target needs:"
    for t in "${missing[@]}"; do msg+=$'\n'"  - $(tool_hint "$t")"; done
    lab_fail "$msg"
  fi
  local v old=()
  for t in "$@"; do
    case $t in
      docker) v=$(docker version --format '{{.Client.Version}}' 2>/dev/null || true); need=$NEED_DOCKER ;;
      kind) v=$(kind version 2>/dev/null || true); v=${v#kind v}; v=${v%% *}; need=$NEED_KIND ;;
      kubectl) v=$(kubectl version --client 2>/dev/null || true); v=${v#*Client Version: v}; v=${v%%$'\n'*}; need=$NEED_KUBECTL ;;
    esac
    if [[ -z $v ]] || ! version_ge "$v" "$need"; then old+=("$t ${v:-(unknown version)} is older than ${need}: $(tool_hint "$t")"); fi
  done
  if ((${#old[@]})); then
    local msg="too old:" o
    for o in "${old[@]}"; do msg+=$'\n'"  - $o"; done
    lab_fail "$msg"
  fi
  if [[ " $* " == *" docker "* ]] && ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    lab_fail "docker is installed but its engine is not reachable (is the daemon running? try: docker info)"
  fi
}

cluster_exists() {
  local c
  for c in $(kind get clusters 2>/dev/null); do [[ $c == "$LAB_CLUSTER" ]] && return 0; done
  return 1
}

main() {
  require_tools docker kind kubectl
  mkdir -p "$LAB_STATE"
  if cluster_exists; then
    echo "» kind cluster ${LAB_CLUSTER} exists: reusing it"
  else
    echo "» kind create cluster --name ${LAB_CLUSTER} --config k8s/kind/cluster.yaml"
    kind create cluster --name "$LAB_CLUSTER" --config "${LAB_ROOT}/k8s/kind/cluster.yaml" --wait 180s
    # Only a cluster the lab created is deleted by `make clean-cluster`.
    : >"${LAB_STATE}/kind-cluster-created"
  fi
  if ! kubectl --context "$LAB_CONTEXT" get namespace ingress-nginx >/dev/null 2>&1; then
    : >"${LAB_STATE}/kind-ingress-installed"
  fi
  echo "» ingress-nginx ${INGRESS_NGINX_VERSION}"
  kubectl --context "$LAB_CONTEXT" apply -f "$INGRESS_NGINX_URL"
  # The admission Jobs must finish before the controller (and its webhook) can become Ready.
  kubectl --context "$LAB_CONTEXT" wait --namespace ingress-nginx --for=condition=complete job --all --timeout=180s
  kubectl --context "$LAB_CONTEXT" wait --namespace ingress-nginx --for=condition=ready pod \
    --selector=app.kubernetes.io/component=controller --timeout=180s
  echo "» ready: context ${LAB_CONTEXT}; next: make before after TARGET=kind"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
