/**
 * Seeded mutation fuzzing of the readers (test/unit/fuzz.test.ts): byte-level mutations of real files,
 * each input reproducible from (seed, reader, fixture, index) alone, and the reader calls the product
 * makes, classified as parsed / our own typed error / anything else (a failure).
 */
import * as fs from 'fs';
import * as path from 'path';
import { diffModels } from '../../src/core/diff';
import { loadDataset, type DatasetSpec } from '../../src/core/eval/dataset';
import { DatasetError } from '../../src/core/eval/datasetErrors';
import { ModelFormatError } from '../../src/core/formats/errors';
import { readModelSummary, readTensor } from '../../src/core/formats';
import { readKerasTensors } from '../../src/core/formats/keras';
import { mulberry32, type Random } from '../../src/core/metrics/rng';

// ---------------------------------------------------------------------------------------------
// mutations

/** Values that tend to break length, count and offset fields, and text parsers. */
const INTERESTING: number[][] = [
  [0x00],
  [0x01],
  [0x7f],
  [0x80],
  [0xff],
  [0xff, 0xff],
  [0x00, 0x80],
  [0xff, 0x7f],
  [0xff, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0x7f],
  [0x00, 0x00, 0x00, 0x80],
  [0x00, 0x00, 0x00, 0x40],
  [0x00, 0x00, 0x00, 0x00],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff, 0x0f], // varint 2^32 − 1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // varint 2^63
  [0xfe, 0xff, 0xff, 0xff, 0x07], // varint 2^31 − 2
];

/** Tokens for text formats (CSV, JSON, JSONL, the NPY header). */
const TEXT_TOKENS = ['"', ',', '\n', '\r', '\t', '[', ']', '{', '}', ':', '-', 'e', '9', '\0', '\xff', '\xc3', 'NaN', '1e999', '""', ',,', '\\u0000', '-1', '99999999999'];

export interface Mutated {
  data: Buffer;
  /** what was done, e.g. 'flip@1203.5, set@88=ffffffff, cut→4000' */
  steps: string[];
}

export interface MutateOptions {
  /** positions are drawn from here 40% of the time (file head) … */
  head?: number;
  /** … and from the last `tail` bytes 20% of the time; uniformly otherwise */
  tail?: number;
  /** text formats: text tokens too */
  text?: boolean;
  /** formats that check their size first (HDF5): mostly mutations that keep it */
  inPlace?: boolean;
}

type Kind = 'flip' | 'set' | 'cut' | 'dup' | 'del' | 'text';
const WEIGHTS: Record<'binary' | 'text' | 'inPlace', Array<[Kind, number]>> = {
  binary: [['flip', 35], ['set', 30], ['cut', 7], ['dup', 14], ['del', 14]],
  text: [['flip', 20], ['set', 12], ['cut', 6], ['dup', 16], ['del', 16], ['text', 30]],
  inPlace: [['flip', 50], ['set', 40], ['cut', 4], ['dup', 3], ['del', 3]],
};

function pick(rng: Random, o: MutateOptions): Kind {
  const w = WEIGHTS[o.inPlace ? 'inPlace' : o.text ? 'text' : 'binary'];
  let r = rng() * w.reduce((a, [, x]) => a + x, 0);
  for (const [k, x] of w) if ((r -= x) < 0) return k;
  return w[0][0];
}

function position(rng: Random, n: number, o: MutateOptions): number {
  const r = rng();
  if (o.head && r < 0.4) return Math.floor(rng() * Math.min(n, o.head));
  if (o.tail && r < 0.6) return Math.max(0, n - 1 - Math.floor(rng() * Math.min(n, o.tail)));
  return Math.floor(rng() * n);
}

/** One to three mutations of `src` (never changed), drawn from `rng`. */
export function mutate(src: Buffer, rng: Random, o: MutateOptions = {}): Mutated {
  let data = Buffer.from(src);
  const steps: string[] = [];
  const k = 1 + Math.floor(rng() * 3);
  for (let m = 0; m < k && data.length > 0; m++) {
    const n = data.length;
    const kind = pick(rng, o);
    const at = position(rng, n, o);
    switch (kind) {
      case 'flip': {
        const bit = Math.floor(rng() * 8);
        data[at] ^= 1 << bit;
        steps.push(`flip@${at}.${bit}`);
        break;
      }
      case 'set': {
        const v = INTERESTING[Math.floor(rng() * INTERESTING.length)];
        for (let i = 0; i < v.length && at + i < n; i++) data[at + i] = v[i];
        steps.push(`set@${at}=${Buffer.from(v).toString('hex')}`);
        break;
      }
      case 'cut': {
        const len = Math.floor(rng() * n);
        data = data.subarray(0, len);
        steps.push(`cut→${len}`);
        break;
      }
      case 'dup': {
        const len = 1 + Math.floor(rng() * Math.min(4096, n - at));
        const to = position(rng, n, o);
        data = Buffer.concat([data.subarray(0, to), data.subarray(at, at + len), data.subarray(to)]);
        steps.push(`dup@${at}+${len}→${to}`);
        break;
      }
      case 'del': {
        const len = 1 + Math.floor(rng() * Math.min(4096, n - at));
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + len)]);
        steps.push(`del@${at}+${len}`);
        break;
      }
      case 'text': {
        const t = TEXT_TOKENS[Math.floor(rng() * TEXT_TOKENS.length)];
        const b = Buffer.from(t, 'latin1');
        data = Buffer.concat([data.subarray(0, at), b, data.subarray(at + (rng() < 0.5 ? 0 : 1))]);
        steps.push(`text@${at}=${JSON.stringify(t)}`);
        break;
      }
    }
  }
  return { data, steps };
}

/** The seed of one input: reproducible from (seed, reader, fixture, index) alone. */
export function inputSeed(seed: number, reader: string, fixture: string, index: number): number {
  let h = (seed ^ 0x9e3779b9) | 0;
  for (const c of `${reader}|${fixture}|${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

export function inputRng(seed: number, reader: string, fixture: string, index: number): Random {
  return mulberry32(inputSeed(seed, reader, fixture, index));
}

// ---------------------------------------------------------------------------------------------
// readers

export type ReaderKind = 'onnx' | 'keras' | 'dataset' | 'pytorch' | 'safetensors' | 'gguf' | 'tflite';

export interface Case {
  reader: ReaderKind;
  /** the real file, mutated */
  fixture: string;
  /** name of the mutated copy (its extension picks the dataset format) */
  name: string;
  mutate: MutateOptions;
  /** datasets: the spec (file is filled in) */
  spec?: Omit<DatasetSpec, 'file'>;
  /** ONNX, PyTorch, safetensors, GGUF, TFLite: also diff the original against the mutated copy every this many inputs */
  diffEvery?: number;
}

export type Outcome = { kind: 'parsed'; detail: string } | { kind: 'error'; code: string } | { kind: 'crash'; error: string };

/** Runs the reader calls the product makes on `file`; the original is `c.fixture`. */
export async function runReader(c: Case, file: string, index: number): Promise<Outcome> {
  try {
    switch (c.reader) {
      case 'onnx':
      case 'safetensors':
      case 'gguf':
      case 'tflite': {
        // the product's entry points: the format is told from the first bytes
        const s = await readModelSummary(file);
        for (const t of s.tensors) await readTensor(file, s, t);
        if (c.diffEvery && index % c.diffEvery === 0) await diffModels(c.fixture, file);
        return { kind: 'parsed', detail: `${s.tensors.length} tensors` };
      }
      case 'pytorch': {
        // the product's entry points; every tensor of the model and of the optimizer state
        const s = await readModelSummary(file);
        for (const t of [...s.tensors, ...(s.pytorch?.optimizerTensors ?? [])]) await readTensor(file, s, t);
        if (c.diffEvery && index % c.diffEvery === 0) await diffModels(c.fixture, file);
        return { kind: 'parsed', detail: `${s.tensors.length} tensors` };
      }
      case 'keras': {
        const s = await readModelSummary(file);
        const all = [...s.tensors, ...(s.keras?.optimizerWeights ?? [])];
        if (all.length) await readKerasTensors(file, all);
        return { kind: 'parsed', detail: `${s.tensors.length} tensors` };
      }
      case 'dataset': {
        const d = await loadDataset({ ...c.spec!, file } as DatasetSpec);
        return { kind: 'parsed', detail: `${d.rowCount} rows` };
      }
    }
  } catch (e) {
    const ours = c.reader === 'dataset' ? e instanceof DatasetError : e instanceof ModelFormatError;
    if (ours) return { kind: 'error', code: (e as ModelFormatError | DatasetError).code };
    const err = e as Error;
    const at = (err?.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 3).map((l) => l.trim());
    return { kind: 'crash', error: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}`.slice(0, 400) + (at.length ? ` (${at.join(' ← ')})` : '') };
  }
}

/** Writes input `index` of case `c` to `dir` and returns its path and the mutation steps. */
export function writeInput(c: Case, original: Buffer, seed: number, index: number, dir: string): { file: string; steps: string[] } {
  const m = mutate(original, inputRng(seed, c.reader, path.basename(c.fixture), index), c.mutate);
  const file = path.join(dir, c.name);
  fs.writeFileSync(file, m.data);
  return { file, steps: m.steps };
}
