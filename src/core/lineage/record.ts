/**
 * Lineage in commit messages: the trailers `Model-Derived-From`, `Model-Dataset` (repeatable),
 * `Model-Code` and `Model-Train-Params` (docs/storage.md, "Lineage"), read back here. Writing them —
 * checking what the user gave and making the trailers at commit time — is part of the commit
 * (src/core/repo/lineageRecord.ts), re-exported here for the lineage module's users.
 */
import { LINEAGE_TRAILER } from '../repo/lineageRecord';
import { finalTrailers } from '../repo/trailers';
import type { LineageRecord } from './types';

export {
  LINEAGE_TRAILER,
  MAX_PARAMS_BYTES,
  MAX_DATASETS,
  DEFAULT_ROLE,
  resolveLineage,
  checkParams,
  lineageTrailers,
  type LineageRepo,
} from '../repo/lineageRecord';

const HEX40 = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Every value of every trailer in a message's last paragraph (repeated keys kept, in order). */
export const trailerList = finalTrailers;

/** The lineage recorded in a commit message; malformed trailers are skipped. */
export function parseLineage(message: string): LineageRecord {
  return lineageFromTrailers(trailerList(message));
}

/** The lineage in a list of trailers (e.g. ModelVersion.recorded: only what Model Versions recorded). */
export function lineageFromTrailers(list: [string, string][]): LineageRecord {
  const rec: LineageRecord = { datasets: [] };
  for (const [k, raw] of list) {
    const v = raw.trim();
    if (k === LINEAGE_TRAILER.derivedFrom) {
      const at = v.lastIndexOf('@');
      const commit = v.slice(at + 1).toLowerCase();
      if (at > 0 && HEX40.test(commit)) rec.derivedFrom = { path: v.slice(0, at), commit };
    } else if (k === LINEAGE_TRAILER.dataset) {
      const m = /^(\S+) (.+?) sha256:([0-9a-f]{64})(?: git:([0-9a-f]{40,64}))?$/.exec(v);
      if (m) rec.datasets.push({ role: m[1], path: m[2], sha256: m[3], ...(m[4] ? { blob: m[4] } : {}) });
    } else if (k === LINEAGE_TRAILER.code) {
      if (HEX40.test(v.toLowerCase())) rec.codeCommit = v.toLowerCase();
    } else if (k === LINEAGE_TRAILER.params) {
      try {
        const p = JSON.parse(v) as unknown;
        if (p && typeof p === 'object' && !Array.isArray(p)) rec.params = p as Record<string, unknown>;
      } catch {
        /* not ours */
      }
    }
  }
  return rec;
}
