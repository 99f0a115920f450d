/**
 * Keras models in the eval host: rebuilt in TensorFlow.js layers (pure JS, CPU backend) from the file's
 * model_config, with the weights read through our own HDF5 reader (src/core/formats). The session it
 * returns has the shape of the onnxruntime session the service drives (inputNames, outputNames,
 * run(feeds, fetches), release), so the batching/progress/cancellation code is shared.
 *
 * TensorFlow.js is loaded on first use only (require inside loadTf). Its "Hi, looks like you are running
 * TensorFlow.js in Node.js" banner and other warnings are silenced (env PROD); nothing here writes to stdout.
 *
 * Names: inputs and outputs are named as readModelSummary names them (what evaluate.ts sends):
 * input layer names (`<first layer>_input` for a Sequential without InputLayer), output layer names,
 * `<layer>:<i>` for a layer with several outputs. They are matched to tfjs' model.inputs/outputs by position
 * (both follow the config's input_layers / output_layers order).
 *
 * Stateful RNNs run as stateless ones (config.ts): every batch starts from zero states, so a row's result
 * does not depend on the rows or calls before it.
 */
import * as path from 'path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { readModelSummary } from '../../core/formats';
import { readKerasTensors } from '../../core/formats/keras';
import type { ModelSummary, TensorData } from '../../core/formats';
import { KerasEvalError, normalizeModelConfig } from './config';

export { KerasEvalError } from './config';

export interface Tf {
  core: typeof TfCore;
  layers: typeof TfLayers;
}

let tfLoading: Promise<Tf> | undefined;

/** Loads tfjs-core, the CPU backend and tfjs-layers (once). */
export function loadTf(): Promise<Tf> {
  if (!tfLoading) {
    tfLoading = (async () => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const core = require('@tensorflow/tfjs-core') as typeof TfCore;
      core.env().set('PROD', true); // no console banner or warnings (and no debug checks)
      require('@tensorflow/tfjs-backend-cpu');
      const layers = require('@tensorflow/tfjs-layers') as typeof TfLayers;
      /* eslint-enable @typescript-eslint/no-require-imports */
      await core.setBackend('cpu');
      await core.ready();
      return { core, layers };
    })();
    tfLoading.catch(() => (tfLoading = undefined));
  }
  return tfLoading;
}

/** tfjs' registered serializable class names (layers among them). */
export function registeredClasses(tf: Tf): string[] {
  return Object.keys(tf.core.serialization.SerializationMap.getMap().classNameMap);
}

/** A tensor the service feeds (onnxruntime's Tensor has this shape too). */
export interface FeedTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface FetchedTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export class KerasSession {
  readonly engine = 'tfjs-cpu' as const;
  private disposed = false;

  private constructor(
    private readonly tf: Tf,
    private readonly model: TfLayers.LayersModel,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  /** Builds the model in `file` (HDF5 or .keras). Throws KerasEvalError (or ModelFormatError) saying what is wrong. */
  static async create(file: string, label = path.basename(file)): Promise<KerasSession> {
    const summary = await readModelSummary(file);
    if (!summary.keras) throw new KerasEvalError(`${label} is not a Keras model`);
    const tf = await loadTf();
    const cfg = normalizeModelConfig(
      { name: label, kerasVersion: summary.keras.kerasVersion, weightsOnly: summary.keras.weightsOnly, format: summary.format, modelConfig: summary.keras.modelConfig },
      registeredClasses(tf),
    );
    let model: TfLayers.LayersModel;
    try {
      model = await tf.layers.models.modelFromJSON({ modelTopology: cfg } as unknown as TfCore.io.ModelJSON);
    } catch (e) {
      throw new KerasEvalError(`${label}: TensorFlow.js cannot rebuild the model from its config: ${(e as Error).message}`);
    }
    try {
      await setWeights(tf, model, file, summary, label);
      const inputNames = summary.inputs.map((i) => i.name);
      const outputNames = summary.outputs.map((o) => o.name);
      if (inputNames.length !== model.inputs.length || outputNames.length !== model.outputs.length) {
        throw new KerasEvalError(
          `${label}: the model config gives ${inputNames.length} input(s) and ${outputNames.length} output(s) but TensorFlow.js built ${model.inputs.length} and ${model.outputs.length}`,
        );
      }
      return new KerasSession(tf, model, inputNames, outputNames);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  async run(feeds: Record<string, FeedTensor>, fetches: readonly string[]): Promise<Record<string, FetchedTensor>> {
    if (this.disposed) throw new Error('the Keras session was released');
    const { core } = this.tf;
    const xs: TfCore.Tensor[] = [];
    try {
      let n = 0;
      this.inputNames.forEach((name, i) => {
        const f = feeds[name];
        if (!f) throw new KerasEvalError(`no data for model input ${name}`);
        const want = this.model.inputs[i].shape;
        if (f.dims.length !== want.length || want.some((d, k) => d !== null && d !== f.dims[k])) {
          throw new KerasEvalError(`input ${name}: got dims [${f.dims.join(',')}], the model takes [${want.map((d) => (d === null ? '?' : d)).join(',')}]`);
        }
        const data = f.data instanceof Float32Array ? f.data : Float32Array.from(f.data as ArrayLike<number>);
        xs.push(core.tensor(data, [...f.dims], 'float32'));
        n = f.dims[0] ?? 1;
      });
      const out = this.model.predict(xs.length === 1 ? xs[0] : xs, { batchSize: Math.max(1, n) });
      const outs = Array.isArray(out) ? out : [out];
      const result: Record<string, FetchedTensor> = {};
      try {
        for (const name of fetches) {
          const k = this.outputNames.indexOf(name);
          if (k < 0) throw new KerasEvalError(`the model has no output ${name} (outputs: ${this.outputNames.join(', ')})`);
          const t = outs[k];
          const data = t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as ArrayLike<number>);
          result[name] = { data: Float32Array.from(data), dims: [...t.shape] };
        }
      } finally {
        for (const t of outs) t.dispose();
      }
      return result;
    } finally {
      for (const x of xs) x.dispose();
    }
  }

  async release(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

function toFloat32(t: TensorData, what: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (Array.isArray(t.data)) throw new KerasEvalError(`${what} holds strings, not numbers`);
  const src = t.data as ArrayLike<number | bigint>;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  return out;
}

/** Reads the weights of every layer from the file (one pass) and sets them, layer by layer, in file order. */
async function setWeights(tf: Tf, model: TfLayers.LayersModel, file: string, summary: ModelSummary, label: string): Promise<void> {
  const byName = new Map(summary.tensors.map((t) => [t.name, t]));
  const wanted = summary.tensors.filter((t) => t.origin === 'keras-weight');
  const values = wanted.length ? await readKerasTensors(file, wanted) : [];
  const valueOf = new Map(wanted.map((t, i) => [t.name, values[i]]));
  const layersInFile = new Map((summary.keras?.layers ?? []).map((l) => [l.name, l]));
  for (const layer of model.layers) {
    const expected = layer.weights;
    if (expected.length === 0) continue;
    const inFile = layersInFile.get(layer.name);
    const names = inFile?.weights ?? [];
    if (names.length !== expected.length) {
      throw new KerasEvalError(
        `${label}: layer ${layer.name} (${layer.getClassName()}) has ${names.length} weight(s) in the file but TensorFlow.js expects ${expected.length} ` +
          `(${expected.map((w) => `${w.originalName} [${w.shape.join(',')}]`).join(', ')})`,
      );
    }
    const tensors = names.map((n, i) => {
      const info = byName.get(n);
      const v = valueOf.get(n);
      if (!info || !v) throw new KerasEvalError(`${label}: weight ${n} of layer ${layer.name} could not be read`);
      const want = expected[i].shape;
      if (v.shape.length !== want.length || v.shape.some((d, k) => d !== want[k])) {
        throw new KerasEvalError(
          `${label}: weight ${n} of layer ${layer.name} (${layer.getClassName()}) has shape [${v.shape.join(',')}] but TensorFlow.js expects [${want.join(',')}] for ${expected[i].originalName}`,
        );
      }
      return tf.core.tensor(toFloat32(v, n), v.shape, 'float32');
    });
    try {
      layer.setWeights(tensors);
    } finally {
      for (const t of tensors) t.dispose();
    }
  }
}
