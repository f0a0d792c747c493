import type { RuleId } from './catalog.js';

// Which generic linter has the same check, rule by rule, by the linter's own check name (read from
// their repositories: stackrox/kube-linter pkg/builtinchecks/yamls/, zegl/kube-score README_CHECKS.md,
// FairwindsOps/polaris pkg/config/checks/). An empty entry: none of the three has it.

export interface Parity { 'kube-linter'?: string[]; 'kube-score'?: string[]; polaris?: string[] }

export const LINTERS = ['kube-linter', 'kube-score', 'polaris'] as const;

export const PARITY: Record<RuleId, Parity> = {
  'pid1-shell-wrapper': {},
  'pid1-package-manager': {},
  'pid1-dockerfile-shell-form': {},
  'pid1-no-sigterm-handler': {},
  'pid1-sigterm-unknown': {},
  'readiness-probe-missing': { 'kube-linter': ['no-readiness-probe'], 'kube-score': ['pod-probes'], polaris: ['readinessProbeMissing'] },
  'readiness-same-as-liveness': { 'kube-score': ['pod-probes-identical'] },
  'readiness-prestop-missing': {},
  'readiness-prestop-short': {},
  'readiness-prestop-exec-sleep': {},
  'drain-disabled': {},
  'drain-exceeds-grace': {},
  'drain-prestop-exceeds-grace': {},
  'drain-deadline-unknown': {},
  'requeue-no-handback': {},
  'requeue-job-exceeds-grace': {},
  'requeue-handback-unknown': {},
  'surge-no-surge': {},
  'surge-recreate': { 'kube-linter': ['no-rolling-update-strategy'], 'kube-score': ['deployment-strategy'] },
  'surge-single-replica': { 'kube-linter': ['minimum-replicas'], 'kube-score': ['deployment-replicas'], polaris: ['deploymentMissingReplicas'] },
  'surge-pdb-blocks-eviction': { 'kube-linter': ['pdbs-max-unavailable', 'pdbs-min-available'], polaris: ['pdbDisruptionsIsZero'] },
  'surge-all-unavailable': {},
  'surge-pdb-missing': { 'kube-score': ['deployment-has-poddisruptionbudget', 'statefulset-has-poddisruptionbudget'], polaris: ['missingPodDisruptionBudget'] },
  'surge-replicas-with-hpa': { 'kube-score': ['deployment-targeted-by-hpa-does-not-have-replicas-configured'] },
  'surge-replication-controller': {},
  'manifest-dangling-service': { 'kube-linter': ['dangling-service'], 'kube-score': ['service-targets-pod'] },
  'manifest-removed-api': { 'kube-linter': ['no-extensions-v1beta'], 'kube-score': ['stable-version'] },
  'manifest-probe-port': { 'kube-linter': ['readiness-port', 'liveness-port', 'startup-port'] },
  'reload-subpath': {},
  'keepalive-shorter-than-proxy': {},
  'keepalive-headers-order': {},
  'keepalive-unknown': {},
};
