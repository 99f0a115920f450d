/**
 * KServe and Seldon Core payload logs (docs/production.md, "From a serving system"): the CloudEvents
 * their loggers send for each inference request and each response, stored as JSON Lines (one event
 * per line, as a log sink writes them), turned into prediction events of the schema.
 *
 * - KServe (pkg/logger/worker.go): type `org.kubeflow.serving.inference.request` / `.response`; a
 *   request and its response share the event `id`; extension attributes `inferenceservicename`,
 *   `namespace`, `component`, `endpoint` (`default` or `canary`); data: the V1 protocol
 *   (`{"instances": […]}` / `{"predictions": […]}`) or the Open Inference Protocol V2
 *   (`{"inputs": [{name, shape, datatype, data}]}` / `{"outputs": […], "model_version": …}`).
 * - Seldon Core (executor/logger/worker.go): type `io.seldon.serving.inference.request` / `.response`;
 *   paired by the `requestid` attribute; `modelid`, `inferenceservicename`, `namespace`, `endpoint`
 *   (the predictor); data: a SeldonMessage (`{"data": {"names": […], "ndarray": […]}}` or a `tensor`),
 *   the TensorFlow protocol (as KServe V1) or V2.
 *
 * A line is a structured-mode event (attributes as members, the payload in `data` or `data_base64`),
 * or a binary-mode request as a sink dumped it (`{"headers": {"ce-id": …}, "body": …}`); attribute
 * names are read without case and without a `ce-` prefix.
 *
 * Each instance of a batched request is one event: request_id `<id>#<index>` (from 0) when the request
 * holds several instances, `<id>` when one. The features come from the request, the prediction from
 * the response, the timestamp from the request's `time`, latency_ms from the two times. The version:
 * the attribute mapped with `--map ATTRIBUTE=version`, else the V2 response's `model_version`.
 * Pairs wait in memory until both halves are read, at most `maxPending` of them.
 */
import { EventLogError, forEachLine, jsonRecord, toEvent, type EventField, type PredictionEvent, type ReadOptions } from './events';

type Source = 'kserve' | 'seldon';

const TYPES: Record<string, { source: Source; kind: 'request' | 'response' }> = {
  'org.kubeflow.serving.inference.request': { source: 'kserve', kind: 'request' },
  'org.kubeflow.serving.inference.response': { source: 'kserve', kind: 'response' },
  'io.seldon.serving.inference.request': { source: 'seldon', kind: 'request' },
  'io.seldon.serving.inference.response': { source: 'seldon', kind: 'response' },
};

/** One half of a pair: the event's attributes (lower case, no ce- prefix), its payload and line. */
interface Half {
  attrs: Record<string, unknown>;
  data: Record<string, unknown>;
  line: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A line's event: its attributes and payload; throws naming what is missing. */
function parseEvent(rec: Record<string, unknown>, file: string, n: number): { attrs: Record<string, unknown>; payload: unknown } {
  const attrs: Record<string, unknown> = {};
  let payload: unknown;
  const put = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) attrs[k.toLowerCase().replace(/^ce[-_]/, '')] = v;
  };
  if (isObject(rec.headers) && ('body' in rec || 'json' in rec)) {
    // a binary-mode request dumped by a sink: the attributes are the ce- headers
    put(rec.headers);
    payload = rec.json !== undefined && rec.json !== null ? rec.json : rec.body;
  } else {
    put(rec);
    payload = attrs.data;
    if (payload === undefined && typeof attrs.data_base64 === 'string') payload = Buffer.from(attrs.data_base64, 'base64').toString('utf8');
  }
  delete attrs.data;
  delete attrs.data_base64;
  if (typeof payload === 'string') {
    const text = payload;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new EventLogError(`the event's data is not JSON (${text.length > 40 ? `${text.slice(0, 37)}…` : text}); only JSON payloads (V1, V2, SeldonMessage) are read`, file, n);
    }
  }
  for (const a of ['type', 'id'] as const) {
    if (typeof attrs[a] !== 'string' || attrs[a] === '') throw new EventLogError(`not a CloudEvent: the attribute '${a}' is missing (attributes: ${Object.keys(attrs).slice(0, 12).join(', ')}); each line holds one event in structured mode`, file, n);
  }
  return { attrs, payload };
}

/** A tensor's values flattened (V2 `data` may be nested arrays). */
function flat(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [v];
  return v.some(Array.isArray) ? (v as unknown[]).flat(Infinity) : v;
}

/** Per instance rows of a V2 tensor: { rows: values per instance, width }. */
function tensorRows(t: Record<string, unknown>, what: string): { rows: unknown[][]; width: number } {
  const shape = Array.isArray(t.shape) ? (t.shape as unknown[]).map(Number) : undefined;
  const data = flat(t.data);
  if (!shape || !shape.length || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${what} has no shape [batch, …]`);
  const n = shape[0];
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  if (data.length !== n * width) throw new Error(`${what} holds ${data.length} values where its shape [${shape.join(', ')}] says ${n * width}`);
  const rows: unknown[][] = [];
  for (let i = 0; i < n; i++) rows.push(data.slice(i * width, (i + 1) * width));
  return { rows, width };
}

/** A row of a Seldon `ndarray` or `tensor`. */
function seldonRows(d: Record<string, unknown>, what: string): unknown[][] {
  if (Array.isArray(d.ndarray)) return (d.ndarray as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  if (isObject(d.tensor)) return tensorRows({ shape: d.tensor.shape, data: d.tensor.values }, `${what}'s tensor`).rows;
  throw new Error(`${what} holds neither data.ndarray nor data.tensor (jsonData, strData and binData are not read)`);
}

const value = (v: unknown, what: string): number | string => {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`${what} is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}, not a number or text`);
};

/** The instances of a request payload as feature objects. */
function requestInstances(data: unknown, names: readonly string[] | undefined): Record<string, number | string>[] {
  const named = (row: unknown[], prefix = 'f'): Record<string, number | string> => {
    if (names && names.length !== row.length) throw new Error(`an instance has ${row.length} values but --feature-names names ${names.length}`);
    const o: Record<string, number | string> = {};
    row.forEach((v, j) => (o[names ? names[j] : `${prefix}${j}`] = value(v, `value ${j} of an instance`)));
    return o;
  };
  if (!isObject(data)) throw new Error('the request has no JSON object as its data');
  if (Array.isArray(data.inputs)) {
    // Open Inference Protocol V2: tensors by name
    const tensors = (data.inputs as unknown[]).map((t, k) => {
      if (!isObject(t)) throw new Error(`inputs[${k}] is not a tensor object`);
      return { name: typeof t.name === 'string' ? t.name : `input${k}`, ...tensorRows(t, `the input '${String(t.name ?? k)}'`) };
    });
    if (!tensors.length) throw new Error('the request has no inputs');
    const n = tensors[0].rows.length;
    for (const t of tensors) if (t.rows.length !== n) throw new Error(`the inputs do not agree on the batch size (${tensors[0].name}: ${n}, ${t.name}: ${t.rows.length})`);
    const wide = tensors.filter((t) => t.width > 1);
    return Array.from({ length: n }, (_, i) => {
      const o: Record<string, number | string> = {};
      for (const t of tensors) {
        if (t.width === 1) o[t.name] = value(t.rows[i][0], `the input '${t.name}'`);
        else Object.assign(o, wide.length === 1 ? named(t.rows[i]) : named(t.rows[i], `${t.name}.`));
      }
      return o;
    });
  }
  if (Array.isArray(data.instances)) {
    // V1 (and TensorFlow Serving's row format): objects, arrays or single values
    return (data.instances as unknown[]).map((inst, i) => {
      if (Array.isArray(inst)) return named(inst.some(Array.isArray) ? (inst as unknown[]).flat(Infinity) : inst);
      if (isObject(inst)) {
        const o: Record<string, number | string> = {};
        for (const [k, v] of Object.entries(inst)) o[k] = value(v, `instances[${i}].${k}`);
        return o;
      }
      return named([inst]);
    });
  }
  if (isObject(data.inputs)) {
    // TensorFlow Serving's columnar format: name → a value per instance
    const cols = Object.entries(data.inputs).map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const);
    const n = cols[0]?.[1].length ?? 0;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map(([k, v]) => [k, value(v[i], `inputs.${k}[${i}]`)])));
  }
  if (isObject(data.data)) {
    // SeldonMessage
    const d = data.data;
    const ns = Array.isArray(d.names) && d.names.length ? (d.names as unknown[]).map(String) : undefined;
    return seldonRows(d, 'the request').map((row) => (ns && !names ? Object.fromEntries(row.map((v, j) => [ns[j] ?? `f${j}`, value(v, `value ${j}`)])) : named(row)));
  }
  throw new Error(`the request's data holds none of instances (V1), inputs (V2) or data (SeldonMessage); its keys: ${Object.keys(data).join(', ')}`);
}

/** One prediction from an instance's output values: [x] → x, [p0, p1] → p1, longer → the index of the largest. */
function predictionOf(v: unknown, what: string): number | string {
  if (!Array.isArray(v)) return value(v, what);
  const xs = v.some(Array.isArray) ? (v as unknown[]).flat(Infinity) : v;
  if (xs.length === 1) return value(xs[0], what);
  if (xs.length === 2) return value(xs[1], `${what}[1]`);
  let best = 0;
  xs.forEach((x, j) => {
    if (typeof x !== 'number') throw new Error(`${what} is a list of ${xs.length} values, not all numbers`);
    if (x > (xs[best] as number)) best = j;
  });
  return best;
}

/** The predictions of a response payload, one per instance, and the V2 model_version. */
function responsePredictions(data: unknown, outputName: string | undefined): { predictions: (number | string)[]; modelVersion?: string } {
  if (!isObject(data)) throw new Error('the response has no JSON object as its data');
  const mv = typeof data.model_version === 'string' && data.model_version !== '' ? data.model_version : undefined;
  if (Array.isArray(data.outputs)) {
    const outs = data.outputs as unknown[];
    const t = outputName ? outs.find((o) => isObject(o) && o.name === outputName) : outs[0];
    if (!isObject(t)) throw new Error(outputName ? `the response has no output named '${outputName}' (outputs: ${outs.map((o) => (isObject(o) ? String(o.name) : '?')).join(', ')})` : 'the response has no outputs');
    const { rows } = tensorRows(t, `the output '${String(t.name)}'`);
    return { predictions: rows.map((r, i) => predictionOf(r, `output '${String(t.name)}' of instance ${i}`)), ...(mv ? { modelVersion: mv } : {}) };
  }
  if (Array.isArray(data.predictions)) {
    return {
      predictions: (data.predictions as unknown[]).map((p, i) => {
        if (isObject(p)) {
          if (outputName && outputName in p) return predictionOf(p[outputName], `predictions[${i}].${outputName}`);
          throw new Error(`predictions[${i}] is an object (${Object.keys(p).join(', ')}): name the key to read with --map KEY=prediction`);
        }
        return predictionOf(p, `predictions[${i}]`);
      }),
      ...(mv ? { modelVersion: mv } : {}),
    };
  }
  if (isObject(data.data)) return { predictions: seldonRows(data.data, 'the response').map((r, i) => predictionOf(r, `the prediction of instance ${i}`)) };
  throw new Error(`the response's data holds none of predictions (V1), outputs (V2) or data (SeldonMessage); its keys: ${Object.keys(data).join(', ')}`);
}

/**
 * readEvents for a CloudEvents log. `line` is the line of the request (of the response when the
 * request is not in the log).
 */
export async function readCloudEvents(file: string, onEvent: (e: PredictionEvent, line: number) => void, opts: ReadOptions = {}): Promise<{ records: number }> {
  const maxPending = opts.maxPending ?? 100_000;
  // the attributes mapped to the schema (`--map endpoint=version`); a key mapped to prediction names the output
  const attrFor = new Map<EventField, string>();
  for (const [k, f] of Object.entries(opts.mapping ?? {})) attrFor.set(f, k.toLowerCase().replace(/^ce[-_]/, ''));
  const outputName = opts.mapping ? Object.entries(opts.mapping).find(([, f]) => f === 'prediction')?.[0] : undefined;
  const pending = new Map<string, { request?: Half; response?: Half }>();
  const seen = { request: 0, response: 0 };
  const oneSided = { request: false, response: false };
  let records = 0;
  let skipped = 0;
  let events = 0;

  const emit = (id: string, request: Half | undefined, response: Half | undefined) => {
    const line = (request ?? response)!.line;
    const fail = (m: string): never => {
      throw new EventLogError(`${request ? 'the request' : 'the response'} '${id}': ${m}`, file, line);
    };
    let instances: Record<string, number | string>[] | undefined;
    let preds: { predictions: (number | string)[]; modelVersion?: string } | undefined;
    try {
      if (request) instances = requestInstances(request.data, opts.featureNames);
    } catch (e) {
      fail((e as Error).message);
    }
    try {
      if (response) preds = responsePredictions(response.data, outputName);
    } catch (e) {
      throw new EventLogError(`the response '${id}': ${(e as Error).message}`, file, response!.line);
    }
    if (instances && preds && instances.length !== preds.predictions.length) {
      fail(`the request holds ${instances.length} instance${instances.length === 1 ? '' : 's'} and its response (line ${response!.line}) ${preds.predictions.length} prediction${preds.predictions.length === 1 ? '' : 's'}`);
    }
    const n = instances?.length ?? preds!.predictions.length;
    const attr = (f: EventField): unknown => {
      const a = attrFor.get(f);
      if (!a) return undefined;
      return request?.attrs[a] ?? response?.attrs[a];
    };
    const time = (h: Half | undefined) => (h ? Date.parse(String(h.attrs.time ?? '')) : NaN);
    const t0 = time(request);
    const t1 = time(response);
    const version = attr('version') ?? preds?.modelVersion;
    if (version === undefined || version === '') {
      fail(
        attrFor.has('version')
          ? `the attribute '${attrFor.get('version')}' (mapped to version) is missing`
          : `no version: name the attribute that tells the versions apart with --map ATTRIBUTE=version (e.g. --map endpoint=version for a canary rollout, --map inferenceservicename=version when each version is its own service); a V2 response's model_version is used when there is one`,
      );
    }
    for (let i = 0; i < n; i++) {
      const rec: Record<string, unknown> = {
        timestamp: attr('timestamp') ?? (request ?? response)!.attrs.time,
        version,
        request_id: attr('request_id') !== undefined ? `${String(attr('request_id'))}${n > 1 ? `#${i}` : ''}` : n > 1 ? `${id}#${i}` : id,
      };
      const model = attr('model');
      if (model !== undefined) rec.model = model;
      if (preds) rec.prediction = preds.predictions[i];
      if (instances) rec.features = instances[i];
      if (Number.isFinite(t0) && Number.isFinite(t1) && t1 >= t0) rec.latency_ms = t1 - t0;
      onEvent(toEvent(rec, file, line, opts), line);
      records++;
    }
  };

  await forEachLine(file, (text, n) => {
    const { attrs, payload } = parseEvent(jsonRecord(text, file, n), file, n);
    events++;
    const t = TYPES[String(attrs.type)];
    if (!t || (opts.source && t.source !== opts.source)) {
      skipped++;
      return;
    }
    if (typeof attrs.time !== 'string' || !Number.isFinite(Date.parse(attrs.time))) {
      throw new EventLogError(`the ${t.kind} '${String(attrs.id)}' has no 'time' attribute (RFC 3339) to take the timestamp from`, file, n);
    }
    // KServe pairs by the event id; Seldon by its requestid attribute (its event ids differ)
    const id = String(t.source === 'seldon' && attrs.requestid !== undefined && attrs.requestid !== '' ? attrs.requestid : attrs.id);
    const half: Half = { attrs, data: payload as Record<string, unknown>, line: n };
    const other = t.kind === 'request' ? 'response' : 'request';
    seen[t.kind]++;
    if (oneSided[other]) {
      throw new EventLogError(`a ${t.kind} appears after ${maxPending.toLocaleString('en-US')} ${other}s with none: the log was read as holding only ${other}s; give a log of both (KServe logger mode: all), or raise --max-pending`, file, n);
    }
    if (oneSided[t.kind]) {
      emit(id, t.kind === 'request' ? half : undefined, t.kind === 'response' ? half : undefined);
      return;
    }
    const p = pending.get(id);
    if (p && !p[t.kind]) {
      pending.delete(id);
      const both = { ...p, [t.kind]: half };
      emit(id, both.request, both.response);
      return;
    }
    if (p) throw new EventLogError(`a second ${t.kind} with the id '${id}' (the first at line ${p[t.kind]!.line}) before its ${other}: each request needs its own id`, file, n);
    pending.set(id, { [t.kind]: half });
    if (pending.size > maxPending) {
      if (!seen[other]) {
        // a log of one kind only (e.g. KServe's logger in mode "request"): each event stands alone
        oneSided[t.kind] = true;
        for (const [pid, ph] of pending) emit(pid, ph.request, ph.response);
        pending.clear();
        return;
      }
      const [oldId, old] = pending.entries().next().value as [string, { request?: Half; response?: Half }];
      const oldHalf = (old.request ?? old.response)!;
      throw new EventLogError(
        `${pending.size.toLocaleString('en-US')} requests and responses wait for their other half (the oldest: the ${old.request ? 'request' : 'response'} '${oldId}' at line ${oldHalf.line}); a request and its response are paired by ${t.source === 'seldon' ? 'requestid' : 'id'} and must be at most ${maxPending.toLocaleString('en-US')} events apart: check that the logger sends both (mode: all), or raise --max-pending`,
        file,
        n,
      );
    }
  });
  // what is left stands alone: a request without its response (no prediction), a response without its request (no features)
  for (const [id, p] of pending) emit(id, p.request, p.response);
  if (!events) throw new EventLogError('the log holds no events', file);
  if (!seen.request && !seen.response) {
    throw new EventLogError(
      `none of its ${events} events is an inference request or response of ${opts.source === 'seldon' ? 'Seldon (io.seldon.serving.inference.*)' : opts.source === 'kserve' ? 'KServe (org.kubeflow.serving.inference.*)' : 'KServe or Seldon'}${skipped ? ` (${skipped} of other types)` : ''}`,
      file,
    );
  }
  return { records };
}
