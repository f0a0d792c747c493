#!/usr/bin/env bash
# `make clean-cluster`: deletes what the lab created and nothing else — on KUBE_CONTEXT (default the
# lab's kind context) the objects the lab applied (labelled app.kubernetes.io/part-of=deploy-loss-lab,
# the namespace with them), the controllers `make cluster` installed into a cluster it did not create
# (labelled deploy-loss-lab/installed-by=make-cluster when installed), and the kind cluster only if
# `make cluster` created it. By label: no manifest is downloaded again, nothing unlabelled is touched.
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

# delete_labelled SELECTOR: the labelled namespaces (with everything in them), then every labelled
# cluster-scoped object (ClusterRoles, webhooks, IngressClass, GatewayClass, CRDs, …) of any kind.
delete_labelled() {
  local selector=$1 kinds
  echo "» kubectl --context ${context} delete namespace -l ${selector}"
  kubectl --context "$context" delete namespace -l "$selector" --ignore-not-found --wait=true --timeout=180s
  kinds=$(kubectl --context "$context" api-resources --namespaced=false --verbs=list,delete -o name | grep -vx 'namespaces' | paste -sd, -)
  if [[ -n $kinds ]]; then
    echo "» kubectl --context ${context} delete <cluster-scoped kinds> -l ${selector}"
    kubectl --context "$context" delete "$kinds" -l "$selector" --ignore-not-found
  fi
}

delete_labelled "$LAB_PART_OF"
if [[ $context == "$LAB_CONTEXT" && ( -e $ingress || -e $envoy ) ]]; then
  echo "» removing the controllers make cluster installed (ingress-nginx ${INGRESS_NGINX_VERSION} / Envoy Gateway ${ENVOY_GATEWAY_VERSION})"
  delete_labelled "$LAB_INSTALLED"
  rm -f "$ingress" "$envoy"
fi
