// One catalogue of lab errors with stable codes (fastify's lib/errors.js style).
// Codes are part of what users grep for in logs and tests assert on: never rename one.
export const ERRORS = {
  LAB_UNKNOWN_LEVER: 'unknown lever',
  LAB_BAD_ENV: 'invalid environment variable',
  LAB_UNKNOWN_ARM: 'unknown arm',
  LAB_BAD_OPTION: 'invalid command-line option',
  LAB_REDIS_UNREACHABLE: 'Redis is unreachable',
  LAB_BAD_QUERY: 'invalid query parameter',
  LAB_BAD_JOB: 'malformed job',
  LAB_BAD_CONFIG: 'invalid configuration file',
  LAB_TLS_MISMATCH: 'TLS certificate and key do not match',
  LAB_UNSUPPORTED_MANIFEST: 'manifest field not supported by the local target',
  LAB_PORT_TAKEN: 'address already in use',
  LAB_MISSING_TOOL: 'required tool is missing',
  LAB_TIMEOUT: 'a bounded wait ran out',
  LAB_MISSING_MANIFEST: 'rendered manifest not found or unusable',
  LAB_K8S_API: 'Kubernetes API call failed',
  LAB_K6_SUMMARY: 'k6 summary missing or malformed',
  LAB_SHUTTING_DOWN: 'the service is shutting down and this request cannot finish in the remaining budget',
  LAB_BAD_MANIFEST: 'Kubernetes manifest sources are incomplete or invalid',
  LAB_UNKNOWN_OBJECT: 'no such object in the manifest',
  LAB_CLUSTER_CLOSED: 'the local cluster was closed while an operation waited on it',
  LAB_BLOCKED: 'client address is on the configured blocklist',
  LAB_RATE_LIMITED: 'per-client rate limit exceeded',
  LAB_UNKNOWN_VARIANT: 'unknown experiment variant',
  LAB_FD_LIMIT: 'file-descriptor limit too low',
  LAB_BAD_EVENT_ID: 'malformed Last-Event-ID (expected a Redis stream id <ms>-<seq>)',
  LAB_BAD_UPLOAD: 'upload body does not match its stated length',
  LAB_BAD_ROUTE: 'a --route is not METHOD:/path[@body-file][*weight]',
  LAB_AMBIGUOUS_DEPLOYMENT: 'several Deployments and no --deployment to pick one',
  LAB_NO_ENTRY_POINT: "the container command's entry point is not in the app directory",
  LAB_UNKNOWN_CONTEXT: 'no such kubeconfig context',
  LAB_FORBIDDEN: 'the Kubernetes API refused an action the check needs',
  LAB_NOT_CONFIRMED: 'the check restarts a real Deployment and needs --yes',
  LAB_BAD_YAML: 'input is not valid YAML or not a Kubernetes object',
  LAB_NO_KIND: 'a YAML document has no kind',
  LAB_UNREADABLE_FILE: 'input file cannot be read',
  LAB_BAD_DOCKERFILE: 'input is not a Dockerfile',
  LAB_NEEDS_READINESS: 'this experiment needs an arm with the readiness lever (a preStop to size)',
  LAB_NO_POD_NETWORK: 'per-pod network namespaces cannot be set up here',
  LAB_NOT_MEASURABLE: 'no request reached a terminating pod after it left the endpoints: nothing to measure',
  LAB_NO_DOCUMENTS: 'the input holds no Kubernetes object',
  LAB_YAML_ALIASES: 'YAML aliases expand past the limit (an alias bomb)',
  LAB_HELM_TEMPLATE: 'input is an unrendered Helm template',
  LAB_POD_CRASHLOOP: "the app's pods keep exiting on their own (the app cannot start)",
  LAB_POD_NEVER_READY: "the app's pods run but never become ready",
  LAB_UNKNOWN_BLOCK: 'a doc names a generated block that no generator makes',
  LAB_IMAGE_PULL: 'a container cannot get its image (the pod will not start)',
  LAB_K6_TOO_BIG: 'the load plan needs more k6 memory than the Job may have',
  LAB_LOG_BUDGET: "the k6 request log of this plan would outgrow the kubelet's container log rotation",
  LAB_RUN_AS_ROOT_REFUSED: 'runAsNonRoot is true but the pod would run as root',
  LAB_BAD_ROUTE_RETRY: 'an HTTPRoute rule retry the Gateway API (or Envoy) refuses',
} as const;

export type LabErrorCode = keyof typeof ERRORS;

export class LabError extends Error {
  readonly code: LabErrorCode;
  constructor(code: LabErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${ERRORS[code]}: ${detail}`, options);
    this.name = 'LabError';
    this.code = code;
  }
}

/** The message without its `CODE: catalogue text: ` prefix, to restate an error under another code. */
export function labErrorDetail(err: LabError): string {
  const prefix = `${err.code}: ${ERRORS[err.code]}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

export function isLabError(err: unknown, code?: LabErrorCode): err is LabError {
  return err instanceof LabError && (code === undefined || err.code === code);
}
