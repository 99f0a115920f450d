/**
 * The options `abtest` and `monitor` share for reading a prediction log: its format (by content and
 * extension when not given) and the CloudEvents reader's options (src/core/production/cloudevents.ts).
 */
import { LOG_FORMATS, type LogFormat, type ReadOptions } from '../../core/production/events';
import { UsageError } from '../errors';

export const LOG_OPTIONS = {
  format: { type: 'string' },
  source: { type: 'string' },
  'feature-names': { type: 'string' },
  'max-pending': { type: 'string' },
} as const;

export const LOG_OPTIONS_HELP = `  --format FORMAT      jsonl, csv, parquet or cloudevents, when the file's first bytes (PAR1, a
                       CloudEvent's specversion) and its extension do not say
  --source kserve|seldon  a CloudEvents log: read only KServe's or Seldon's inference events
                       (default: each event's type says)
  --feature-names A,B  a CloudEvents log: the names of an instance's values when it is an array
                       (default f0, f1, …)
  --max-pending N      a CloudEvents log: requests waiting for their response at most (default 100000)`;

export interface LogOptionValues {
  format?: string;
  source?: string;
  'feature-names'?: string;
  'max-pending'?: string;
}

/** The parsed options: the format, and the CloudEvents reader's options when any is given. */
export function parseLogOptions(values: LogOptionValues): { format?: LogFormat; cloudEvents?: Pick<ReadOptions, 'source' | 'featureNames' | 'maxPending'> } {
  if (values.format !== undefined && !(LOG_FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format ${values.format}: give ${LOG_FORMATS.join(', ')}`);
  const ce: Pick<ReadOptions, 'source' | 'featureNames' | 'maxPending'> = {};
  if (values.source !== undefined) {
    if (values.source !== 'kserve' && values.source !== 'seldon') throw new UsageError(`--source ${values.source}: give kserve or seldon`);
    ce.source = values.source;
  }
  if (values['feature-names'] !== undefined) {
    const names = values['feature-names'].split(',').map((s) => s.trim());
    if (!names.length || names.some((n) => !n) || new Set(names).size !== names.length) throw new UsageError(`--feature-names ${values['feature-names']}: give distinct names separated by commas, e.g. --feature-names sessions,basket`);
    ce.featureNames = names;
  }
  if (values['max-pending'] !== undefined) {
    const n = Number(values['max-pending']);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--max-pending ${values['max-pending']}: give a whole number above 0`);
    ce.maxPending = n;
  }
  const format = values.format as LogFormat | undefined;
  return { ...(format ? { format } : {}), ...(Object.keys(ce).length ? { cloudEvents: ce } : {}) };
}
