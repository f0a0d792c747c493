#!/usr/bin/env bash
# `make cluster [L7=ingress-nginx|envoy-gateway]`: the lab's kind cluster (k8s/kind/cluster.yaml) with
# the L7 controller the runs will measure, idempotently: a second run reuses the cluster and
# re-applies the same pinned release. LAB_L7 (the Makefile passes L7) picks it; default ingress-nginx.
# Also sourced by scripts/kind-clean.sh for the tool checks (nothing runs when sourced).
set -euo pipefail

LAB_CLUSTER=deploy-loss-lab
LAB_CONTEXT="kind-${LAB_CLUSTER}"
LAB_NAMESPACE=deploy-loss-lab
INGRESS_NGINX_VERSION=controller-v1.15.1
# The manifests are read from these URLs, or from a file saved earlier (docs/kind.md, "Offline").
INGRESS_NGINX_URL="https://raw.githubusercontent.com/kubernetes/ingress-nginx/${INGRESS_NGINX_VERSION}/deploy/static/provider/kind/deploy.yaml"
INGRESS_NGINX_MANIFEST=${LAB_INGRESS_NGINX_MANIFEST:-$INGRESS_NGINX_URL}
# Envoy Gateway's release manifest holds the Gateway API CRDs, its own CRDs and the controller
# (envoyproxy/gateway v1.9.0, site/content/en/v1.9/install/install-yaml.md); applied server-side
# because the CRDs are too large for a client-side apply's last-applied annotation.
ENVOY_GATEWAY_VERSION=v1.9.0
ENVOY_GATEWAY_URL="https://github.com/envoyproxy/gateway/releases/download/${ENVOY_GATEWAY_VERSION}/install.yaml"
ENVOY_GATEWAY_MANIFEST=${LAB_ENVOY_GATEWAY_MANIFEST:-$ENVOY_GATEWAY_URL}
# What the lab applies carries LAB_PART_OF (lab/targets/kind/manifest.ts adds it); what `make cluster`
# installs gets LAB_INSTALLED once applied. `make clean-cluster` deletes by these labels only.
LAB_PART_OF=app.kubernetes.io/part-of=deploy-loss-lab
LAB_INSTALLED=deploy-loss-lab/installed-by=make-cluster
LAB_L7=${LAB_L7:-ingress-nginx}
NEED_DOCKER=20.10.0
NEED_KIND=0.30.0
# The node image is Kubernetes 1.34; kubectl supports one minor version of skew either way.
NEED_KUBECTL=1.33.0

# Bash builtins only up to the end of the tool checks: they must work on a PATH without coreutils.
LAB_ROOT=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
LAB_STATE=${LAB_STATE_DIR:-"${LAB_ROOT}/.lab"}

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

install_ingress_nginx() {
  if ! kubectl --context "$LAB_CONTEXT" get namespace ingress-nginx >/dev/null 2>&1; then
    : >"${LAB_STATE}/kind-ingress-installed"
  fi
  echo "» ingress-nginx ${INGRESS_NGINX_VERSION}"
  kubectl --context "$LAB_CONTEXT" apply -f "$INGRESS_NGINX_MANIFEST"
  kubectl --context "$LAB_CONTEXT" label --overwrite -f "$INGRESS_NGINX_MANIFEST" "$LAB_INSTALLED" >/dev/null
  # The controller's rollout, not the admission Jobs: those have ttlSecondsAfterFinished 0 in the
  # pinned manifest, so on a re-run one may be gone before a `wait job --all` reaches it.
  kubectl --context "$LAB_CONTEXT" rollout status --namespace ingress-nginx deployment/ingress-nginx-controller --timeout=180s
}

install_envoy_gateway() {
  if ! kubectl --context "$LAB_CONTEXT" get namespace envoy-gateway-system >/dev/null 2>&1; then
    : >"${LAB_STATE}/kind-envoy-gateway-installed"
  fi
  echo "» Envoy Gateway ${ENVOY_GATEWAY_VERSION}"
  kubectl --context "$LAB_CONTEXT" apply --server-side -f "$ENVOY_GATEWAY_MANIFEST"
  kubectl --context "$LAB_CONTEXT" label --overwrite -f "$ENVOY_GATEWAY_MANIFEST" "$LAB_INSTALLED" >/dev/null
  # As the v1.9 quickstart waits (site/content/en/v1.9/tasks/quickstart.md).
  kubectl --context "$LAB_CONTEXT" rollout status --namespace envoy-gateway-system deployment/envoy-gateway --timeout=300s
}

main() {
  case $LAB_L7 in
    ingress-nginx | envoy-gateway) ;;
    *) printf 'LAB_BAD_OPTION: L7=%s: expected ingress-nginx or envoy-gateway\n' "$LAB_L7" >&2; exit 2 ;;
  esac
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
  case $LAB_L7 in
    ingress-nginx) install_ingress_nginx ;;
    envoy-gateway) install_envoy_gateway ;;
  esac
  echo "» ready: context ${LAB_CONTEXT}, L7 ${LAB_L7}; next: make before after TARGET=kind L7=${LAB_L7}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
