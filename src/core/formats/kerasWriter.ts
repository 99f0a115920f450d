/**
 * Writes a small Keras Sequential model (Dense and Dropout layers) as a tf.keras 2.x full-model HDF5
 * file, laid out as tf.keras 2.x `model.save("m.h5")` writes it:
 *
 *   /                       attrs backend="tensorflow", keras_version, model_config (JSON, fixed-length bytes)
 *   /model_weights          attrs backend, keras_version, layer_names (fixed-length ASCII array)
 *   /model_weights/<layer>  attr weight_names (["<layer>/kernel:0", "<layer>/bias:0"]; an empty array for Dropout)
 *   /model_weights/<layer>/<layer>/kernel:0   float32 [in, units]
 *   /model_weights/<layer>/<layer>/bias:0     float32 [units]
 *
 * The model_config is a Sequential whose first layer is an InputLayer (`<first layer>_input` unless
 * `inputName` is given), as TF ≥ 2.4 writes it. Used for demos and tests; readable by our reader, h5py
 * and Keras 2's load_model. h5wasm is loaded lazily (ESM only). The file is written beside the target
 * under a temporary name and renamed into place, so a failure never leaves a half-written model.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadH5 } from './kerasHdf5';

export type KerasLayerSpec =
  | {
      kind: 'Dense';
      name?: string;
      units: number;
      activation?: 'relu' | 'sigmoid' | 'softmax' | 'tanh' | 'linear';
      /** [in, units] row-major */
      kernel: Float32Array;
      bias?: Float32Array;
    }
  | { kind: 'Dropout'; name?: string; rate: number };

export interface KerasSequentialSpec {
  name?: string;
  /** without the batch dimension */
  inputShape: number[];
  inputName?: string;
  layers: KerasLayerSpec[];
}

/** The Keras version the file says wrote it: the layout is tf.keras 2.x's. */
export const WRITTEN_KERAS_VERSION = '2.15.0';
const ACTIVATIONS = ['relu', 'sigmoid', 'softmax', 'tanh', 'linear'];
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export class KerasWriteError extends Error {
  override name = 'KerasWriteError';
}

interface PlannedLayer {
  name: string;
  config: Record<string, unknown>;
  className: string;
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

const isPosInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

/** Checks the spec and lays out configs and weights; throws KerasWriteError saying what is wrong. */
export function planKerasModel(spec: KerasSequentialSpec): { modelConfig: Record<string, unknown>; layers: PlannedLayer[] } {
  if (!spec || typeof spec !== 'object') throw new KerasWriteError('the model spec must be an object { inputShape, layers }');
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0 || !spec.inputShape.every(isPosInt)) {
    throw new KerasWriteError(`inputShape must be a non-empty list of positive integers (the shape of one sample, without the batch), got ${JSON.stringify(spec.inputShape)}`);
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new KerasWriteError('layers must be a non-empty list of Dense/Dropout layers');
  const modelName = spec.name ?? 'sequential';
  if (!NAME_RE.test(modelName)) throw new KerasWriteError(`model name ${JSON.stringify(modelName)} must match ${NAME_RE} (letters, digits, _ . -)`);
  const used = new Set<string>();
  const counters: Record<string, number> = {};
  const autoName = (base: string): string => {
    for (;;) {
      const k = counters[base] ?? 0;
      counters[base] = k + 1;
      const n = k === 0 ? base : `${base}_${k}`;
      if (!used.has(n)) return n;
    }
  };
  const named = spec.layers.map((l, i) => {
    if (!l || typeof l !== 'object') throw new KerasWriteError(`layers[${i}] must be an object`);
    const n = l.name ?? autoName(l.kind === 'Dense' ? 'dense' : 'dropout');
    if (!NAME_RE.test(n)) throw new KerasWriteError(`layers[${i}]: name ${JSON.stringify(n)} must match ${NAME_RE} (letters, digits, _ . -)`);
    if (used.has(n)) throw new KerasWriteError(`layers[${i}]: the name ${n} is used twice; layer names must be unique`);
    used.add(n);
    return n;
  });
  const inputName = spec.inputName ?? `${named[0]}_input`;
  if (!NAME_RE.test(inputName)) throw new KerasWriteError(`inputName ${JSON.stringify(inputName)} must match ${NAME_RE}`);
  if (used.has(inputName)) throw new KerasWriteError(`inputName ${inputName} is also a layer name; names must be unique`);

  let shape = [...spec.inputShape];
  const layers: PlannedLayer[] = [];
  spec.layers.forEach((l, i) => {
    const name = named[i];
    const where = `layers[${i}] (${l.kind} ${name})`;
    if (l.kind === 'Dense') {
      if (!isPosInt(l.units)) throw new KerasWriteError(`${where}: units must be a positive integer, got ${String(l.units)}`);
      const activation = l.activation ?? 'linear';
      if (!ACTIVATIONS.includes(activation)) throw new KerasWriteError(`${where}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(activation)}`);
      const inDim = shape[shape.length - 1];
      if (!(l.kernel instanceof Float32Array)) throw new KerasWriteError(`${where}: kernel must be a Float32Array of ${inDim}×${l.units} values ([in, units], row-major)`);
      if (l.kernel.length !== inDim * l.units) {
        throw new KerasWriteError(`${where}: kernel has ${l.kernel.length} values but the layer takes ${inDim} inputs and has ${l.units} units: it needs ${inDim}×${l.units} = ${inDim * l.units} ([in, units], row-major)`);
      }
      if (l.bias !== undefined && (!(l.bias instanceof Float32Array) || l.bias.length !== l.units)) {
        throw new KerasWriteError(`${where}: bias must be a Float32Array of ${l.units} values (one per unit), got ${l.bias instanceof Float32Array ? l.bias.length : typeof l.bias}`);
      }
      for (const [what, a] of [['kernel', l.kernel], ['bias', l.bias]] as const) {
        if (a && !a.every(Number.isFinite)) throw new KerasWriteError(`${where}: ${what} holds a NaN or infinite value`);
      }
      const weights = [{ name: `${name}/kernel:0`, shape: [inDim, l.units], data: l.kernel }];
      if (l.bias) weights.push({ name: `${name}/bias:0`, shape: [l.units], data: l.bias });
      layers.push({
        name,
        className: 'Dense',
        weights,
        config: {
          name,
          trainable: true,
          dtype: 'float32',
          units: l.units,
          activation,
          use_bias: l.bias !== undefined,
          kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
          bias_initializer: { class_name: 'Zeros', config: {} },
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      });
      shape = [...shape.slice(0, -1), l.units];
    } else if (l.kind === 'Dropout') {
      if (typeof l.rate !== 'number' || !(l.rate >= 0 && l.rate < 1)) throw new KerasWriteError(`${where}: rate must be a number in [0, 1), got ${String(l.rate)}`);
      layers.push({ name, className: 'Dropout', weights: [], config: { name, trainable: true, dtype: 'float32', rate: l.rate, noise_shape: null, seed: null } });
    } else {
      throw new KerasWriteError(`layers[${i}]: kind ${JSON.stringify((l as { kind?: unknown }).kind)} is not supported; use 'Dense' or 'Dropout'`);
    }
  });
  const modelConfig = {
    class_name: 'Sequential',
    config: {
      name: modelName,
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, ...spec.inputShape], dtype: 'float32', sparse: false, ragged: false, name: inputName } },
        ...layers.map((l) => ({ class_name: l.className, config: l.config })),
      ],
    },
  };
  return { modelConfig, layers };
}

/** Fixed-length ASCII strings (h5py's numpy 'S' type), one byte longer than the longest for the terminator. */
function fixedStrings(values: string[]): string {
  const n = Math.max(1, ...values.map((v) => Buffer.byteLength(v, 'utf8'))) + 1;
  return `A${n}`;
}

export interface KerasWriteOptions {
  /**
   * The modification time HDF5 records in each object header (default: now). Give a fixed one for a
   * byte-for-byte reproducible file.
   */
  time?: Date;
}

/**
 * Runs `fn` with Date.now() pinned to `time`: HDF5 (through h5wasm's Emscripten runtime) reads the
 * clock only through Date.now() while objects are created. `fn` is synchronous, so nothing else runs
 * meanwhile.
 */
function withClock<T>(time: Date | undefined, fn: () => T): T {
  if (!time) return fn();
  const ms = time.getTime();
  if (!Number.isFinite(ms)) throw new KerasWriteError(`time must be a valid date, got ${String(time)}`);
  const realNow = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

/** Writes `spec` to `file` (see the file comment). Throws KerasWriteError for a bad spec. */
export async function writeKerasModel(file: string, spec: KerasSequentialSpec, opts: KerasWriteOptions = {}): Promise<void> {
  const { modelConfig, layers } = planKerasModel(spec);
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  if (!fs.existsSync(dir)) throw new KerasWriteError(`cannot write ${abs}: the folder ${dir} does not exist`);
  const h5 = await loadH5();
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${Date.now()}.tmp`);
  let f: InstanceType<typeof h5.File> | undefined;
  try {
    withClock(opts.time, () => {
      f = new h5.File(tmp, 'w');
      const str = (g: { create_attribute: (n: string, d: string, s?: number[] | null, t?: string | null) => void }, name: string, value: string): void =>
        g.create_attribute(name, value, null, fixedStrings([value]));
      str(f, 'backend', 'tensorflow');
      str(f, 'keras_version', WRITTEN_KERAS_VERSION);
      str(f, 'model_config', JSON.stringify(modelConfig));
      const mw = f.create_group('model_weights');
      str(mw, 'backend', 'tensorflow');
      str(mw, 'keras_version', WRITTEN_KERAS_VERSION);
      const layerNames = layers.map((l) => l.name);
      mw.create_attribute('layer_names', layerNames, [layerNames.length], fixedStrings(layerNames));
      for (const l of layers) {
        const g = mw.create_group(l.name);
        const names = l.weights.map((w) => w.name);
        if (names.length) g.create_attribute('weight_names', names, [names.length], fixedStrings(names));
        else g.create_attribute('weight_names', new Float64Array(0), [0], '<f8'); // what Keras writes for no weights: an empty float array
        for (const w of l.weights) {
          // datasets at <layer>/<layer>/kernel:0: the weight name's path under the layer group
          const [sub, leaf] = w.name.split('/');
          const sg = (g.get(sub) as InstanceType<typeof h5.Group> | null) ?? g.create_group(sub);
          sg.create_dataset({ name: leaf, data: w.data, shape: w.shape, dtype: '<f4' });
        }
      }
      f.flush();
      f.close();
      f = undefined;
    });
    await fs.promises.rename(tmp, abs);
  } catch (e) {
    try {
      f?.close();
    } catch {
      /* already failing */
    }
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof KerasWriteError) throw e;
    throw new KerasWriteError(`writing ${abs} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
