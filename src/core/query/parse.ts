/**
 * The version query language (issue #16, "Find versions"): one parser for the CLI's flags
 * (`modelver find --metric 'accuracy>=0.88' --tag v2 …`) and for the text typed in the extension's
 * filter (`accuracy>=0.88 tag:v2 dataset:data/test.csv since:2026-11-01 breaking`). Both become a list
 * of QueryTokens, and parseQueryTokens turns them into one typed FindQuery; every malformed filter is
 * refused here with a FindQueryError that says what is wrong and how to write it. Names that must exist
 * (metrics, tags, aliases, datasets, models) are checked against the repository by ./find.ts.
 */
import { METRIC_NAME_RE } from '../lineage/metricHistory';

export type CompareOp = '>=' | '<=' | '>' | '<' | '=' | '!=';

export interface MetricFilter {
  /** the dataset (file name, repository path or `sha256:<hex>`), `commit` (trailer) or `notes`; undefined when not named */
  source?: string;
  name: string;
  op: CompareOp;
  value: number;
  /** as typed, for messages */
  text: string;
}

/** An instant; `text` as the user typed it. */
export interface DateBound {
  ms: number;
  text: string;
}

/** A query: every filter must hold (AND); a list means each of its items must hold. */
export interface FindQuery {
  /** only this model's versions (repository-relative path, any of its names) */
  model?: string;
  metrics: MetricFilter[];
  /** trained on (lineage) or evaluated on (recorded evaluation) each of these */
  datasets: string[];
  tags: string[];
  aliases: string[];
  /** case-insensitive substrings of `name <email>` */
  authors: string[];
  /** the version's date (author date) at or after */
  since?: DateBound;
  /** the version's date at or before (a date without a time: the end of that UTC day) */
  until?: DateBound;
  /** words (lower case), each in the message or its change record */
  text: string[];
  /** onnx, keras, keras-h5, safetensors … (`keras` matches every Keras flavour) */
  formats: string[];
  /** only versions whose change record says the interface changed incompatibly */
  breaking: boolean;
  /** derived (through recorded Model-Derived-From links, transitively) from MODEL or MODEL@VERSION */
  derivedFrom: string[];
}

/** A malformed or unknown filter; `known` lists the names that would have been accepted (when there is such a list). */
export class FindQueryError extends Error {
  override name = 'FindQueryError';
  constructor(
    message: string,
    readonly known: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The filters, by the key the quick input uses (`tag:v2`) and the CLI's flag (`--tag v2`). */
export const FILTER_KEYS = ['metric', 'dataset', 'tag', 'alias', 'author', 'since', 'until', 'text', 'format', 'breaking', 'derived-from', 'model'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface QueryToken {
  key: FilterKey;
  value: string;
}

/** The format names a `format:` filter takes (a Model-Format trailer's value, or its family). */
export const FORMAT_NAMES = ['onnx', 'keras', 'keras-h5', 'keras-weights-h5', 'keras-v3', 'pytorch', 'torchscript', 'safetensors', 'gguf', 'tflite'] as const;

const OPS: CompareOp[] = ['>=', '<=', '!=', '>', '<', '='];
const OP_RE = /(>=|<=|!=|==|>|<|=)/;

export function emptyQuery(): FindQuery {
  return { metrics: [], datasets: [], tags: [], aliases: [], authors: [], text: [], formats: [], breaking: false, derivedFrom: [] };
}

/** No filter at all (the model scope alone does not count). */
export function isEmptyQuery(q: FindQuery): boolean {
  return (
    !q.metrics.length && !q.datasets.length && !q.tags.length && !q.aliases.length && !q.authors.length && !q.since && !q.until &&
    !q.text.length && !q.formats.length && !q.breaking && !q.derivedFrom.length
  );
}

/** `accuracy>=0.88`, `test.csv:accuracy>=0.88`, `commit:f1 > 0.8` → a MetricFilter; throws FindQueryError. */
export function parseMetricFilter(text: string): MetricFilter {
  const t = text.trim();
  const example = `e.g. 'accuracy>=0.88' or 'test.csv:accuracy>=0.88' (operators: ${OPS.join(' ')})`;
  const m = OP_RE.exec(t);
  if (!m) throw new FindQueryError(`metric filter '${t}' has no comparison: write NAME OP VALUE, ${example}.`);
  const lhs = t.slice(0, m.index).trim();
  const op = (m[1] === '==' ? '=' : m[1]) as CompareOp;
  const raw = t.slice(m.index + m[1].length).trim();
  const colon = lhs.lastIndexOf(':');
  const source = colon >= 0 ? lhs.slice(0, colon).trim() : undefined;
  const name = colon >= 0 ? lhs.slice(colon + 1).trim() : lhs;
  if (!name) throw new FindQueryError(`metric filter '${t}' names no metric before ${m[1]}: ${example}.`);
  if (!METRIC_NAME_RE.test(name)) {
    throw new FindQueryError(`metric filter '${t}': '${name}' is not a metric name (a letter, then letters, digits, '_', '.' or '-'): ${example}.`);
  }
  if (source !== undefined && !source) throw new FindQueryError(`metric filter '${t}': nothing before ':'; name a dataset (test.csv:${name}) or leave the ':' out.`);
  if (/^[<>=!]/.test(raw)) throw new FindQueryError(`metric filter '${t}': '${m[1]}${raw[0]}' is not an operator; use one of ${OPS.join(' ')}.`);
  const value = raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new FindQueryError(`metric filter '${t}': '${raw}' is not a number; give a value like 0.88 or 1e-3 after ${m[1]}.`);
  return { ...(source !== undefined ? { source } : {}), name, op, value, text: t };
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * A date as `since`/`until` take it: ISO 8601 (`2026-11-01T09:30:00+01:00`, `2026-11-01T09:30Z`; no
 * offset means UTC) or `YYYY-MM-DD` (a UTC day: `since` from its start, `until` to its end).
 */
export function parseDateBound(text: string, which: 'since' | 'until'): DateBound {
  const t = text.trim();
  const m = DATE_RE.exec(t);
  const fail = (why: string): never => {
    throw new FindQueryError(`${which} '${t}': ${why}; give YYYY-MM-DD (e.g. 2026-11-01) or an ISO 8601 time (e.g. 2026-11-01T09:30:00Z).`);
  };
  if (!m) return fail('not a date');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = Date.UTC(y, mo - 1, d);
  const back = new Date(day);
  if (mo < 1 || mo > 12 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return fail(`${m[1]}-${m[2]}-${m[3]} is not a day of the calendar`);
  if (m[4] === undefined) return { ms: which === 'since' ? day : day + 86_400_000 - 1, text: t };
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return fail(`${m[4]}:${m[5]}${m[6] ? ':' + m[6] : ''} is not a time of day`);
  let offset = 0;
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3).replace(':', '') || 0);
    if (oh > 23 || om > 59) return fail(`'${z}' is not a UTC offset`);
    offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const frac = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  return { ms: day + ((h * 60 + mi) * 60 + s) * 1000 + frac - offset, text: t };
}

/** One token of either face into the query (mutated). */
function addToken(q: FindQuery, tok: QueryToken): void {
  const value = tok.value.trim();
  const need = (what: string, example: string): string => {
    if (!value) throw new FindQueryError(`${tok.key}: give ${what}, e.g. ${tok.key}:${example}.`);
    return value;
  };
  switch (tok.key) {
    case 'metric':
      q.metrics.push(parseMetricFilter(need('a comparison', 'accuracy>=0.88')));
      break;
    case 'dataset':
      q.datasets.push(need('a dataset file', 'data/test.csv'));
      break;
    case 'tag':
      q.tags.push(need('a tag name', 'v2'));
      break;
    case 'alias':
      q.aliases.push(need('an alias name', 'production'));
      break;
    case 'author':
      q.authors.push(need('a name or e-mail (part of it)', 'alice').toLowerCase());
      break;
    case 'since':
    case 'until': {
      const b = parseDateBound(need('a date', '2026-11-01'), tok.key);
      if (q[tok.key]) throw new FindQueryError(`${tok.key} is given twice (${q[tok.key]!.text} and ${b.text}); give it once.`);
      q[tok.key] = b;
      break;
    }
    case 'text':
      q.text.push(...need('words to look for', 'pruned').toLowerCase().split(/\s+/).filter(Boolean));
      break;
    case 'format': {
      const f = need('a format', 'onnx').toLowerCase();
      if (!(FORMAT_NAMES as readonly string[]).includes(f)) {
        throw new FindQueryError(`format '${value}' is not one we know; known formats: ${FORMAT_NAMES.join(', ')}.`, FORMAT_NAMES);
      }
      q.formats.push(f);
      break;
    }
    case 'breaking':
      if (value && !/^(true|yes|1)$/i.test(value)) throw new FindQueryError(`breaking takes no value ('${value}' given): write breaking on its own.`);
      q.breaking = true;
      break;
    case 'derived-from':
      if (!value || value.startsWith('@')) throw new FindQueryError(`derived-from '${value}': give MODEL or MODEL@VERSION, e.g. derived-from:models/base.onnx@v2.`);
      q.derivedFrom.push(value);
      break;
    case 'model':
      need('a model path', 'models/a.onnx');
      if (q.model !== undefined && q.model !== value) throw new FindQueryError(`model is given twice (${q.model} and ${value}); a query looks in one model or in all.`);
      q.model = value;
      break;
  }
}

/** The query of a list of tokens (the CLI's flags, or tokenizeQuery's result). Throws FindQueryError. */
export function parseQueryTokens(tokens: readonly QueryToken[]): FindQuery {
  const q = emptyQuery();
  for (const t of tokens) addToken(q, t);
  if (q.since && q.until && q.since.ms > q.until.ms) {
    throw new FindQueryError(`since ${q.since.text} is after until ${q.until.text}: no version can match; swap them.`);
  }
  return q;
}

/** Splits the text at white space outside double quotes; a quoted part keeps its spaces (quotes dropped). */
function words(text: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let cur = '';
  let quoted = false;
  let inQuote = false;
  let any = false;
  for (const c of text) {
    if (c === '"') {
      inQuote = !inQuote;
      quoted = true;
      any = true;
    } else if (!inQuote && /\s/.test(c)) {
      if (any) out.push({ text: cur, quoted });
      cur = '';
      quoted = false;
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (inQuote) throw new FindQueryError(`a quote is not closed in '${text}': close it with ".`);
  if (any) out.push({ text: cur, quoted });
  return out;
}

const KEY_ALIASES: ReadonlyMap<string, FilterKey> = new Map([
  ['derived', 'derived-from'],
  ['derivedfrom', 'derived-from'],
]);

/** `tag:…`, `since:…` …: a word that is a filter other than a metric (an operator next to it is its own). */
function keyed(word: string): boolean {
  const colon = word.indexOf(':');
  if (colon <= 0) return /^[#@]/.test(word) || /^breaking$/i.test(word);
  const k = word.slice(0, colon).toLowerCase();
  return k !== 'metric' && ((FILTER_KEYS as readonly string[]).includes(k) || KEY_ALIASES.has(k));
}

/**
 * The filter's text as typed in the extension (and shown in the view's description) → tokens:
 * `key:value` (the keys of FILTER_KEYS), `NAME OP VALUE` or `DATASET:NAME OP VALUE` (a metric),
 * `#tag`, `@alias`, `breaking`, and any other word (or "quoted words") as text to look for.
 */
export function tokenizeQuery(text: string): QueryToken[] {
  const raw = words(text);
  // `accuracy >= 0.88`: an operator set apart by spaces joins its neighbours
  const joined: { text: string; quoted: boolean }[] = [];
  for (let i = 0; i < raw.length; i++) {
    const w = raw[i];
    const prev = joined[joined.length - 1];
    if (!w.quoted && prev && !prev.quoted && (/^(>=|<=|!=|==|>|<|=)/.test(w.text) || /(>=|<=|!=|==|>|<|=)$/.test(prev.text)) && !keyed(prev.text) && !keyed(w.text)) {
      prev.text += w.text;
    } else joined.push({ ...w });
  }
  return joined.map(({ text: w, quoted }): QueryToken => {
    if (quoted) return { key: 'text', value: w };
    if (/^breaking$/i.test(w)) return { key: 'breaking', value: '' };
    if (w.startsWith('#') && w.length > 1) return { key: 'tag', value: w.slice(1) };
    if (w.startsWith('@') && w.length > 1) return { key: 'alias', value: w.slice(1) };
    const colon = w.indexOf(':');
    if (colon > 0) {
      const k = w.slice(0, colon).toLowerCase();
      const key = (FILTER_KEYS as readonly string[]).includes(k) ? (k as FilterKey) : KEY_ALIASES.get(k);
      if (key) return { key, value: w.slice(colon + 1) };
    }
    if (OP_RE.test(w)) return { key: 'metric', value: w };
    if (colon > 0 && /^[A-Za-z][A-Za-z-]*$/.test(w.slice(0, colon))) {
      throw new FindQueryError(
        `'${w.slice(0, colon)}:' is not a filter; the filters are ${FILTER_KEYS.map((k) => (k === 'breaking' ? k : k + ':')).join(' ')} (and NAME>=VALUE, #tag, @alias). To look for the text itself, quote it: "${w}".`,
        FILTER_KEYS,
      );
    }
    return { key: 'text', value: w };
  });
}

/** The query of the filter's text (tokenizeQuery, then parseQueryTokens). Throws FindQueryError. */
export function parseQueryText(text: string): FindQuery {
  return parseQueryTokens(tokenizeQuery(text));
}

/** A query as filter text (what the view's description shows; parseQueryText reads it back to the same query). */
export function formatQuery(q: FindQuery): string {
  const quote = (s: string) => (/[\s"]/.test(s) || s === '' ? `"${s.replace(/"/g, '')}"` : s);
  const parts: string[] = [];
  if (q.model !== undefined) parts.push(`model:${quote(q.model)}`);
  for (const m of q.metrics) parts.push(`${m.source !== undefined ? quote(m.source) + ':' : ''}${m.name}${m.op}${m.value}`);
  for (const t of q.tags) parts.push(`tag:${quote(t)}`);
  for (const a of q.aliases) parts.push(`alias:${quote(a)}`);
  for (const d of q.datasets) parts.push(`dataset:${quote(d)}`);
  for (const a of q.authors) parts.push(`author:${quote(a)}`);
  if (q.since) parts.push(`since:${q.since.text}`);
  if (q.until) parts.push(`until:${q.until.text}`);
  for (const f of q.formats) parts.push(`format:${f}`);
  if (q.breaking) parts.push('breaking');
  for (const d of q.derivedFrom) parts.push(`derived-from:${quote(d)}`);
  for (const w of q.text) parts.push(/^[#@]|[:<>=!]/.test(w) || /^breaking$/i.test(w) ? `"${w.replace(/"/g, '')}"` : quote(w));
  return parts.join(' ');
}
