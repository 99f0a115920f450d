/** The schema's value rules, shared by the JSON/CSV reader (events.ts) and its fast path (fastLine.ts). */

/** ISO 8601 date or date-time */
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** ISO 8601 text or epoch milliseconds (a number or digits) → epoch ms; undefined when neither. */
export function timestampOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
    if (ISO.test(t)) {
      const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t);
      if (Number.isFinite(ms)) return ms;
    }
  }
  return undefined;
}

/** true/false, a number, or text of one → a number; undefined otherwise. */
export function outcomeValue(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return 1;
    if (t === 'false') return 0;
    if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  }
  return undefined;
}

