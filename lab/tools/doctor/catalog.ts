import type { DoctorLever, Severity } from './types.js';

// Every rule the doctor knows, by stable id (never rename one: CI configs and SARIF baselines key on it).

export interface RuleInfo { lever: DoctorLever; severity: Severity; title: string }

export const RULES = {
  'pid1-shell-wrapper': { lever: 'pid1', severity: 'error', title: 'a shell is PID 1 and does not pass SIGTERM on' },
  'pid1-package-manager': { lever: 'pid1', severity: 'error', title: 'npm/yarn/pnpm runs the app' },
  'pid1-dockerfile-shell-form': { lever: 'pid1', severity: 'error', title: 'Dockerfile CMD/ENTRYPOINT in shell form' },
  'pid1-no-sigterm-handler': { lever: 'pid1', severity: 'error', title: 'the app handles no SIGTERM and no init runs' },
  'pid1-sigterm-unknown': { lever: 'pid1', severity: 'info', title: 'cannot know whether PID 1 handles SIGTERM' },
  'readiness-probe-missing': { lever: 'readiness', severity: 'error', title: 'no readiness probe on a container behind a Service' },
  'readiness-same-as-liveness': { lever: 'readiness', severity: 'warning', title: 'readiness and liveness probes are identical' },
  'readiness-prestop-missing': { lever: 'readiness', severity: 'error', title: 'no preStop wait for deregistration' },
  'readiness-prestop-short': { lever: 'readiness', severity: 'error', title: 'preStop shorter than 3 × the deregistration delay (warning when it still covers the delay once)' },
  'readiness-prestop-exec-sleep': { lever: 'readiness', severity: 'warning', title: 'preStop runs a sleep binary where the native sleep action exists' },
  'drain-disabled': { lever: 'drain', severity: 'error', title: 'the app does not drain on SIGTERM' },
  'drain-exceeds-grace': { lever: 'drain', severity: 'error', title: 'preStop + drain deadline do not fit in the grace period' },
  'drain-prestop-exceeds-grace': { lever: 'drain', severity: 'error', title: 'preStop reaches the grace period (drain deadline unknown)' },
  'drain-deadline-unknown': { lever: 'drain', severity: 'info', title: 'cannot know the drain deadline' },
  'requeue-no-handback': { lever: 'requeue', severity: 'error', title: 'a queue consumer that does not hand back its jobs on SIGTERM' },
  'requeue-job-exceeds-grace': { lever: 'requeue', severity: 'error', title: 'a job cannot finish inside the grace period and is not handed back' },
  'requeue-handback-unknown': { lever: 'requeue', severity: 'info', title: 'cannot know whether the consumer hands jobs back' },
  'surge-no-surge': { lever: 'surge', severity: 'warning', title: 'maxUnavailable > 0 with maxSurge 0: capacity drops every rollout' },
  'surge-recreate': { lever: 'surge', severity: 'error', title: 'Recreate strategy: no pod serves during a rollout' },
  'surge-single-replica': { lever: 'surge', severity: 'warning', title: 'one replica' },
  'surge-pdb-blocks-eviction': { lever: 'surge', severity: 'error', title: 'a PodDisruptionBudget forbids every eviction' },
  'surge-all-unavailable': { lever: 'surge', severity: 'error', title: 'maxUnavailable lets every pod go at once' },
  'surge-pdb-missing': { lever: 'surge', severity: 'warning', title: 'no PodDisruptionBudget covers a replicated, served workload' },
  'surge-replicas-with-hpa': { lever: 'surge', severity: 'warning', title: 'static spec.replicas under a HorizontalPodAutoscaler' },
  'surge-replication-controller': { lever: 'surge', severity: 'warning', title: 'a ReplicationController has no rollout strategy' },
  'manifest-dangling-service': { lever: 'manifest', severity: 'warning', title: 'a Service selects no pod of the input' },
  'manifest-removed-api': { lever: 'manifest', severity: 'error', title: 'an API version that current Kubernetes no longer serves' },
  'manifest-probe-port': { lever: 'manifest', severity: 'error', title: 'a probe on a port the container does not expose' },
  'reload-subpath': { lever: 'reload', severity: 'warning', title: 'ConfigMap/Secret mounted with subPath never updates' },
  'keepalive-shorter-than-proxy': { lever: 'keepalive', severity: 'error', title: 'the app closes idle keep-alive connections before the proxy in front stops reusing them (warning when no proxy is in the input: compared with 60 s)' },
  'keepalive-headers-order': { lever: 'keepalive', severity: 'warning', title: 'headers timeout not above the keep-alive timeout' },
  'keepalive-unknown': { lever: 'keepalive', severity: 'info', title: 'cannot know the app\'s keep-alive timeout' },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
