#!/usr/bin/env bash
# `make clean-cluster`: deletes what the lab created and nothing else — the deploy-loss-lab
# namespace (on KUBE_CONTEXT, default the lab's kind context), ingress-nginx if the lab installed
# it into a cluster it did not create, and the kind cluster only if `make cluster` created it.
set -euo pipefail
# shellcheck source=scripts/kind-cluster.sh
source "${BASH_SOURCE[0]%/*}/kind-cluster.sh"

context=${KUBE_CONTEXT:-$LAB_CONTEXT}
created="${LAB_STATE}/kind-cluster-created"
ingress="${LAB_STATE}/kind-ingress-installed"
envoy="${LAB_STATE}/kind-envoy-gateway-installed"

if [[ $context == "$LAB_CONTEXT" && -e $created ]]; then
  require_tools kind kubectl
  if cluster_exists; then
    echo "» kind delete cluster --name ${LAB_CLUSTER} (created by make cluster)"
    kind delete cluster --name "$LAB_CLUSTER"
  fi
  rm -f "$created" "$ingress" "$envoy"
  exit 0
fi

require_tools kubectl
if ! kubectl config get-contexts "$context" >/dev/null 2>&1; then
  echo "» context ${context} not in the kubeconfig: nothing to clean"
  exit 0
fi
echo "» kubectl --context ${context} delete namespace ${LAB_NAMESPACE}"
kubectl --context "$context" delete namespace "$LAB_NAMESPACE" --ignore-not-found --wait=true --timeout=180s
if [[ $context == "$LAB_CONTEXT" && -e $ingress ]]; then
  echo "» removing ingress-nginx ${INGRESS_NGINX_VERSION} (installed by make cluster)"
  kubectl --context "$context" delete -f "$INGRESS_NGINX_URL" --ignore-not-found
  rm -f "$ingress"
fi
if [[ $context == "$LAB_CONTEXT" && -e $envoy ]]; then
  echo "» removing Envoy Gateway ${ENVOY_GATEWAY_VERSION} (installed by make cluster L7=envoy-gateway)"
  kubectl --context "$context" delete -f "$ENVOY_GATEWAY_URL" --ignore-not-found
  rm -f "$envoy"
fi
