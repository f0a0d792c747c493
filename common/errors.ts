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
  LAB_BAD_YAML: 'input is not valid YAML or not a Kubernetes object',
  LAB_NO_KIND: 'a YAML document has no kind',
  LAB_UNREADABLE_FILE: 'input file cannot be read',
  LAB_BAD_DOCKERFILE: 'input is not a Dockerfile',
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

export function isLabError(err: unknown, code?: LabErrorCode): err is LabError {
  return err instanceof LabError && (code === undefined || err.code === code);
}
