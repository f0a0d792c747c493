// The error classes (docs/results-guide.md), shared by the local load generator and the k6 summary converter.
export const CLASSES = ['ok', 'http_502', 'http_503', 'http_5xx_other', 'reset', 'refused', 'timeout', 'other'] as const;
export type ErrorClass = (typeof CLASSES)[number];
export type ClassCounts = Record<ErrorClass, number>;

export function emptyCounts(): ClassCounts {
  return Object.fromEntries(CLASSES.map((c) => [c, 0])) as ClassCounts;
}

/** Class of a completed HTTP response. 4xx are the client's own fault and count as `ok` only if expected by the caller. */
export function classifyStatus(status: number): ErrorClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 502) return 'http_502';
  if (status === 503) return 'http_503';
  if (status >= 500) return 'http_5xx_other';
  return 'other';
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);
// EHOSTUNREACH/ENETUNREACH: nothing answered for a pod address whose network is gone (the ARP
// request went unanswered), which a client experiences as a connect that timed out.
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ABORT_ERR', 'TimeoutError']);

/** Class of a Node/undici error (walks `cause`, where undici puts the socket error). */
export function classifyError(err: unknown): ErrorClass {
  let e: any = err;
  for (let i = 0; e && i < 5; i++, e = e.cause) {
    // Both fields: an AbortSignal.timeout() rejection is a DOMException whose code is a number (23)
    // and whose name is 'TimeoutError', while socket errors carry the string code.
    for (const code of [e.code, e.name]) {
      if (code === 'ECONNREFUSED') return 'refused';
      if (RESET_CODES.has(code)) return 'reset';
      if (TIMEOUT_CODES.has(code)) return 'timeout';
    }
  }
  return 'other';
}

// k6 error codes (https://grafana.com/docs/k6/latest/javascript-api/error-codes/). A response that
// arrived is classed by its status alone (k6 sets error_code = 1000 + status for 4xx/5xx); only
// requests without a response (status 0) are classed by the transport error code. Keep in step
// with loadtest/k6/classify.js, which k6 runs (test/kind checks both against one table).
const K6_UNREACHABLE = new Set([1200, 1202, 1210, 1213]);

export function classifyK6(errorCode: number, status: number): ErrorClass {
  if (status > 0) return classifyStatus(status);
  if (errorCode === 1212) return 'refused';
  // 1000 is k6's generic error, in practice "EOF"/"unexpected EOF": the peer closed mid-request.
  if (errorCode === 1000 || errorCode === 1201 || errorCode === 1220) return 'reset';
  if (errorCode === 1050 || errorCode === 1211) return 'timeout';
  // TCP errors other than reset/broken pipe/refused (grafana/k6 lib/netext/httpext/error_codes.go):
  // 1213 a dial's unknown errno and 1210 another dial error — EHOSTUNREACH "no route to host" when
  // the pod behind the address is gone —, 1202 an unknown errno and 1200 another TCP error on a
  // connection (ETIMEDOUT, EHOSTUNREACH). The local generator classes EHOSTUNREACH, ENETUNREACH and
  // ETIMEDOUT as timeout (TIMEOUT_CODES above), so these are too.
  if (K6_UNREACHABLE.has(errorCode)) return 'timeout';
  if (errorCode >= 1500 && errorCode < 1600) return classifyStatus(errorCode - 1000);
  return 'other';
}
