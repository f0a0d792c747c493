// @ts-check
// The error classes (docs/results-guide.md) for k6 responses; mirrors classifyK6 in loadtest/classes.ts
// (test/kind/k6-script.test.ts runs both over the same table). Plain JS without k6 imports so
// node can load it too.

/** @typedef {'ok'|'http_502'|'http_503'|'http_5xx_other'|'reset'|'refused'|'timeout'|'other'} ErrorClass */

/** @type {readonly ErrorClass[]} */
export const CLASSES = ['ok', 'http_502', 'http_503', 'http_5xx_other', 'reset', 'refused', 'timeout', 'other'];

/**
 * @param {number} status
 * @returns {ErrorClass}
 */
export function classifyStatus(status) {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 502) return 'http_502';
  if (status === 503) return 'http_503';
  if (status >= 500) return 'http_5xx_other';
  return 'other';
}

/**
 * @param {number} errorCode k6 `res.error_code` (0 when none)
 * @param {number} status k6 `res.status` (0 when no response arrived)
 * @returns {ErrorClass}
 */
export function classifyK6(errorCode, status) {
  if (status > 0) return classifyStatus(status);
  if (errorCode === 1212) return 'refused';
  if (errorCode === 1000 || errorCode === 1201 || errorCode === 1220) return 'reset';
  if (errorCode === 1050 || errorCode === 1211) return 'timeout';
  // 1200/1202/1210/1213: unreachable ("no route to host" to a deleted pod's address), as classifyK6 explains
  if (errorCode === 1200 || errorCode === 1202 || errorCode === 1210 || errorCode === 1213) return 'timeout';
  if (errorCode >= 1500 && errorCode < 1600) return classifyStatus(errorCode - 1000);
  return 'other';
}
