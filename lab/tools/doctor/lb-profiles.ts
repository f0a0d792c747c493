// How long a routing path keeps sending new requests to a pod after the pod is deleted: the
// deregistration delay's p99 that `--lb <profile>` stands for. Each number comes with its public
// source; docs/doctor.md's profile table is generated from this list (test/doctor/docs.test.ts).
// These are orders of magnitude to size a preStop from, not measurements of your cluster: measure
// yours (`check`, or the lab's `tune` on your routing path) and pass it as --deregistration-s.

/** A figure in seconds with what it is made of (one sentence) and its public sources. */
export interface SourcedSeconds {
  id: string;
  seconds: number;
  basis: string;
  sources: string[];
}

/** A routing path's deregistration delay p99, seconds. */
export type LbProfile = SourcedSeconds;

export const LB_PROFILES: readonly LbProfile[] = [
  {
    id: 'kube-proxy',
    seconds: 1,
    basis: 'ClusterIP/NodePort through kube-proxy: the EndpointSlice update reaches every node, which rewrites its iptables/nftables rules at most once per minSyncPeriod (default 1 s)',
    sources: ['https://kubernetes.io/docs/reference/networking/virtual-ips/#minsyncperiod', 'https://github.com/kubernetes/kubernetes/issues/92836'],
  },
  {
    id: 'ingress-nginx',
    seconds: 4.5,
    basis: 'the controller syncs at most --sync-rate-limit 0.3 times a second (one sync per 3.3 s), then each NGINX worker picks the new backends up within BACKENDS_SYNC_INTERVAL (1 s, rootfs/etc/nginx/lua/balancer.lua)',
    sources: ['https://kubernetes.github.io/ingress-nginx/user-guide/cli-arguments/', 'https://github.com/kubernetes/ingress-nginx/blob/main/rootfs/etc/nginx/lua/balancer.lua'],
  },
  {
    id: 'envoy-gateway',
    seconds: 3,
    basis: 'every EndpointSlice change goes through a full Gateway API → xDS translation before Envoy sees it: about 2 s in a small cluster, tens of seconds to minutes in large ones (issues 5326, 7366, 9777)',
    sources: ['https://github.com/envoyproxy/gateway/issues/5326', 'https://github.com/envoyproxy/gateway/issues/7366', 'https://github.com/envoyproxy/gateway/issues/9777'],
  },
  {
    id: 'aws-alb-ip',
    seconds: 60,
    basis: 'ALB with IP targets (AWS Load Balancer Controller): the target is deregistered through the ELB API and the ALB keeps routing to it for up to minutes; AWS\'s EKS best-practices guide sizes the preStop sleep at 180 s (= 3 × 60 s)',
    sources: ['https://docs.aws.amazon.com/eks/latest/best-practices/load-balancing.html', 'https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3270', 'https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1719'],
  },
  {
    id: 'aws-nlb-ip',
    seconds: 120,
    basis: 'NLB with IP targets: deregistration takes at least 2 minutes whatever the target group\'s deregistration delay, and the target still gets new connections meanwhile (aws-load-balancer-controller issue 2366)',
    sources: ['https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2366', 'https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2131'],
  },
  {
    id: 'gke-neg',
    seconds: 30,
    basis: 'GKE container-native load balancing: the NEG controller detaches the endpoint through the Compute API (NEG programming latency), then the backend service drains it for its connection-draining timeout',
    sources: ['https://cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing', 'https://cloud.google.com/load-balancing/docs/enabling-connection-draining', 'https://github.com/kubernetes/ingress-gce/issues/769'],
  },
];

/** The profile assumed when neither --lb nor --deregistration-s is given: the path every Service has. */
export const DEFAULT_LB = 'kube-proxy';

export const lbProfile = (id: string): LbProfile | undefined => LB_PROFILES.find((p) => p.id === id);
