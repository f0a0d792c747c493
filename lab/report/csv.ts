/** One CSV cell (RFC 4180): quoted, with inner quotes doubled, only when it holds a quote, comma or newline. */
export const csvCell = (v: unknown): string => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
