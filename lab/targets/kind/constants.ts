// Names and pinned versions of the kind target. Pinned, never `latest`: a result must say exactly
// which controller and load generator produced it.

export const NAMESPACE = 'deploy-loss-lab';
export const CLUSTER_NAME = 'deploy-loss-lab';
/** The context `kind create cluster --name deploy-loss-lab` writes into the kubeconfig. */
export const KIND_CONTEXT = `kind-${CLUSTER_NAME}`;
export const FIELD_MANAGER = 'deploy-loss-lab';
export const IMAGE_REPO = 'deploy-loss-lab';
/** The placeholder image of the rendered manifests (docs/architecture.md, "Manifests"). */
export const PLACEHOLDER_IMAGE = 'deploy-loss-lab:dev';

/** v1.x: handleSummary still receives the documented (legacy) data layout; v2 switches formats. */
export const K6_IMAGE = 'grafana/k6:1.8.1';
/** The image's `k6` user; the namespace enforces the restricted Pod Security profile. */
export const K6_UID = 12345;
export const APP_UID = 10001;

export const INGRESS_NGINX_VERSION = 'controller-v1.15.1';
export const INGRESS_NAMESPACE = 'ingress-nginx';
export const INGRESS_SELECTOR = 'app.kubernetes.io/component=controller';
/** Envoy Gateway release `make cluster L7=envoy-gateway` installs (scripts/kind-cluster.sh). */
export const ENVOY_GATEWAY_VERSION = 'v1.9.0';
/** Envoy Gateway puts each Gateway's Envoy Deployment and Service here, labelled with the owning Gateway. */
export const ENVOY_NAMESPACE = 'envoy-gateway-system';
/** The Gateway of k8s/rendered-l7/envoy-gateway.yaml (k8s/components/gateway-api). */
export const ENVOY_GATEWAY_NAME = 'service';
/** envoyproxy/gateway v1.9.0 internal/gatewayapi/translator.go OwningGatewayNameLabel / …NamespaceLabel */
export const ENVOY_SERVICE_SELECTOR = `gateway.envoyproxy.io/owning-gateway-name=service,gateway.envoyproxy.io/owning-gateway-namespace=${NAMESPACE}`;
/** The Gateway API kinds the L7 alternative adds (k8s/components/gateway-api). */
export const GATEWAY_API_KINDS = ['GatewayClass', 'Gateway', 'HTTPRoute'];
export const INGRESS_URL_DEFAULT = 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local';
export const L4_URL_DEFAULT = `http://service.${NAMESPACE}.svc.cluster.local`;

/** Markers around machine-readable blocks in pod logs (k6 summary, audit result). */
export const K6_T0_MARKER = 'LAB_K6_T0';
export const K6_SUMMARY_BEGIN = 'LAB_K6_SUMMARY_BEGIN';
export const K6_SUMMARY_END = 'LAB_K6_SUMMARY_END';
export const K6_JOB_LINE = 'LAB_JOB';
/** One line per request: `LAB_REQ [start ms, duration ms, route, path, status, class, k6 error code]`, a JSON array (loadtest/k6/script.js). */
export const K6_REQ_LINE = 'LAB_REQ';
export const AUDIT_BEGIN = 'LAB_AUDIT_BEGIN';
export const AUDIT_END = 'LAB_AUDIT_END';

export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_RUN = 'deploy-loss-lab/run';

/** Deployments rolled per deploy; redis is the ledger and is never rolled (k8s/base/redis.yaml). */
export const ROLLED = ['service', 'worker'] as const;
