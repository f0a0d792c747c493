// API versions the API server no longer serves, from the Kubernetes Deprecated API Migration Guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/). A manifest that still uses
// one is refused by `kubectl apply` on any cluster at or past the release named.

export interface RemovedApi { apiVersion: string; kinds: readonly string[] | '*'; removedIn: string; replacement: Readonly<Record<string, string>> }

const WORKLOADS = { Deployment: 'apps/v1', DaemonSet: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1' };

export const REMOVED_APIS: readonly RemovedApi[] = [
  { apiVersion: 'extensions/v1beta1', kinds: '*', removedIn: '1.16 (Ingress: 1.22)', replacement: { ...WORKLOADS, NetworkPolicy: 'networking.k8s.io/v1', Ingress: 'networking.k8s.io/v1' } },
  { apiVersion: 'apps/v1beta1', kinds: '*', removedIn: '1.16', replacement: WORKLOADS },
  { apiVersion: 'apps/v1beta2', kinds: '*', removedIn: '1.16', replacement: WORKLOADS },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], removedIn: '1.22', replacement: { Ingress: 'networking.k8s.io/v1', IngressClass: 'networking.k8s.io/v1' } },
  { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { Role: 'rbac.authorization.k8s.io/v1', RoleBinding: 'rbac.authorization.k8s.io/v1', ClusterRole: 'rbac.authorization.k8s.io/v1', ClusterRoleBinding: 'rbac.authorization.k8s.io/v1' } },
  { apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { CustomResourceDefinition: 'apiextensions.k8s.io/v1' } },
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { MutatingWebhookConfiguration: 'admissionregistration.k8s.io/v1', ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/v1' } },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { PriorityClass: 'scheduling.k8s.io/v1' } },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22', replacement: { CSIDriver: 'storage.k8s.io/v1', CSINode: 'storage.k8s.io/v1', StorageClass: 'storage.k8s.io/v1', VolumeAttachment: 'storage.k8s.io/v1' } },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { Lease: 'coordination.k8s.io/v1' } },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: '*', removedIn: '1.22', replacement: { CertificateSigningRequest: 'certificates.k8s.io/v1' } },
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], removedIn: '1.25', replacement: { CronJob: 'batch/v1' } },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget', 'PodSecurityPolicy'], removedIn: '1.25', replacement: { PodDisruptionBudget: 'policy/v1' } },
  { apiVersion: 'autoscaling/v2beta1', kinds: '*', removedIn: '1.25', replacement: { HorizontalPodAutoscaler: 'autoscaling/v2' } },
  { apiVersion: 'autoscaling/v2beta2', kinds: '*', removedIn: '1.26', replacement: { HorizontalPodAutoscaler: 'autoscaling/v2' } },
  { apiVersion: 'discovery.k8s.io/v1beta1', kinds: '*', removedIn: '1.25', replacement: { EndpointSlice: 'discovery.k8s.io/v1' } },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: '*', removedIn: '1.25', replacement: { RuntimeClass: 'node.k8s.io/v1' } },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: '*', removedIn: '1.25', replacement: { Event: 'events.k8s.io/v1' } },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: '*', removedIn: '1.26', replacement: {} },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: '*', removedIn: '1.29', replacement: {} },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: '*', removedIn: '1.32', replacement: {} },
];

export function removedApi(apiVersion: unknown, kind: string): RemovedApi | undefined {
  return REMOVED_APIS.find((r) => r.apiVersion === apiVersion && (r.kinds === '*' || r.kinds.includes(kind)));
}
