/**
 * Turns the `model_config` of a Keras file into one TensorFlow.js layers can rebuild, or says clearly
 * why it cannot:
 * - Keras 2 / tf.keras 2.x configs pass through (initializers replaced by Zeros: the weights are set
 *   from the file right after, and tfjs' Orthogonal initializer is slow and fails on some shapes);
 * - stateful RNNs are made stateless: an evaluation feeds independent rows, so every batch starts from
 *   zero states (a stateful layer whose states were just reset computes the same); their fixed batch size
 *   stays (the host pads the last batch). tfjs also cannot run a stateful RNN given its initial state.
 * - Keras 3 (`.keras`) configs are rewritten into the Keras 2 shape (module/registered_name dropped,
 *   DTypePolicy objects → dtype names, `batch_shape` → `batch_input_shape`, `__keras_tensor__`
 *   inbound nodes → `[[layer, node, tensor, {}]]`);
 * - Keras 1 configs, weights-only files, layer classes tfjs does not have and options tfjs does not
 *   implement (GRU reset_after=true, …) give a KerasEvalError naming the layer (class and name).
 * Pure functions, no tfjs import: `supported` is the list of class names tfjs registers.
 */

export class KerasEvalError extends Error {
  override name = 'KerasEvalError';
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keras 1 layer classes (renamed in Keras 2) → their Keras 2 name, for the error message. */
const KERAS1_CLASSES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  AtrousConvolution2D: 'Conv2D(dilation_rate)',
  Deconvolution2D: 'Conv2DTranspose',
  MaxoutDense: '(removed)',
  Highway: '(removed)',
  Merge: 'Add/Concatenate/…',
  TimeDistributedDense: 'TimeDistributed(Dense)',
};

/** Keras 2 names of classes whose tfjs name differs; the Keras name is kept in the config tfjs reads. */
const CLASS_ALIASES: Record<string, string> = { Model: 'Model', Functional: 'Functional' };

/** Options tfjs silently ignores or rejects, checked per class: [option, value that is fine, why]. */
function unsupportedOption(className: string, cfg: Json): string | undefined {
  if (className === 'GRU' && cfg.reset_after === true) {
    return 'reset_after=true (the TensorFlow 2 default; TensorFlow.js implements only reset_after=false)';
  }
  if ((className === 'LSTM' || className === 'GRU' || className === 'SimpleRNN') && cfg.time_major === true) return 'time_major=true';
  if (className === 'Conv1D' || className === 'Conv2D' || className === 'Conv3D') {
    const groups = cfg.groups;
    if (typeof groups === 'number' && groups !== 1) return `groups=${groups} (grouped convolution)`;
  }
  if (className === 'BatchNormalization' && cfg.renorm === true) return 'renorm=true';
  if (className === 'Dense' && cfg.lora_rank !== undefined && cfg.lora_rank !== null) return `lora_rank=${String(cfg.lora_rank)}`;
  return undefined;
}

/** Every layer config in a model config, nested models and wrapped layers (Bidirectional, TimeDistributed) included. */
function* walkLayers(layers: unknown[], path = ''): Generator<{ className: string; name: string; config: Json }> {
  for (const l of layers) {
    if (!isObj(l)) continue;
    const className = String(l.class_name ?? '?');
    const config = isObj(l.config) ? l.config : {};
    const name = String(config.name ?? l.name ?? '?');
    yield { className, name: path + name, config };
    if (Array.isArray(config.layers)) yield* walkLayers(config.layers, `${path}${name}/`);
    if (isObj(config.layer)) yield* walkLayers([config.layer], `${path}${name}/`);
    if (isObj(config.cell)) yield* walkLayers([config.cell], `${path}${name}/`);
    if (isObj(config.backward_layer)) yield* walkLayers([config.backward_layer], `${path}${name}/`);
  }
}

/** Initializers → Zeros (the weights are set right after); stateful → false (see the file comment). */
function forTfjs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(forTfjs);
  if (!isObj(v)) return v;
  const o: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (/_initializer$/.test(k) && x !== null && x !== undefined) o[k] = { class_name: 'Zeros', config: {} };
    else if (k === 'stateful' && x === true) o[k] = false;
    else o[k] = forTfjs(x);
  }
  return o;
}

/** Keras 3 → Keras 2 shape (see the file comment). */
function fromKeras3(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromKeras3);
  if (!isObj(v)) return v;
  // a serialized object {module, class_name, config, registered_name, build_config, …}
  if (v.class_name === 'DTypePolicy' || v.class_name === 'Policy' || v.class_name === 'FloatDTypePolicy') {
    const c = isObj(v.config) ? v.config : {};
    return typeof c.name === 'string' ? c.name : 'float32';
  }
  if (v.class_name === '__keras_tensor__' && isObj(v.config) && Array.isArray(v.config.keras_history)) {
    const [layer, node, tensor] = v.config.keras_history as [string, number, number];
    return [layer, node, tensor];
  }
  const o: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'module' || k === 'registered_name' || k === 'build_config' || k === 'compile_config' || k === 'shared_object_id') continue;
    if (k === 'batch_shape') {
      o.batch_input_shape = fromKeras3(x);
      continue;
    }
    if (k === 'inbound_nodes' && Array.isArray(x)) {
      o.inbound_nodes = x.map((node) => {
        if (!isObj(node)) return fromKeras3(node);
        // {args: [tensor | [tensors]], kwargs}: Keras 2 node = list of [layer, node, tensor, kwargs]
        const args = Array.isArray(node.args) ? node.args : [];
        const first = args.length === 1 && Array.isArray(args[0]) && !(args[0] as unknown[]).every((a) => typeof a !== 'object') ? args[0] : args;
        const refs: unknown[] = [];
        for (const a of first as unknown[]) {
          const r = fromKeras3(a);
          if (Array.isArray(r) && typeof r[0] === 'string') refs.push([r[0], r[1], r[2], {}]);
        }
        return refs;
      });
      continue;
    }
    o[k] = fromKeras3(x);
  }
  return o;
}

export interface NormalizeInput {
  /** the file's base name, for messages */
  name: string;
  kerasVersion?: string;
  weightsOnly: boolean;
  format: string;
  modelConfig?: Json;
}

/**
 * The model config tfjs' `models.modelFromJSON` is given. Throws KerasEvalError for what cannot be
 * evaluated, saying what is wrong and what to do.
 */
export function normalizeModelConfig(m: NormalizeInput, supported: readonly string[]): Json {
  if (m.weightsOnly || !m.modelConfig) {
    throw new KerasEvalError(
      `${m.name} holds only weights: the architecture is not stored in it, so it cannot be evaluated. ` +
        'Save the full model (model.save("model.h5") or model.save("model.keras")) and evaluate that file.',
    );
  }
  const keras3 = m.format === 'keras-v3' || /^3\./.test(m.kerasVersion ?? '');
  if (/^1\./.test(m.kerasVersion ?? '')) {
    throw new KerasEvalError(`${m.name} was saved by Keras ${m.kerasVersion}; Keras 1 models cannot be evaluated. Load it in Keras 2 and save it again.`);
  }
  let cfg: Json = keras3 ? (fromKeras3(m.modelConfig) as Json) : m.modelConfig;
  const modelClass = String(cfg.class_name ?? '');
  const inner = isObj(cfg.config) ? cfg.config : {};
  const layers: unknown[] = Array.isArray(inner.layers) ? inner.layers : Array.isArray(cfg.config) ? (cfg.config as unknown[]) : [];
  if (!['Sequential', 'Model', 'Functional'].includes(modelClass)) {
    throw new KerasEvalError(`${m.name}: the model class ${modelClass || '(none)'} cannot be evaluated; supported: Sequential and Functional models (Model).`);
  }
  if (Array.isArray(cfg.config)) {
    // Keras 2.0–2.1 Sequential: config is the bare list of layers
    cfg = { ...cfg, config: { name: 'sequential', layers } };
  }
  const known = new Set([...supported, ...Object.keys(CLASS_ALIASES)]);
  for (const l of walkLayers(layers)) {
    if (KERAS1_CLASSES[l.className] !== undefined || (l.className === 'Dense' && 'output_dim' in l.config)) {
      throw new KerasEvalError(
        `${m.name}: layer ${l.name} (${l.className}) uses the Keras 1 configuration, which cannot be evaluated. Load the model in Keras 2 and save it again.`,
      );
    }
    if (!known.has(l.className)) {
      throw new KerasEvalError(
        `${m.name}: layer ${l.name} (${l.className}) is not supported by TensorFlow.js, so the model cannot be evaluated. ` +
          `Supported layers: ${supportedLayerList(supported)}. Export the model to ONNX (tf2onnx) to evaluate it.`,
      );
    }
    const why = unsupportedOption(l.className, l.config);
    if (why) {
      throw new KerasEvalError(
        `${m.name}: layer ${l.name} (${l.className}) uses ${why}, which TensorFlow.js cannot run, so the model cannot be evaluated. ` +
          'Export the model to ONNX (tf2onnx) to evaluate it.',
      );
    }
  }
  return forTfjs(cfg) as Json;
}

/** The layer classes (not initializers, optimizers, constraints, activations…) among tfjs' registered names. */
export function supportedLayerList(supported: readonly string[]): string {
  const notLayers = new Set([
    'Adadelta', 'Adagrad', 'Adam', 'Adamax', 'Momentum', 'RMSProp', 'SGD', 'Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal',
    'TruncatedNormal', 'Identity', 'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform',
    'Orthogonal', 'MaxNorm', 'UnitNorm', 'NonNeg', 'MinMaxNorm', 'L1L2', 'Model', 'Functional', 'Sequential',
  ]);
  return supported.filter((n) => !notLayers.has(n) && /^[A-Z]/.test(n) && !/Cell$/.test(n) && n !== 'StackedRNNCells').join(', ');
}
