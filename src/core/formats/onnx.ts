/**
 * ONNX reader: a summary of a .onnx file (graphs, nodes, inputs/outputs, weights and where their bytes
 * are) and lazy reads of single tensors.
 *
 * The file is walked with our own protobuf wire-format walker (./onnxWire.ts) over absolute file
 * positions. Tensor bytes (raw_data, packed float_data, …) are never read while summarizing: their
 * offset and length are recorded and the walker moves past them. Small files (≤ 4 MiB) are read whole
 * and walked in memory by the same code; larger ones are read through a pread window (4 KiB after a
 * jump, doubling up to 1 MiB while reading on), so a 1 GB model is summarized with a few hundred KB of
 * reads. File reads are synchronous (they are short); the functions are async for the callers' sake.
 *
 * Field numbers are those of onnx.proto (IR version 10/11; see onnx-proto's generated code). Unknown
 * fields are skipped. Repeated scalars are accepted packed and unpacked.
 *
 * Locations: 'raw' = the raw_data bytes; 'field' = the byte span from the first entry (its tag
 * included) to the end of the last entry of that repeated field in the TensorProto, packed or not —
 * readOnnxTensor decodes the entries of that field in the span; 'external' = the data file (resolved,
 * checked to lie inside the model's folder, also through symlinks), offset and length (absent length
 * = the rest of the file). A missing external file is only a warning in the summary; reading the
 * tensor then throws EXTERNAL_DATA_MISSING.
 *
 * Errors (ModelFormatError): NOT_FOUND, EMPTY, NOT_A_MODEL (not protobuf/ONNX, LFS pointer, PNG,
 * HDF5, ZIP, no graph), TRUNCATED (a field runs past the end of the file, or the file ends before the
 * graph), CORRUPT (a field runs past its message, invalid tag), UNSUPPORTED (subgraphs nested deeper
 * than MAX_GRAPH_DEPTH, types deeper than 32), EXTERNAL_DATA_ESCAPES, EXTERNAL_DATA_MISSING.
 *
 * Definitions used for counts:
 * - `nodes`: every NodeProto of the main graph and of every subgraph (attributes `g` and `graphs`
 *   of any node, recursively: If/Loop/Scan bodies), in pre-order (a node comes before the nodes of
 *   its subgraphs). This is what `len(g.node)` summed over all graphs gives in python-onnx.
 * - `tensors`: the model's weights, in file order:
 *   - every `initializer` of every graph (origin 'initializer', graphPath of its graph);
 *   - every `sparse_initializer` (origin 'sparse-initializer', shape = dense shape, location = the
 *     values tensor; readOnnxTensor returns the dense values);
 *   - every `Constant` node (domain '' or 'ai.onnx') of every graph, one tensor per node (origin
 *     'constant', name = the node's first output, owner = the node name if it has one). A `value` attribute gives a
 *     tensor with its real location; `sparse_value` is handled like a sparse initializer;
 *     `value_float(s)`, `value_int(s)` and `value_string(s)` give a float32 / int64 / string tensor
 *     (scalar or 1-D) whose location is { kind: 'none' }, because its values sit inside the
 *     attribute rather than in a TensorProto; readOnnxTensor still reads them (it walks the file
 *     again to find the attribute).
 *   So the tensor count is (initializers + sparse initializers + Constant nodes) over all graphs, and
 *   scalar Constants count as weights with paramCount 1. (silero_vad_v5: 341 = its Constant nodes,
 *   as python-onnx counts them; 1 in the main graph, 340 inside If branches.)
 * - `parameterCount`: the sum of paramCount over `tensors`, except Constant values of rank 0 (scalars
 *   such as a LayerNorm epsilon or a Pow exponent are not weights). This gives the parameter counts
 *   people know: hello_deepa has 78,049 (= its initializers, as in fixtures/README.md, and PyTorch's
 *   count) although it also has 4 scalar Constants; silero_vad_v5 has 545,580 (its 341 Constant
 *   tensors less 17 scalars).
 * - `graphs[i].initializerCount`: dense `initializer` entries of that graph only (`len(g.initializer)`).
 * - `inputs`: the main graph's inputs minus those that are initializers (IR ≥ 4 semantics; for
 *   older files, where every initializer is also listed as an input, this gives the real inputs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, type ModelFormatErrorCode } from './errors';
import { isHdf5, isLfsPointer, isPng, isZip } from './sniff';
import { byteSizeOf, dtypeByName, dtypeOf, type OnnxDType } from './onnxTypes';
import {
  FdSource,
  MemorySource,
  WireError,
  WireReader,
  WT_I32,
  WT_LEN,
  WT_VARINT,
  preadExact,
  type ByteSource,
} from './onnxWire';
import type {
  AttrValue,
  Dim,
  GraphInfo,
  ModelSummary,
  NodeInfo,
  OpsetImport,
  TensorData,
  TensorInfo,
  TensorLocation,
  TensorOrigin,
  ValueInfo,
} from './types';

/** Deepest subgraph nesting accepted (the main graph is depth 0). */
export const MAX_GRAPH_DEPTH = 64;
/** Deepest TypeProto nesting accepted (seq(seq(map(…)))). */
const MAX_TYPE_DEPTH = 32;
/** Files up to this size are read whole; larger ones through a pread window. */
const WHOLE_FILE_LIMIT = 4 << 20;
/** Attribute lists (ints, floats, strings) keep at most this many elements in the summary. */
const MAX_ATTR_LIST = 1 << 16;
/** Strings (names, doc strings) are cut at this many bytes. */
const MAX_STRING = 1 << 20;
const MAX_WARNINGS = 100;

type FieldName = Extract<TensorLocation, { kind: 'field' }>['field'];
const DATA_FIELDS: Record<number, FieldName> = {
  4: 'float_data',
  5: 'int32_data',
  6: 'string_data',
  7: 'int64_data',
  10: 'double_data',
  11: 'uint64_data',
};
const FIELD_NUMBERS: Record<FieldName, number> = {
  float_data: 4,
  int32_data: 5,
  string_data: 6,
  int64_data: 7,
  double_data: 10,
  uint64_data: 11,
};

/** The TensorProto field that holds values of a data type when raw_data is not used. */
function fieldFor(code: number): number {
  switch (code) {
    case 1: // float
    case 14: // complex64
      return 4;
    case 8:
      return 6;
    case 7:
      return 7;
    case 11: // double
    case 15: // complex128
      return 10;
    case 12: // uint32
    case 13: // uint64
      return 11;
    default:
      return 5;
  }
}

/** Set a key on a plain object without ever touching its prototype (names come from the file). */
function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Raw records of the walk

interface Span {
  offset: number;
  end: number;
}

interface RawTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw?: { offset: number; length: number };
  fields: Map<number, Span>;
  external: Map<string, string>;
  dataLocation: number;
  segment: boolean;
}

interface RawSparse {
  values?: RawTensor;
  indices?: RawTensor;
  dims: number[];
}

/** What a second walk collects so readOnnxTensor can read tensors that are not plain bytes. */
type Resolved =
  | { kind: 'sparse'; values: TensorInfo; indices: TensorInfo | undefined; dims: number[] }
  | { kind: 'attr'; start: number; end: number };

const resolvedKey = (graphPath: string, name: string): string => `${graphPath}\u0000${name}`;

interface ModelHead {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  opsets: OpsetImport[];
  metadata: Record<string, string>;
  graphSeen: boolean;
  /** highest top-level field number seen (fields are written in number order) */
  maxField: number;
}

/** Known top-level ModelProto fields and their wire types. */
const MODEL_FIELDS: Record<number, number> = {
  1: WT_VARINT, // ir_version
  2: WT_LEN, // producer_name
  3: WT_LEN, // producer_version
  4: WT_LEN, // domain
  5: WT_VARINT, // model_version
  6: WT_LEN, // doc_string
  7: WT_LEN, // graph
  8: WT_LEN, // opset_import
  14: WT_LEN, // metadata_props
  20: WT_LEN, // training_info
  25: WT_LEN, // functions
  26: WT_LEN, // configuration
};

// ---------------------------------------------------------------------------------------------
// External data

function escapes(rel: string): boolean {
  return rel === '' || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel);
}

/**
 * Check that `target` (absolute) lies inside the folder of `modelFile`, also after following
 * symbolic links when it exists. Returns whether it exists.
 */
function checkInsideModelFolder(modelFile: string, target: string, tensorName: string, location: string): boolean {
  const dir = path.dirname(modelFile);
  const fail = (): never => {
    throw new ModelFormatError(
      'EXTERNAL_DATA_ESCAPES',
      modelFile,
      `${path.basename(modelFile)}: tensor "${tensorName}" keeps its data in "${location}", which is outside the model's folder. ` +
        'Model Versions only reads external data that lies next to the model (otherwise a model file could make it read any file). ' +
        'Move the data file into the model folder and save the model with a relative location.',
    );
  };
  if (escapes(path.relative(dir, target))) fail();
  let exists = false;
  try {
    fs.statSync(target);
    exists = true;
  } catch {
    exists = false;
  }
  if (exists) {
    let realDir: string;
    let real: string;
    try {
      realDir = fs.realpathSync(dir);
      real = fs.realpathSync(target);
    } catch {
      return false;
    }
    if (escapes(path.relative(realDir, real))) fail();
  }
  return exists;
}

/** Resolve an external-data `location` against the model's folder; throws EXTERNAL_DATA_ESCAPES. */
function resolveExternal(modelFile: string, location: string, tensorName: string): { file: string; exists: boolean } {
  const bad =
    location === '' ||
    location.includes('\u0000') ||
    path.isAbsolute(location) ||
    path.win32.isAbsolute(location) ||
    /^[a-zA-Z]:/.test(location);
  const file = path.resolve(path.dirname(modelFile), location);
  if (bad) {
    throw new ModelFormatError(
      'EXTERNAL_DATA_ESCAPES',
      modelFile,
      `${path.basename(modelFile)}: tensor "${tensorName}" keeps its data at the absolute or invalid location "${location}". ` +
        'Model Versions only reads external data that lies next to the model; save the model with a relative location inside its folder.',
    );
  }
  return { file, exists: checkInsideModelFolder(modelFile, file, tensorName, location) };
}

// ---------------------------------------------------------------------------------------------
// The walk

class Walk {
  readonly nodes: NodeInfo[] = [];
  readonly graphs: GraphInfo[] = [];
  readonly tensors: TensorInfo[] = [];
  readonly hist: Record<string, number> = {};
  readonly warnings: string[] = [];
  private warningCount = 0;
  private readonly usedPaths = new Set<string>();
  private readonly extSizes = new Map<string, number | undefined>();
  /** true once the bytes have shown they are ONNX (a sane ir_version or an opset import). */
  evidence = false;
  readonly resolved = new Map<string, Resolved>();

  constructor(
    private readonly r: WireReader,
    private readonly file: string,
    private readonly collect: boolean,
  ) {}

  warn(msg: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(msg);
    else if (this.warnings.length === MAX_WARNINGS) this.warnings.push('(more warnings left out)');
  }

  private str(limit: number): string {
    return this.r.string(limit, MAX_STRING, (n) => this.warn(`a string of ${n} bytes at byte ${this.r.pos - n} was cut to ${MAX_STRING} bytes`));
  }

  /** Read a length prefix and return the end of the embedded message. */
  private sub(limit: number): number {
    const n = this.r.len(limit);
    return this.r.pos + n;
  }

  // ModelProto -------------------------------------------------------------------------------
  model(): ModelHead {
    const r = this.r;
    const end = r.size;
    const head: ModelHead = { opsets: [], metadata: {}, graphSeen: false, maxField: 0 };
    while (r.pos < end) {
      const at = r.pos;
      const [f, wt] = r.tag(end);
      const want = MODEL_FIELDS[f];
      if (want !== undefined && want !== wt) {
        throw new WireError('corrupt', `ModelProto field ${f} has wire type ${wt}, expected ${want}`, at);
      }
      head.maxField = Math.max(head.maxField, f);
      switch (f) {
        case 1:
          head.irVersion = r.varint(end);
          if (head.irVersion >= 1 && head.irVersion <= 1000) this.evidence = true;
          break;
        case 2:
          head.producerName = this.str(end);
          break;
        case 3:
          head.producerVersion = this.str(end);
          break;
        case 4:
          head.domain = this.str(end);
          break;
        case 5:
          head.modelVersion = r.varint(end);
          break;
        case 6:
          head.docString = this.str(end);
          break;
        case 7: {
          const e = this.sub(end);
          if (head.graphSeen) {
            this.warn('the model has more than one graph field; only the first is read');
            r.pos = e;
          } else {
            head.graphSeen = true;
            this.graph(e, '', 0);
          }
          break;
        }
        case 8: {
          const e = this.sub(end);
          head.opsets.push(this.opset(e));
          this.evidence = true;
          break;
        }
        case 14: {
          const e = this.sub(end);
          const [k, v] = this.entry(e);
          setKey(head.metadata, k, v);
          break;
        }
        default:
          r.skip(wt, end);
      }
    }
    return head;
  }

  private opset(end: number): OpsetImport {
    const r = this.r;
    const o: OpsetImport = { domain: '', version: 0 };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) o.domain = this.str(end);
      else if (f === 2 && wt === WT_VARINT) o.version = r.varint(end);
      else r.skip(wt, end);
    }
    return o;
  }

  /** StringStringEntryProto → [key, value] */
  private entry(end: number): [string, string] {
    const r = this.r;
    let k = '';
    let v = '';
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) k = this.str(end);
      else if (f === 2 && wt === WT_LEN) v = this.str(end);
      else r.skip(wt, end);
    }
    return [k, v];
  }

  // GraphProto -------------------------------------------------------------------------------
  private graph(end: number, gpath: string, depth: number): void {
    const r = this.r;
    if (depth > MAX_GRAPH_DEPTH) {
      throw new WireError('depth', `subgraphs are nested more than ${MAX_GRAPH_DEPTH} levels deep (at "${gpath.slice(0, 200)}…")`, r.pos);
    }
    const g: GraphInfo = { path: gpath, name: '', nodeCount: 0, initializerCount: 0, inputs: [], outputs: [] };
    this.graphs.push(g);
    const inputs: ValueInfo[] = [];
    const initNames = new Set<string>();
    let index = 0;
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (wt !== WT_LEN) {
        r.skip(wt, end);
        continue;
      }
      switch (f) {
        case 1:
          this.node(this.sub(end), g, gpath, index++, depth);
          break;
        case 2:
          g.name = this.str(end);
          break;
        case 5: {
          const t = this.tensor(this.sub(end));
          initNames.add(t.name);
          g.initializerCount++;
          this.tensors.push(this.tensorInfo(t, 'initializer', gpath));
          break;
        }
        case 15: {
          const s = this.sparse(this.sub(end));
          const info = this.sparseInfo(s, 'sparse-initializer', gpath);
          initNames.add(info.name);
          this.tensors.push(info);
          break;
        }
        case 11:
          inputs.push(this.valueInfo(this.sub(end)));
          break;
        case 12:
          g.outputs.push(this.valueInfo(this.sub(end)));
          break;
        default:
          r.skip(wt, end);
      }
    }
    g.inputs = inputs.filter((v) => !initNames.has(v.name));
  }

  // NodeProto --------------------------------------------------------------------------------
  private node(end: number, g: GraphInfo, gpath: string, index: number, depth: number): void {
    const r = this.r;
    const node: NodeInfo = { name: '', opType: '', domain: '', graphPath: gpath, inputs: [], outputs: [], attributes: {} };
    const attrs: Span[] = [];
    // Pass 1: everything but the attributes, so that names are known before subgraphs are walked.
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (wt !== WT_LEN) {
        r.skip(wt, end);
        continue;
      }
      switch (f) {
        case 1:
          node.inputs.push(this.str(end));
          break;
        case 2:
          node.outputs.push(this.str(end));
          break;
        case 3:
          node.name = this.str(end);
          break;
        case 4:
          node.opType = this.str(end);
          break;
        case 7:
          node.domain = this.str(end);
          break;
        case 5: {
          const n = r.len(end);
          attrs.push({ offset: r.pos, end: r.pos + n });
          r.pos += n;
          break;
        }
        default:
          r.skip(wt, end);
      }
    }
    this.nodes.push(node);
    g.nodeCount++;
    const key = node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}:${node.opType}`;
    setKey(this.hist, key, (Object.prototype.hasOwnProperty.call(this.hist, key) ? this.hist[key] : 0) + 1);
    // Pass 2: the attributes (and the subgraphs inside them).
    for (const a of attrs) {
      r.pos = a.offset;
      this.attribute(a.end, node, gpath, index, depth);
    }
    r.pos = end;
  }

  private subgraphPath(node: NodeInfo, gpath: string, index: number, attr: string): string {
    const base = `${gpath ? gpath + '/' : ''}${node.name || `${node.opType}#${index}`}/${attr}`;
    let p = base;
    for (let k = 2; this.usedPaths.has(p); k++) p = `${base}~${k}`;
    this.usedPaths.add(p);
    return p;
  }

  // AttributeProto ---------------------------------------------------------------------------
  private attribute(end: number, node: NodeInfo, gpath: string, index: number, depth: number): void {
    const r = this.r;
    const start = r.pos;
    let name = '';
    let type = -1;
    let f32: number | undefined;
    let int: number | undefined;
    let s: string | undefined;
    let t: RawTensor | undefined;
    let sp: RawSparse | undefined;
    let tp: string | undefined;
    let g: Span | undefined;
    let hasTensors = false;
    let hasFloats = false;
    let hasInts = false;
    let hasStrings = false;
    let cut = false;
    const floats: number[] = [];
    const ints: number[] = [];
    const strings: string[] = [];
    const graphs: Span[] = [];
    const push = <T>(list: T[], v: T): void => {
      if (list.length < MAX_ATTR_LIST) list.push(v);
      else cut = true;
    };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) name = this.str(end);
      else if (f === 2 && wt === WT_I32) f32 = r.float32(end);
      else if (f === 3 && wt === WT_VARINT) int = r.varint(end);
      else if (f === 4 && wt === WT_LEN) s = this.str(end);
      else if (f === 5 && wt === WT_LEN) t = this.tensor(this.sub(end));
      else if (f === 6 && wt === WT_LEN) {
        const e = this.sub(end);
        g = { offset: r.pos, end: e };
        r.pos = e;
      } else if (f === 7 && wt === WT_I32) {
        hasFloats = true;
        push(floats, r.float32(end));
      } else if (f === 7 && wt === WT_LEN) {
        hasFloats = true;
        const e = this.sub(end);
        while (r.pos < e) push(floats, r.float32(e));
      } else if (f === 8 && wt === WT_VARINT) {
        hasInts = true;
        push(ints, r.varint(end));
      } else if (f === 8 && wt === WT_LEN) {
        hasInts = true;
        const e = this.sub(end);
        while (r.pos < e) push(ints, r.varint(e));
      } else if (f === 9 && wt === WT_LEN) {
        hasStrings = true;
        push(strings, this.str(end));
      } else if (f === 10 && wt === WT_LEN) {
        hasTensors = true;
        r.skip(wt, end);
      } else if (f === 11 && wt === WT_LEN) {
        const e = this.sub(end);
        graphs.push({ offset: r.pos, end: e });
        r.pos = e;
      } else if (f === 14 && wt === WT_LEN) {
        tp = this.typeProto(this.sub(end), 0).dtype;
      } else if (f === 20 && wt === WT_VARINT) type = r.varint(end);
      else if (f === 22 && wt === WT_LEN) sp = this.sparse(this.sub(end));
      else r.skip(wt, end);
    }
    if (cut) this.warn(`attribute "${name}" of node "${node.name || node.opType}" has more than ${MAX_ATTR_LIST} values; the summary keeps the first ${MAX_ATTR_LIST}`);
    if (type < 0) {
      // Old files may leave out `type`: infer it from the field that is set.
      type = g ? 5 : graphs.length ? 10 : t ? 4 : sp ? 11 : s !== undefined ? 3 : f32 !== undefined ? 1 : int !== undefined ? 2
        : hasFloats ? 6 : hasInts ? 7 : hasStrings ? 8 : tp !== undefined ? 13 : hasTensors ? 9 : 0;
    }
    let value: AttrValue = null;
    switch (type) {
      case 1:
        value = f32 ?? 0;
        break;
      case 2:
        value = int ?? 0;
        break;
      case 3:
        value = s ?? '';
        break;
      case 4:
        value = t ? { tensor: { dtype: dtypeOf(t.dataType).name, shape: t.dims } } : null;
        break;
      case 5:
        if (g) {
          const p = this.subgraphPath(node, gpath, index, name);
          value = { graph: p };
          r.pos = g.offset;
          this.graph(g.end, p, depth + 1);
        }
        break;
      case 6:
        value = floats;
        break;
      case 7:
        value = ints;
        break;
      case 8:
        value = strings;
        break;
      case 10: {
        const paths: string[] = [];
        graphs.forEach((sg, i) => {
          const p = this.subgraphPath(node, gpath, index, `${name}[${i}]`);
          paths.push(p);
          r.pos = sg.offset;
          this.graph(sg.end, p, depth + 1);
        });
        value = { graphs: paths };
        break;
      }
      case 11:
        value = sp?.values ? { tensor: { dtype: dtypeOf(sp.values.dataType).name, shape: sp.dims } } : null;
        break;
      case 13:
        value = tp ?? null;
        break;
      default:
        value = null;
    }
    setKey(node.attributes, name, value);
    r.pos = end;

    if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      this.constant(node, gpath, name, { start, end, t, sp, floats, ints, strings, f32, int, s });
    }
  }

  private constant(
    node: NodeInfo,
    gpath: string,
    attr: string,
    a: {
      start: number;
      end: number;
      t?: RawTensor;
      sp?: RawSparse;
      floats: number[];
      ints: number[];
      strings: string[];
      f32?: number;
      int?: number;
      s?: string;
    },
  ): void {
    const outName = node.outputs[0] ?? '';
    if (attr === 'value' && a.t) {
      this.tensors.push(this.tensorInfo(a.t, 'constant', gpath, node.name, outName || a.t.name));
      return;
    }
    if (attr === 'sparse_value' && a.sp) {
      this.tensors.push(this.sparseInfo(a.sp, 'constant', gpath, node.name, outName));
      return;
    }
    const small: Record<string, [string, number[] | null]> = {
      value_float: ['float32', a.f32 !== undefined ? [] : null],
      value_floats: ['float32', [a.floats.length]],
      value_int: ['int64', a.int !== undefined ? [] : null],
      value_ints: ['int64', [a.ints.length]],
      value_string: ['string', a.s !== undefined ? [] : null],
      value_strings: ['string', [a.strings.length]],
    };
    if (!Object.prototype.hasOwnProperty.call(small, attr)) return;
    const [dtype, shape] = small[attr];
    if (!shape) return;
    const paramCount = shape.reduce((x, y) => x * y, 1);
    this.tensors.push({
      name: outName,
      dtype,
      shape,
      paramCount,
      byteSize: byteSizeOf(dtypeByName(dtype)!, paramCount),
      origin: 'constant',
      graphPath: gpath,
      ...(node.name ? { owner: node.name } : {}),
      location: { kind: 'none' },
    });
    if (this.collect) this.resolved.set(resolvedKey(gpath, outName), { kind: 'attr', start: a.start, end: a.end });
  }

  // TensorProto ------------------------------------------------------------------------------
  private tensor(end: number): RawTensor {
    const r = this.r;
    const t: RawTensor = { name: '', dims: [], dataType: 0, fields: new Map(), external: new Map(), dataLocation: 0, segment: false };
    while (r.pos < end) {
      const at = r.pos;
      const [f, wt] = r.tag(end);
      switch (f) {
        case 1:
          if (wt === WT_VARINT) t.dims.push(r.varint(end));
          else if (wt === WT_LEN) {
            const e = this.sub(end);
            while (r.pos < e) t.dims.push(r.varint(e));
          } else r.skip(wt, end);
          break;
        case 2:
          if (wt === WT_VARINT) t.dataType = r.varint(end);
          else r.skip(wt, end);
          break;
        case 3:
          t.segment = true;
          r.skip(wt, end);
          break;
        case 8:
          if (wt === WT_LEN) t.name = this.str(end);
          else r.skip(wt, end);
          break;
        case 9:
          if (wt === WT_LEN) {
            const n = r.len(end);
            t.raw = { offset: r.pos, length: n };
            r.skipBytes(n, end);
          } else r.skip(wt, end);
          break;
        case 13:
          if (wt === WT_LEN) {
            const [k, v] = this.entry(this.sub(end));
            t.external.set(k, v);
          } else r.skip(wt, end);
          break;
        case 14:
          if (wt === WT_VARINT) t.dataLocation = r.varint(end);
          else r.skip(wt, end);
          break;
        case 4:
        case 5:
        case 6:
        case 7:
        case 10:
        case 11: {
          // A repeated data field: record the span from its first entry's tag to the end of its last
          // entry (packed or not); readOnnxTensor decodes the entries of this field in the span.
          r.skip(wt, end);
          const span = t.fields.get(f);
          if (span) span.end = r.pos;
          else t.fields.set(f, { offset: at, end: r.pos });
          break;
        }
        default:
          r.skip(wt, end);
      }
    }
    return t;
  }

  private sparse(end: number): RawSparse {
    const r = this.r;
    const s: RawSparse = { dims: [] };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) s.values = this.tensor(this.sub(end));
      else if (f === 2 && wt === WT_LEN) s.indices = this.tensor(this.sub(end));
      else if (f === 3 && wt === WT_VARINT) s.dims.push(r.varint(end));
      else if (f === 3 && wt === WT_LEN) {
        const e = this.sub(end);
        while (r.pos < e) s.dims.push(r.varint(e));
      } else r.skip(wt, end);
    }
    return s;
  }

  private tensorInfo(t: RawTensor, origin: TensorOrigin, graphPath: string, owner?: string, name?: string): TensorInfo {
    const d = dtypeOf(t.dataType);
    const tname = name ?? t.name;
    const paramCount = this.countOf(t.dims, tname);
    const info: TensorInfo = {
      name: tname,
      dtype: d.name,
      shape: t.dims,
      paramCount,
      byteSize: d.name === 'string' ? 0 : byteSizeOf(d, paramCount),
      origin,
      graphPath,
      location: this.location(t, tname, d, paramCount),
    };
    if (owner) info.owner = owner;
    if (d.bits === 0 && d.name !== 'string') this.warn(`tensor "${tname}" has an unknown data type (${t.dataType})`);
    if (t.segment) this.warn(`tensor "${tname}" is a segment of a larger tensor; segments are read as separate tensors`);
    return info;
  }

  private sparseInfo(s: RawSparse, origin: TensorOrigin, graphPath: string, owner?: string, name?: string): TensorInfo {
    const values = s.values ?? { name: '', dims: [0], dataType: 0, fields: new Map(), external: new Map(), dataLocation: 0, segment: false };
    const tname = name || values.name;
    const d = dtypeOf(values.dataType);
    const paramCount = this.countOf(s.dims, tname);
    const vinfo = this.tensorInfo(values, origin, graphPath, owner, tname);
    const info: TensorInfo = {
      ...vinfo,
      shape: s.dims,
      paramCount,
      byteSize: d.name === 'string' ? 0 : byteSizeOf(d, paramCount),
    };
    if (!s.values) this.warn(`sparse tensor "${tname}" has no values`);
    if (this.collect) {
      this.resolved.set(resolvedKey(graphPath, tname), {
        kind: 'sparse',
        values: vinfo,
        indices: s.indices ? this.tensorInfo(s.indices, origin, graphPath, owner, `${tname}/indices`) : undefined,
        dims: s.dims,
      });
    }
    return info;
  }

  private countOf(dims: number[], name: string): number {
    let n = 1;
    for (const d of dims) {
      if (d < 0) {
        this.warn(`tensor "${name}" has a negative dimension (${d}); it is counted as empty`);
        return 0;
      }
      n *= d;
    }
    if (!Number.isSafeInteger(n)) {
      this.warn(`tensor "${name}" has an impossible shape [${dims.join(',')}]; it is counted as empty`);
      return 0;
    }
    return n;
  }

  private location(t: RawTensor, name: string, d: OnnxDType, count: number): TensorLocation {
    if (t.dataLocation === 1) return this.externalLocation(t, name, d, count);
    if (t.raw) {
      const want = byteSizeOf(d, count);
      if (d.bits > 0 && t.raw.length !== want) {
        this.warn(`tensor "${name}" has ${t.raw.length} bytes of raw data but ${d.name}[${t.dims.join(',')}] needs ${want}`);
      }
      return { kind: 'raw', offset: t.raw.offset, length: t.raw.length };
    }
    const preferred = fieldFor(t.dataType);
    const f = t.fields.has(preferred) ? preferred : [...t.fields.keys()][0];
    if (f !== undefined) {
      const span = t.fields.get(f)!;
      return { kind: 'field', field: DATA_FIELDS[f], offset: span.offset, length: span.end - span.offset };
    }
    if (count > 0) this.warn(`tensor "${name}" has no data`);
    return { kind: 'none' };
  }

  private externalLocation(t: RawTensor, name: string, d: OnnxDType, count: number): TensorLocation {
    const where = t.external.get('location');
    if (where === undefined) {
      this.warn(`tensor "${name}" says its data is external but gives no location`);
      return { kind: 'none' };
    }
    const { file, exists } = resolveExternal(this.file, where, name);
    const num = (key: string): number | undefined => {
      const v = t.external.get(key);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v.trim())) {
        this.warn(`tensor "${name}": external data ${key} "${v}" is not a number`);
        return undefined;
      }
      return Number(v.trim());
    };
    const offset = num('offset') ?? 0;
    let size: number | undefined;
    if (this.extSizes.has(file)) size = this.extSizes.get(file);
    else {
      size = exists ? fs.statSync(file).size : undefined;
      this.extSizes.set(file, size);
    }
    if (!exists) {
      this.warn(`the external data file "${where}" of tensor "${name}" is missing (looked for ${file})`);
    }
    let length = num('length');
    if (length === undefined) length = size !== undefined ? Math.max(0, size - offset) : byteSizeOf(d, count);
    if (size !== undefined && offset + length > size) {
      this.warn(`tensor "${name}": external data ${where} is ${size} bytes, too short for offset ${offset} + length ${length}`);
    }
    return { kind: 'external', file, offset, length };
  }

  // ValueInfoProto / TypeProto ----------------------------------------------------------------
  private valueInfo(end: number): ValueInfo {
    const r = this.r;
    const v: ValueInfo = { name: '', dtype: 'unknown', shape: null };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) v.name = this.str(end);
      else if (f === 2 && wt === WT_LEN) {
        const ty = this.typeProto(this.sub(end), 0);
        v.dtype = ty.dtype;
        v.shape = ty.shape;
      } else if (f === 3 && wt === WT_LEN) v.doc = this.str(end);
      else r.skip(wt, end);
    }
    return v;
  }

  private typeProto(end: number, depth: number): { dtype: string; shape: Dim[] | null } {
    const r = this.r;
    if (depth > MAX_TYPE_DEPTH) throw new WireError('depth', `a type is nested more than ${MAX_TYPE_DEPTH} levels deep`, r.pos);
    let out: { dtype: string; shape: Dim[] | null } = { dtype: 'unknown', shape: null };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (wt !== WT_LEN) {
        r.skip(wt, end);
        continue;
      }
      switch (f) {
        case 1: // tensor_type
          out = this.tensorType(this.sub(end));
          break;
        case 8: {
          // sparse_tensor_type
          const tt = this.tensorType(this.sub(end));
          out = { dtype: `sparse(${tt.dtype})`, shape: tt.shape };
          break;
        }
        case 4: // sequence_type
          out = { dtype: `seq(${this.wrappedType(this.sub(end), depth, 1).dtype})`, shape: null };
          break;
        case 9: // optional_type
          out = { dtype: `optional(${this.wrappedType(this.sub(end), depth, 1).dtype})`, shape: null };
          break;
        case 5: {
          // map_type: key_type = 1 (int32 enum), value_type = 2
          const e = this.sub(end);
          let key = 'unknown';
          let val = 'unknown';
          while (r.pos < e) {
            const [mf, mwt] = r.tag(e);
            if (mf === 1 && mwt === WT_VARINT) key = dtypeOf(r.varint(e)).name;
            else if (mf === 2 && mwt === WT_LEN) val = this.typeProto(this.sub(e), depth + 1).dtype;
            else r.skip(mwt, e);
          }
          out = { dtype: `map(${key},${val})`, shape: null };
          break;
        }
        case 7: // opaque_type
          r.skip(wt, end);
          out = { dtype: 'opaque', shape: null };
          break;
        default:
          r.skip(wt, end);
      }
    }
    return out;
  }

  /** A message whose field `field` is a TypeProto (Sequence, Optional). */
  private wrappedType(end: number, depth: number, field: number): { dtype: string; shape: Dim[] | null } {
    const r = this.r;
    let out: { dtype: string; shape: Dim[] | null } = { dtype: 'unknown', shape: null };
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === field && wt === WT_LEN) out = this.typeProto(this.sub(end), depth + 1);
      else r.skip(wt, end);
    }
    return out;
  }

  private tensorType(end: number): { dtype: string; shape: Dim[] | null } {
    const r = this.r;
    let dtype = 'undefined';
    let shape: Dim[] | null = null;
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_VARINT) dtype = dtypeOf(r.varint(end)).name;
      else if (f === 2 && wt === WT_LEN) shape = this.shape(this.sub(end));
      else r.skip(wt, end);
    }
    return { dtype, shape };
  }

  private shape(end: number): Dim[] {
    const r = this.r;
    const dims: Dim[] = [];
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f === 1 && wt === WT_LEN) {
        const e = this.sub(end);
        let dim: Dim = null;
        while (r.pos < e) {
          const [df, dwt] = r.tag(e);
          if (df === 1 && dwt === WT_VARINT) dim = r.varint(e);
          else if (df === 2 && dwt === WT_LEN) {
            const p = this.str(e);
            dim = p === '' ? null : p;
          } else r.skip(dwt, e);
        }
        dims.push(dim);
      } else r.skip(wt, end);
    }
    return dims;
  }
}

// ---------------------------------------------------------------------------------------------
// Opening files and turning wire errors into ModelFormatError

const HEAD_BYTES = 512;

function openFailure(file: string, e: unknown): never {
  const err = e as NodeJS.ErrnoException;
  const name = path.basename(file);
  if (err.code === 'ENOENT') throw new ModelFormatError('NOT_FOUND', file, `${name} does not exist (${file}).`);
  if (err.code === 'EISDIR') throw new ModelFormatError('NOT_A_MODEL', file, `${name} is a folder, not a model file.`);
  throw new ModelFormatError('NOT_FOUND', file, `Cannot open ${name}: ${err.message}`);
}

/** Reject files that are clearly something else, with a message that says what they are. */
function checkHead(file: string, size: number, head: Uint8Array): void {
  const name = path.basename(file);
  if (size === 0) {
    throw new ModelFormatError(
      'EMPTY',
      file,
      `${name} is empty (0 bytes). If it is tracked with Git LFS, fetch its content with \`git lfs pull\`; otherwise export the model again.`,
    );
  }
  if (isLfsPointer(head)) {
    throw new ModelFormatError(
      'NOT_A_MODEL',
      file,
      `${name} is a Git LFS pointer, not the model itself: its content was not downloaded. Run \`git lfs pull\` ` +
        '(install git-lfs and run `git lfs install` first if needed).',
    );
  }
  if (isPng(head)) {
    throw new ModelFormatError('NOT_A_MODEL', file, `${name} is a PNG image, not an ONNX model. Check that the right file was saved under this name.`);
  }
  if (isHdf5(head)) {
    throw new ModelFormatError('NOT_A_MODEL', file, `${name} is an HDF5 file (a Keras .h5 model?), not an ONNX model.`);
  }
  if (isZip(head)) {
    throw new ModelFormatError('NOT_A_MODEL', file, `${name} is a ZIP archive (a Keras .keras or PyTorch file?), not an ONNX model.`);
  }
}

function wireFailure(file: string, e: WireError, plausible: boolean): ModelFormatError {
  const name = path.basename(file);
  if (!plausible) {
    return new ModelFormatError(
      'NOT_A_MODEL',
      file,
      `${name} is not an ONNX model: its bytes are not an ONNX protobuf (${e.message} at byte ${e.pos}). ` +
        'Check that the file is an .onnx export and was not damaged when it was copied.',
    );
  }
  const code: ModelFormatErrorCode = e.kind === 'truncated' ? 'TRUNCATED' : e.kind === 'depth' ? 'UNSUPPORTED' : 'CORRUPT';
  const advice =
    e.kind === 'truncated'
      ? 'The file was probably cut off while it was copied or downloaded; fetch or export it again.'
      : e.kind === 'depth'
        ? 'Model Versions stops there to protect itself; such a model is almost certainly malformed.'
        : 'The file is damaged; export or fetch it again.';
  const what = e.kind === 'truncated' ? 'is truncated' : e.kind === 'depth' ? 'is nested too deeply' : 'is damaged';
  return new ModelFormatError(code, file, `${name} ${what}: ${e.message} (byte ${e.pos} of the file). ${advice}`);
}

interface WalkResult {
  walk: Walk;
  head: ModelHead;
  size: number;
}

function walkFile(file: string, collect: boolean): WalkResult {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    openFailure(file, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new ModelFormatError('NOT_A_MODEL', file, `${path.basename(file)} is a folder, not a model file.`);
    const size = st.size;
    let src: ByteSource;
    let head: Uint8Array;
    if (size <= WHOLE_FILE_LIMIT) {
      const all = new Uint8Array(size);
      const got = new FdSource(fd, size).readInto(all, 0, size);
      const bytes = got === size ? all : all.subarray(0, got);
      src = new MemorySource(bytes);
      head = bytes.subarray(0, HEAD_BYTES);
    } else {
      src = new FdSource(fd, size);
      head = new Uint8Array(HEAD_BYTES);
      src.readInto(head, 0, HEAD_BYTES);
    }
    checkHead(file, size, head);
    const walk = new Walk(new WireReader(src), file, collect);
    let mhead: ModelHead;
    try {
      mhead = walk.model();
    } catch (e) {
      if (e instanceof WireError) throw wireFailure(file, e, walk.evidence || looksLikeOnnx(head));
      if (e instanceof RangeError) {
        throw new ModelFormatError('UNSUPPORTED', file, `${path.basename(file)} could not be read: ${e.message}.`);
      }
      throw e;
    }
    if (!mhead.graphSeen) {
      const name = path.basename(file);
      if (walk.evidence && mhead.maxField < 7) {
        // Writers put the fields in number order, so the graph (7) would come next: the file ends early.
        throw new ModelFormatError(
          'TRUNCATED',
          file,
          `${name} is truncated: it ends after the model header (${size} bytes), before the graph. ` +
            'The file was probably cut off while it was copied or downloaded; fetch or export it again.',
        );
      }
      throw new ModelFormatError(
        'NOT_A_MODEL',
        file,
        walk.evidence
          ? `${name} has no graph: it is an ONNX protobuf without a model graph, so there is nothing to show.`
          : `${name} is not an ONNX model: it has no ONNX header (ir_version, opset_import) and no graph.`,
      );
    }
    return { walk, head: mhead, size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A cheap sniff of a file's first bytes: does it start like an ONNX ModelProto? A ModelProto written by
 * any usual tool starts with field 1 (ir_version, tag 0x08) holding a small number, followed by other
 * ModelProto fields. Without ir_version first, two complete known ModelProto fields are required.
 */
export function looksLikeOnnx(head: Uint8Array): boolean {
  if (head.length < 2) return false;
  const r = new WireReader(new MemorySource(head));
  const end = head.length;
  let fields = 0;
  let irFirst = false;
  try {
    while (r.pos < end && fields < 4) {
      const [f, wt] = r.tag(end);
      if (MODEL_FIELDS[f] === undefined || MODEL_FIELDS[f] !== wt) return false;
      if (wt === WT_VARINT) {
        const v = r.varint(end);
        if (f === 1) {
          if (v < 1 || v > 100) return false;
          if (fields === 0) irFirst = true;
        } else if (v < 0) return false;
      } else {
        const n = r.varint(end);
        if (n < 0) return false;
        if (r.pos + n > end) return irFirst || fields >= 1; // the field goes on past the head
        r.pos += n;
      }
      fields++;
    }
  } catch (e) {
    // ran out of head bytes in the middle of a tag or number: judge by what was seen
    if (e instanceof WireError && e.kind === 'truncated') return irFirst || fields >= 2;
    return false;
  }
  return irFirst || fields >= 2;
}

/** Parameters of an ONNX model: all weights except scalar Constant values (see the top of this file). */
export function onnxParameterCount(tensors: TensorInfo[]): number {
  return tensors.reduce((n, t) => (t.origin === 'constant' && t.shape.length === 0 ? n : n + t.paramCount), 0);
}

/** Summarize an ONNX model file. Throws ModelFormatError for anything that is not a readable model. */
export async function readOnnxSummary(file: string): Promise<ModelSummary> {
  const abs = path.resolve(file);
  const { walk, head, size } = walkFile(abs, false);
  const main = walk.graphs[0];
  const summary: ModelSummary = {
    format: 'onnx',
    path: abs,
    fileSize: size,
    opsets: head.opsets,
    metadata: head.metadata,
    inputs: main.inputs,
    outputs: main.outputs,
    nodes: walk.nodes,
    graphs: walk.graphs,
    opHistogram: walk.hist,
    tensors: walk.tensors,
    parameterCount: onnxParameterCount(walk.tensors),
    warnings: walk.warnings,
  };
  if (head.irVersion !== undefined) summary.irVersion = head.irVersion;
  if (head.producerName !== undefined || head.producerVersion !== undefined) {
    summary.producer = { name: head.producerName ?? '', version: head.producerVersion ?? '' };
  }
  if (head.domain !== undefined) summary.domain = head.domain;
  if (head.modelVersion !== undefined) summary.modelVersion = head.modelVersion;
  if (head.docString !== undefined) summary.docString = head.docString;
  if (head.irVersion === undefined) summary.warnings.unshift('the model has no ir_version');
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Reading tensor values

type TypedArray = Exclude<TensorData['data'], string[]>;

class CountMismatch extends Error {}

function view<T extends TypedArray>(
  Ctor: { new (buf: ArrayBufferLike, off: number, len: number): T; new (len: number): T; BYTES_PER_ELEMENT: number },
  bytes: Uint8Array,
  n: number,
): T {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT !== 0) bytes = bytes.slice(); // misaligned: copy
  return new Ctor(bytes.buffer, bytes.byteOffset, n);
}

/** Unpack sub-byte elements (`bits` = 4 or 2, low bits first) from bytes. */
function unpackBits(get: (i: number) => number, n: number, bits: number, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(n) : new Uint8Array(n);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) {
    let v = (get(Math.floor(i / per)) >> ((i % per) * bits)) & mask;
    if (signed && v & (1 << (bits - 1))) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decode little-endian raw bytes. */
function decodeRaw(d: OnnxDType, bytes: Uint8Array, n: number): TypedArray {
  if (!isLittleEndian) throw new Error('reading tensors needs a little-endian machine');
  if (d.bits === 0) throw new CountMismatch(`${d.name} tensors cannot be stored as raw bytes`);
  if (bytes.length !== byteSizeOf(d, n)) {
    throw new CountMismatch(`it has ${bytes.length} bytes but ${n} ${d.name} values need ${byteSizeOf(d, n)}`);
  }
  switch (d.name) {
    case 'float32':
      return view(Float32Array, bytes, n);
    case 'float64':
      return view(Float64Array, bytes, n);
    case 'complex64':
      return view(Float32Array, bytes, 2 * n);
    case 'complex128':
      return view(Float64Array, bytes, 2 * n);
    case 'int8':
      return view(Int8Array, bytes, n);
    case 'int16':
      return view(Int16Array, bytes, n);
    case 'uint16':
    case 'float16':
    case 'bfloat16':
      return view(Uint16Array, bytes, n);
    case 'int32':
      return view(Int32Array, bytes, n);
    case 'uint32':
      return view(Uint32Array, bytes, n);
    case 'int64':
      return view(BigInt64Array, bytes, n);
    case 'uint64':
      return view(BigUint64Array, bytes, n);
    case 'int4':
    case 'uint4':
    case 'float4e2m1':
      return unpackBits((i) => bytes[i], n, 4, d.name === 'int4');
    case 'int2':
    case 'uint2':
      return unpackBits((i) => bytes[i], n, 2, d.name === 'int2');
    default: // uint8, bool, float8 variants
      return view(Uint8Array, bytes, n);
  }
}

/** Decode the entries of TensorProto field `field` found in `bytes` (the span recorded by the walk). */
function decodeField(d: OnnxDType, field: number, bytes: Uint8Array, n: number): TensorData['data'] {
  const r = new WireReader(new MemorySource(bytes));
  const end = bytes.length;
  const each = (fixed: number, read: (limit: number) => void): void => {
    r.pos = 0;
    while (r.pos < end) {
      const [f, wt] = r.tag(end);
      if (f !== field) r.skip(wt, end);
      else if (wt === WT_LEN && field !== 6) {
        const len = r.len(end);
        const e = r.pos + len;
        while (r.pos < e) read(e);
      } else if ((fixed === 4 && wt === WT_I32) || (fixed === 8 && wt === 1) || (fixed === 0 && wt === WT_VARINT) || (field === 6 && wt === WT_LEN)) {
        read(end);
      } else r.skip(wt, end);
    }
  };
  const expect = (got: number, want: number): void => {
    if (got !== want) throw new CountMismatch(`it has ${got} values in ${DATA_FIELDS[field]} but its shape needs ${want}`);
  };
  const complex = d.name === 'complex64' || d.name === 'complex128' ? 2 : 1;
  switch (field) {
    case 4:
    case 10: {
      const vals: number[] = [];
      each(field === 4 ? 4 : 8, (lim) => vals.push(field === 4 ? r.float32(lim) : r.float64(lim)));
      expect(vals.length, n * complex);
      return field === 4 ? Float32Array.from(vals) : Float64Array.from(vals);
    }
    case 6: {
      const vals: string[] = [];
      const dec = new TextDecoder('utf-8');
      each(0, (lim) => {
        const len = r.len(lim);
        vals.push(dec.decode(r.bytes(len, lim)));
      });
      expect(vals.length, n);
      return vals;
    }
    case 7:
    case 11: {
      const vals: bigint[] = [];
      each(0, (lim) => vals.push(r.varintBig(lim, field === 7)));
      expect(vals.length, n);
      if (field === 7) return BigInt64Array.from(vals);
      if (d.name === 'uint32') return Uint32Array.from(vals, (v) => Number(v & 0xffffffffn));
      return BigUint64Array.from(vals);
    }
    case 5: {
      const vals: number[] = [];
      each(0, (lim) => vals.push(r.varint(lim)));
      if (d.bits === 4 || d.bits === 2) {
        expect(vals.length, Math.ceil((n * d.bits) / 8));
        return unpackBits((i) => vals[i] & 0xff, n, d.bits, d.name === 'int4' || d.name === 'int2');
      }
      expect(vals.length, n);
      switch (d.name) {
        case 'int32':
          return Int32Array.from(vals);
        case 'int16':
          return Int16Array.from(vals);
        case 'int8':
          return Int8Array.from(vals);
        case 'uint16':
        case 'float16':
        case 'bfloat16':
          return Uint16Array.from(vals);
        default:
          return Uint8Array.from(vals);
      }
    }
    default:
      throw new CountMismatch(`unknown data field ${field}`);
  }
}

function emptyOf(d: OnnxDType): TensorData['data'] {
  return d.name === 'string' ? [] : decodeRaw(d, new Uint8Array(0), 0);
}

/** Scatter sparse values into a dense array of `count` elements. */
function densify(d: OnnxDType, values: TensorData['data'], indices: TensorData['data'] | undefined, idxShape: number[], dims: number[]): TensorData['data'] {
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count < 0 || count > 2 ** 31) throw new CountMismatch(`its dense shape [${dims.join(',')}] is too large`);
  const nnz = Array.isArray(values) ? values.length : values.length / (d.name.startsWith('complex') ? 2 : 1);
  if (!indices) {
    throw new CountMismatch('the sparse tensor has no indices');
  }
  // linear positions, checked one by one (a loop, not push(...): a spread of 10⁵ indices overflows the stack)
  const idx = indices as ArrayLike<number | bigint>;
  const rank = idxShape.length === 2 ? idxShape[1] : 1;
  if (idxShape.length === 2 ? idx.length !== nnz * rank : idx.length !== nnz) {
    throw new CountMismatch(`the sparse tensor has ${nnz} values but ${idxShape.length === 2 ? `${idx.length / Math.max(rank, 1)} index rows` : `${idx.length} indices`}`);
  }
  if (idxShape.length === 2 && rank !== dims.length) throw new CountMismatch(`its indices have ${rank} coordinates but its shape has ${dims.length} dimensions`);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const linear = new Float64Array(nnz);
  for (let k = 0; k < nnz; k++) {
    let li = 0;
    if (idxShape.length === 2) {
      for (let j = 0; j < rank; j++) {
        const c = Number(idx[k * rank + j]);
        if (!(c >= 0 && c < dims[j])) throw new CountMismatch(`a sparse index (${c} in dimension ${j}) is outside the shape`);
        li += c * strides[j];
      }
    } else li = Number(idx[k]);
    if (!(li >= 0 && li < count)) throw new CountMismatch(`a sparse index (${li}) is outside the shape`);
    linear[k] = li;
  }
  if (Array.isArray(values)) {
    const out: string[] = new Array<string>(count).fill('');
    linear.forEach((li, k) => (out[li] = values[k]));
    return out;
  }
  const per = d.name.startsWith('complex') ? 2 : 1;
  const dense = emptyOf(d) as TypedArray;
  const Ctor = dense.constructor as new (n: number) => TypedArray;
  const out = new Ctor(count * per);
  const src = values as unknown as ArrayLike<number | bigint>;
  const dst = out as unknown as { [i: number]: number | bigint };
  linear.forEach((li, k) => {
    for (let c = 0; c < per; c++) dst[li * per + c] = src[k * per + c];
  });
  return out;
}

/** Read bytes of the model (or an external data file) and decode them as the tensor's values. */
function readLocated(file: string, tensor: TensorInfo, d: OnnxDType): TensorData['data'] {
  const loc = tensor.location;
  const n = tensor.paramCount;
  switch (loc.kind) {
    case 'raw':
      if (d.bits > 0 && loc.length !== byteSizeOf(d, n)) {
        throw new CountMismatch(`it has ${loc.length} bytes but ${n} ${d.name} values need ${byteSizeOf(d, n)}`);
      }
      return decodeRaw(d, preadExact(file, loc.offset, loc.length), n);
    case 'external': {
      if (!checkInsideModelFolder(file, loc.file, tensor.name, loc.file)) {
        throw new ModelFormatError(
          'EXTERNAL_DATA_MISSING',
          file,
          `${path.basename(file)}: the external data file of tensor "${tensor.name}" is missing (${loc.file}). ` +
            'Copy it next to the model (if it is tracked with Git LFS, run `git lfs pull`).',
        );
      }
      if (d.bits > 0 && loc.length !== byteSizeOf(d, n)) {
        throw new CountMismatch(`its external data is ${loc.length} bytes but ${n} ${d.name} values need ${byteSizeOf(d, n)}`);
      }
      let bytes: Uint8Array;
      try {
        if (loc.offset + loc.length > fs.statSync(loc.file).size) throw new WireError('truncated', 'short external file', 0);
        bytes = preadExact(loc.file, loc.offset, loc.length);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        throw new ModelFormatError(
          'TRUNCATED',
          file,
          `${path.basename(file)}: the external data file ${path.basename(loc.file)} is too short for tensor "${tensor.name}" ` +
            `(needs bytes ${loc.offset}–${loc.offset + loc.length}). Fetch or export it again.`,
        );
      }
      return decodeRaw(d, bytes, n);
    }
    case 'field':
      return decodeField(d, FIELD_NUMBERS[loc.field], preadExact(file, loc.offset, loc.length), n);
    case 'none':
      if (n === 0) return emptyOf(d);
      throw new CountMismatch('it has no data');
    default:
      throw new ModelFormatError('UNSUPPORTED', file, `tensor "${tensor.name}" has a ${loc.kind} location, which is not an ONNX location.`);
  }
}

/** Values kept in a Constant node's value_float(s) / value_int(s) / value_string(s) attribute. */
function readAttrConstant(file: string, d: OnnxDType, start: number, end: number): TensorData['data'] {
  const bytes = preadExact(file, start, end - start);
  const r = new WireReader(new MemorySource(bytes));
  const lim = bytes.length;
  const floats: number[] = [];
  const ints: bigint[] = [];
  const strings: string[] = [];
  const dec = new TextDecoder('utf-8');
  while (r.pos < lim) {
    const [f, wt] = r.tag(lim);
    if ((f === 2 || f === 7) && wt === WT_I32) floats.push(r.float32(lim));
    else if (f === 7 && wt === WT_LEN) {
      const len = r.len(lim);
      const e = r.pos + len;
      while (r.pos < e) floats.push(r.float32(e));
    } else if ((f === 3 || f === 8) && wt === WT_VARINT) ints.push(r.varintBig(lim, true));
    else if (f === 8 && wt === WT_LEN) {
      const len = r.len(lim);
      const e = r.pos + len;
      while (r.pos < e) ints.push(r.varintBig(e, true));
    } else if ((f === 4 || f === 9) && wt === WT_LEN) strings.push(dec.decode(r.bytes(r.len(lim), lim)));
    else r.skip(wt, lim);
  }
  if (d.name === 'float32') return Float32Array.from(floats);
  if (d.name === 'int64') return BigInt64Array.from(ints);
  return strings;
}

/** Tensors that are not a plain run of bytes: walk the model again to find how they are stored. */
function readByWalk(file: string, tensor: TensorInfo, d: OnnxDType): TensorData['data'] {
  const { walk } = walkFile(file, true);
  const found = walk.resolved.get(resolvedKey(tensor.graphPath, tensor.name));
  if (!found) throw new CountMismatch('it was not found in the model again');
  if (found.kind === 'attr') return readAttrConstant(file, d, found.start, found.end);
  const values = found.values.paramCount === 0 ? emptyOf(d) : readLocated(file, found.values, d);
  const indices = found.indices
    ? found.indices.paramCount === 0
      ? emptyOf(dtypeOf(7))
      : readLocated(file, found.indices, dtypeByName(found.indices.dtype) ?? dtypeOf(7))
    : undefined;
  return densify(d, values, indices, found.indices?.shape ?? [], found.dims);
}

/**
 * Read one tensor's values. Only that tensor's bytes are read (with a positional read); packed
 * fields are decoded; external data is read from its file (checked again to lie inside the model's
 * folder). float16/bfloat16 come back as Uint16Array (the bits), int64 as BigInt64Array, strings as
 * string[], bool and float8 types as Uint8Array, complex types as interleaved (re, im) floats, and
 * 4-/2-bit types unpacked to one element per byte. Sparse tensors come back dense.
 */
export async function readOnnxTensor(file: string, tensor: TensorInfo): Promise<TensorData> {
  const abs = path.resolve(file);
  const d = dtypeByName(tensor.dtype);
  const name = path.basename(abs);
  if (!d) throw new ModelFormatError('UNSUPPORTED', abs, `tensor "${tensor.name}" of ${name} has the unsupported data type ${tensor.dtype}.`);
  try {
    fs.statSync(abs);
  } catch (e) {
    openFailure(abs, e);
  }
  const shape = tensor.shape;
  try {
    let data: TensorData['data'];
    if (tensor.origin === 'sparse-initializer' || (tensor.location.kind === 'none' && tensor.paramCount > 0)) {
      data = readByWalk(abs, tensor, d);
    } else {
      try {
        data = readLocated(abs, tensor, d);
      } catch (e) {
        // A Constant whose stored values do not fill its shape may be a sparse_value.
        if (!(e instanceof CountMismatch) || tensor.origin !== 'constant') throw e;
        data = readByWalk(abs, tensor, d);
      }
    }
    return { dtype: tensor.dtype, shape, data };
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    if (e instanceof CountMismatch) {
      throw new ModelFormatError('CORRUPT', abs, `tensor "${tensor.name}" of ${name} cannot be read: ${e.message}. The file may have changed since it was summarized, or it is damaged.`);
    }
    if (e instanceof WireError) throw wireFailure(abs, e, true);
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string') openFailure(abs, e);
    throw e;
  }
}
