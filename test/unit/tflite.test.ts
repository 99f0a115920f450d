/**
 * The TFLite reader (issue #15 §4), on real models published by others (test/fixtures/tflite: tflite-micro's
 * examples over time, MediaPipe's selfie segmentation). The references are independent of our code:
 * Debian's `flatc --json` (flatbuffers' own C++ parser) run at test time with the same schema.fbs, which
 * gives tensor names, types, shapes, quantization, operator codes and the bytes of every buffer; and the
 * facts recorded for these files in the team's fixture collection (formats-facts.json, also from flatc),
 * copied below. Values are decoded from flatc's buffer bytes with Node's Buffer.read* here.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as flatbuffers from 'flatbuffers';
import { runCli } from '../../src/cli/main';
import { diffModels } from '../../src/core/diff';
import { ModelFormatError, readModelSummary, readTensor, type ModelSummary, type TensorInfo } from '../../src/core/formats';
import { isTflite } from '../../src/core/formats/sniff';
import { configureTfliteReads } from '../../src/core/formats/tflite';
import { BuiltinOperator } from '../../src/core/formats/tflite/generated/tflite/builtin-operator';
import { Buffer as TflBuffer } from '../../src/core/formats/tflite/generated/tflite/buffer';
import { ExternalBuffer } from '../../src/core/formats/tflite/generated/tflite/external-buffer';
import { ExternalBufferGroup } from '../../src/core/formats/tflite/generated/tflite/external-buffer-group';
import { Model } from '../../src/core/formats/tflite/generated/tflite/model';
import { SubGraph } from '../../src/core/formats/tflite/generated/tflite/sub-graph';
import { Tensor } from '../../src/core/formats/tflite/generated/tflite/tensor';
import { TensorType } from '../../src/core/formats/tflite/generated/tflite/tensor-type';
import { fixture, REPO_ROOT } from '../support/paths';

const FLATC = '/usr/bin/flatc';
const SCHEMA = path.join(REPO_ROOT, 'src', 'core', 'formats', 'tflite', 'schema.fbs');

interface Fact {
  sha256: string;
  size: number;
  description: string;
  operatorCodes: number;
  buffers: number;
  metadata: string[];
  signatureDefs: number;
  subgraph: {
    name: string | null;
    tensors: number;
    operators: number;
    ops: Record<string, number>;
    types: Record<string, number>;
    constElements: number;
    inputs: { name: string; shape: number[]; type: string }[];
    outputs: { name: string; shape: number[]; type: string }[];
  };
}

/** formats-facts.json of the fixture collection (flatc 2.0.8 --json), the TFLite entries. */
const FACTS: Record<string, Fact> = 
{"tflm_hello_world_float.tflite":{"sha256":"ee939863195ca37ce063b18e14fb82aa0d98db6596ba41095757f6b560da1070","size":3164,"description":"MLIR Converted.","operatorCodes":1,"buffers":13,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":10,"operators":3,"ops":{"FULLY_CONNECTED":3},
    "types":{"FLOAT32":10},
    "constElements":321,"inputs":[{"name":"serving_default_dense_input:0","shape":[1,1],"type":"FLOAT32"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,1],"type":"FLOAT32"}]}},
    "tflm_hello_world_int8.tflite":{"sha256":"505ee4fae7fa46ab67bea4c08b4969eb3eb8b9114c50595ec4a29d9a27993202","size":2704,"description":"MLIR Converted.","operatorCodes":1,"buffers":13,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":10,"operators":3,"ops":{"FULLY_CONNECTED":3},
    "types":{"INT8":7,"INT32":3},
    "constElements":321,"inputs":[{"name":"serving_default_dense_input:0","shape":[1,1],"type":"INT8"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,1],"type":"INT8"}]}},
    "tflm_hello_world_2021.tflite":{"sha256":"c67f1c6e5b93d5ee9d9948146357f68c0b28f39f572215f81c191dabda429e10","size":2312,"description":"MLIR Converted.","operatorCodes":1,"buffers":12,"metadata":["min_runtime_version"],"signatureDefs":0,"subgraph":{"name":"main","tensors":10,"operators":3,"ops":{"FULLY_CONNECTED":3},
    "types":{"INT8":7,"INT32":3},
    "constElements":321,"inputs":[{"name":"serving_default_dense_2_input:0","shape":[1,1],"type":"INT8"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,1],"type":"INT8"}]}},
    "tflm_hello_world_2023-02.tflite":{"sha256":"7d29330c2f01d9deb162d65d84caef7df4d6d0edfbd2b0ec49903310c81a4cae","size":2864,"description":"MLIR Converted.","operatorCodes":3,"buffers":12,"metadata":["min_runtime_version"],"signatureDefs":1,"subgraph":{"name":"main","tensors":12,"operators":5,"ops":{"QUANTIZE":1,"FULLY_CONNECTED":3,"DEQUANTIZE":1},
    "types":{"INT8":7,"INT32":3,"FLOAT32":2},
    "constElements":321,"inputs":[{"name":"serving_default_dense_2_input:0","shape":[1,1],"type":"FLOAT32"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,1],"type":"FLOAT32"}]}},
    "tflm_micro_speech_quantized.tflite":{"sha256":"09e5e2a9dfb2d8ed78802bf18ce297bff54281a66ca18e0c23d69ca14f822a83","size":18800,"description":"TOCO Converted.","operatorCodes":4,"buffers":12,"metadata":["min_runtime_version"],"signatureDefs":0,"subgraph":{"name":null,"tensors":10,"operators":4,"ops":{"RESHAPE":1,"DEPTHWISE_CONV_2D":1,"FULLY_CONNECTED":1,"SOFTMAX":1},
    "types":{"INT32":3,"INT8":7},
    "constElements":16656,"inputs":[{"name":"Reshape_1","shape":[1,1960],"type":"INT8"}],"outputs":[{"name":"labels_softmax","shape":[1,4],"type":"INT8"}]}},
    "tflm_audio_preprocessor_float.tflite":{"sha256":"684c7e4727409e26759cbb13e587fe25345a2cca163616e22a83d9265ea11644","size":7760,"description":"MLIR Converted.","operatorCodes":14,"buffers":36,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":33,"operators":16,"ops":{"CUSTOM:SignalWindow":1,"RESHAPE":1,"CUSTOM:SignalFftAutoScale":1,"CUSTOM:SignalRfft":1,"CUSTOM:SignalEnergy":1,"CAST":3,"STRIDED_SLICE":1,"CONCATENATION":1,"CUSTOM:SignalFilterBank":1,"CUSTOM:SignalFilterBankSquareRoot":1,"CUSTOM:SignalFilterBankSpectralSubtraction":1,"CUSTOM:SignalPCAN":1,"CUSTOM:SignalFilterBankLog":1,"MUL":1},
    "types":{"INT16":13,"FLOAT32":3,"INT32":10,"UINT32":6,"UINT64":1},
    "constElements":1386,"inputs":[{"name":"serving_default_audio_frame:0","shape":[1,480],"type":"INT16"}],"outputs":[{"name":"PartitionedCall:0","shape":[40],"type":"FLOAT32"}]}},
    "tflm_audio_preprocessor_int8.tflite":{"sha256":"278949d197166fb8b580c0bdc94e902fb709fec0569dcf5766816b28285440e5","size":8772,"description":"MLIR Converted.","operatorCodes":18,"buffers":46,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":43,"operators":22,"ops":{"CUSTOM:SignalWindow":1,"RESHAPE":1,"CUSTOM:SignalFftAutoScale":1,"CUSTOM:SignalRfft":1,"CUSTOM:SignalEnergy":1,"CAST":4,"STRIDED_SLICE":1,"CONCATENATION":1,"CUSTOM:SignalFilterBank":1,"CUSTOM:SignalFilterBankSquareRoot":1,"CUSTOM:SignalFilterBankSpectralSubtraction":1,"CUSTOM:SignalPCAN":1,"CUSTOM:SignalFilterBankLog":1,"MUL":1,"ADD":2,"DIV":1,"MINIMUM":1,"MAXIMUM":1},
    "types":{"INT16":13,"INT32":22,"UINT32":6,"UINT64":1,"INT8":1},
    "constElements":1390,"inputs":[{"name":"serving_default_audio_frame:0","shape":[1,480],"type":"INT16"}],"outputs":[{"name":"PartitionedCall:0","shape":[40],"type":"INT8"}]}},
    "tflm_trained_lstm.tflite":{"sha256":"479430996e6d6fce4d2fcd2e370af939918e743bc9a7c90907f09e8bafa59658","size":41240,"description":"MLIR Converted.","operatorCodes":4,"buffers":25,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":22,"operators":4,"ops":{"UNIDIRECTIONAL_SEQUENCE_LSTM":1,"RESHAPE":1,"FULLY_CONNECTED":1,"SOFTMAX":1},
    "types":{"FLOAT32":21,"INT32":1},
    "constElements":9532,"inputs":[{"name":"serving_default_fixed_input:0","shape":[1,28,28],"type":"FLOAT32"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,10],"type":"FLOAT32"}]}},
    "tflm_trained_lstm_int8.tflite":{"sha256":"a44e4d8a6c051db582414915ee28ee0462bd47e9f150e4a095fb5a126b88d885","size":13952,"description":"MLIR Converted.","operatorCodes":4,"buffers":25,"metadata":["min_runtime_version","CONVERSION_METADATA"],"signatureDefs":1,"subgraph":{"name":"main","tensors":27,"operators":4,"ops":{"UNIDIRECTIONAL_SEQUENCE_LSTM":1,"RESHAPE":1,"FULLY_CONNECTED":1,"SOFTMAX":1},
    "types":{"INT8":16,"INT32":6,"INT16":1,"FLOAT32":4},
    "constElements":9532,"inputs":[{"name":"serving_default_fixed_input:0","shape":[1,28,28],"type":"INT8"}],"outputs":[{"name":"StatefulPartitionedCall:0","shape":[1,10],"type":"INT8"}]}},
    "selfie_segmentation.tflite":{"sha256":"8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27","size":249024,"description":"keras2tflite_selfiesegmentation_mlkit-256x256-2021_01_19-v1215.tflite.generated","operatorCodes":11,"buffers":116,"metadata":[],"signatureDefs":0,"subgraph":{"name":"keras2tflite_selfiesegmentation_mlkit-256x256-2021_01_19-v1215.tflite.generated","tensors":360,"operators":246,"ops":{"DEQUANTIZE":110,"CONV_2D":43,"HARD_SWISH":11,"RELU":22,"DEPTHWISE_CONV_2D":11,"AVERAGE_POOL_2D":10,"LOGISTIC":11,"MUL":10,"ADD":14,"RESIZE_BILINEAR":3,"CUSTOM:Convolution2DTransposeBias":1},
    "types":{"FLOAT32":247,"FLOAT16":110,"INT32":3},
    "constElements":106407,"inputs":[{"name":"input_1","shape":[1,256,256,3],"type":"FLOAT32"}],"outputs":[{"name":"activation_10","shape":[1,256,256,1],"type":"FLOAT32"}]}},
    "selfie_segmentation_landscape.tflite":{"sha256":"4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894","size":249792,"description":"keras2tflite_meet_1655.tflite.generated","operatorCodes":11,"buffers":126,"metadata":[],"signatureDefs":0,"subgraph":{"name":"keras2tflite_meet_1655.tflite.generated","tensors":370,"operators":246,"ops":{"DEQUANTIZE":110,"CONV_2D":43,"HARD_SWISH":11,"RELU":22,"DEPTHWISE_CONV_2D":11,"MEAN":10,"LOGISTIC":11,"MUL":10,"ADD":14,"RESIZE_BILINEAR":3,"CUSTOM:Convolution2DTransposeBias":1},
    "types":{"FLOAT32":247,"FLOAT16":110,"INT32":13},
    "constElements":106427,"inputs":[{"name":"input_1","shape":[1,144,256,3],"type":"FLOAT32"}],"outputs":[{"name":"segment_back","shape":[1,144,256,1],"type":"FLOAT32"}]}}}
;

// ---------------------------------------------------------------- the flatc reference

interface JTensor {
  shape?: number[];
  type?: string;
  buffer?: number;
  name?: string;
  quantization?: { scale?: number[]; zero_point?: number[]; quantized_dimension?: number };
  shape_signature?: number[];
  has_rank?: boolean;
  sparsity?: unknown;
}
interface JModel {
  version: number;
  description?: string;
  operator_codes: { deprecated_builtin_code?: number; custom_code?: string; version?: number; builtin_code?: string }[];
  subgraphs: {
    tensors?: JTensor[];
    inputs?: number[];
    outputs?: number[];
    operators?: { opcode_index?: number; inputs?: number[]; outputs?: number[] }[];
    name?: string;
  }[];
  buffers: { data?: number[]; offset?: number; size?: number }[];
  metadata?: { name: string; buffer?: number }[];
  signature_defs?: { inputs?: { name: string; tensor_index?: number }[]; outputs?: { name: string; tensor_index?: number }[]; signature_key?: string; subgraph_index?: number }[];
}

/** flatc --json of a .tflite file: flatbuffers' own C++ parser (defaults are left out of its output). */
function flatcJson(file: string, dir: string): JModel {
  const out = fs.mkdtempSync(path.join(dir, 'flatc-'));
  execFileSync(FLATC, ['--json', '--strict-json', '--raw-binary', '-o', out, SCHEMA, '--', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return JSON.parse(fs.readFileSync(path.join(out, path.basename(file).replace(/\.[^.]+$/, '') + '.json'), 'utf8')) as JModel;
}

/** Element readers for the flatc type names: bytes → values with Node's Buffer (float16: its bits). */
const READ: Record<string, [number, (b: Buffer, o: number) => number | bigint]> = {
  FLOAT32: [4, (b, o) => b.readFloatLE(o)],
  FLOAT16: [2, (b, o) => b.readUInt16LE(o)],
  FLOAT64: [8, (b, o) => b.readDoubleLE(o)],
  INT8: [1, (b, o) => b.readInt8(o)],
  UINT8: [1, (b, o) => b.readUInt8(o)],
  BOOL: [1, (b, o) => b.readUInt8(o)],
  INT16: [2, (b, o) => b.readInt16LE(o)],
  UINT16: [2, (b, o) => b.readUInt16LE(o)],
  INT32: [4, (b, o) => b.readInt32LE(o)],
  UINT32: [4, (b, o) => b.readUInt32LE(o)],
  INT64: [8, (b, o) => b.readBigInt64LE(o)],
  UINT64: [8, (b, o) => b.readBigUInt64LE(o)],
};

function decodeRef(type: string, data: number[]): (number | bigint)[] {
  const [size, read] = READ[type];
  const b = Buffer.from(data);
  const out: (number | bigint)[] = [];
  for (let o = 0; o + size <= b.length; o += size) out.push(read(b, o));
  return out;
}

/** TFLite's rule for an operator code's builtin operator: the larger of builtin_code and deprecated_builtin_code. */
function refOpName(c: JModel['operator_codes'][number]): string {
  const code = Math.max(c.builtin_code === undefined ? 0 : (BuiltinOperator[c.builtin_code as keyof typeof BuiltinOperator] as number), c.deprecated_builtin_code ?? 0);
  return code === BuiltinOperator.CUSTOM ? `custom:${c.custom_code}` : BuiltinOperator[code];
}

const prod = (s: number[]) => s.reduce((a, d) => a * d, 1);
/** flatc prints floats with 6 decimals */
const SCALE_TOL = 5e-7 + 1e-12;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

async function rejectsWith(file: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(readModelSummary(file), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.strictEqual(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

/** A small model written with the generated builder code: one subgraph, one float32 constant "w" (buffer 1). */
function buildModel(o: { version?: number; shape?: number[]; signature?: number[]; bufferIndex?: number; data?: Buffer; outside?: { offset: bigint; size: bigint }; external?: { group: string; offset: bigint; length: bigint } }): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const name = b.createString('w');
  const shape = Tensor.createShapeVector(b, o.shape ?? [2, 3]);
  const sig = o.signature ? Tensor.createShapeSignatureVector(b, o.signature) : 0;
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  Tensor.addType(b, TensorType.FLOAT32);
  Tensor.addBuffer(b, o.bufferIndex ?? 1);
  Tensor.addName(b, name);
  if (sig) Tensor.addShapeSignature(b, sig);
  if (o.external) Tensor.addExternalBuffer(b, 1);
  const t = Tensor.endTensor(b);
  const tensors = SubGraph.createTensorsVector(b, [t]);
  const inputs = SubGraph.createInputsVector(b, [0]);
  const outputs = SubGraph.createOutputsVector(b, [0]);
  const sgName = b.createString('main');
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, tensors);
  SubGraph.addInputs(b, inputs);
  SubGraph.addOutputs(b, outputs);
  SubGraph.addName(b, sgName);
  const sg = SubGraph.endSubGraph(b);
  const empty = TflBuffer.createBuffer(b, 0, 0n, 0n);
  const data = o.data ? TflBuffer.createDataVector(b, o.data) : 0;
  const buf1 = TflBuffer.createBuffer(b, data, o.outside?.offset ?? 0n, o.outside?.size ?? 0n);
  const subgraphs = Model.createSubgraphsVector(b, [sg]);
  const buffers = Model.createBuffersVector(b, [empty, buf1]);
  const desc = b.createString('built by the test');
  let groups = 0;
  let externals = 0;
  if (o.external) {
    groups = Model.createExternalBufferGroupsVector(b, [ExternalBufferGroup.createExternalBufferGroup(b, b.createString(o.external.group))]);
    externals = Model.createExternalBuffersVector(b, [ExternalBuffer.createExternalBuffer(b, 1, 0, o.external.offset, o.external.length, 0)]);
  }
  Model.startModel(b);
  Model.addVersion(b, o.version ?? 3);
  Model.addSubgraphs(b, subgraphs);
  Model.addBuffers(b, buffers);
  Model.addDescription(b, desc);
  if (groups) Model.addExternalBufferGroups(b, groups);
  if (externals) Model.addExternalBuffers(b, externals);
  b.finish(Model.endModel(b), 'TFL3');
  return b.asUint8Array();
}

const floats = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);

describe('TFLite reader', function () {
  this.timeout(120_000);
  let dir: string;
  const f = (...p: string[]) => path.join(dir, ...p);
  const fx = (name: string) => fixture('tflite', name);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-tflite-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every fixture: the summary agrees with flatc --json (tensors, types, shapes, quantization, operators, buffers, signatures, metadata) and every constant reads as flatc’s bytes decode', async () => {
    for (const name of Object.keys(FACTS)) {
      const file = fx(name);
      const j = flatcJson(file, dir);
      const s = await readModelSummary(file);
      const at = (what: string) => `${name}: ${what}`;
      assert.strictEqual(s.format, 'tflite', at('format'));
      assert.ok(s.tflite, at('tflite info'));
      assert.strictEqual(s.tflite.schemaVersion, j.version, at('version'));
      assert.strictEqual(s.docString ?? '', j.description ?? '', at('description'));
      assert.strictEqual(s.tflite.buffers, j.buffers.length, at('buffers'));
      assert.strictEqual(s.tflite.bufferBytes, j.buffers.reduce((a, b) => a + (b.data?.length ?? 0), 0), at('buffer bytes'));
      assert.deepStrictEqual(
        s.tflite.operatorCodes.map((c) => (c.builtin ? c.name : `custom:${c.name}`)),
        j.operator_codes.map(refOpName),
        at('operator codes'),
      );
      assert.deepStrictEqual(s.tflite.operatorCodes.map((c) => c.version), j.operator_codes.map((c) => c.version ?? 1), at('operator versions'));
      assert.strictEqual(s.tflite.subgraphs.length, j.subgraphs.length, at('subgraphs'));
      let params = 0;
      for (const [k, g] of j.subgraphs.entries()) {
        const jt = g.tensors ?? [];
        const info: { name: string; path: string; tensors: number; operators: number } = s.tflite.subgraphs[k];
        assert.strictEqual(info.name, g.name ?? '', at(`subgraph ${k} name`));
        assert.strictEqual(info.tensors, jt.length, at(`subgraph ${k} tensors`));
        assert.strictEqual(info.operators, (g.operators ?? []).length, at(`subgraph ${k} operators`));
        // constants: tensors whose buffer holds data, in tensor order
        const consts = jt.filter((t) => (j.buffers[t.buffer ?? 0]?.data?.length ?? 0) > 0);
        const ours = s.tensors.filter((t) => t.graphPath === info.path);
        assert.deepStrictEqual(ours.map((t) => t.name), consts.map((t) => t.name), at('constant tensors'));
        for (const [i, t] of consts.entries()) {
          const o = ours[i];
          const type = t.type ?? 'FLOAT32';
          const data = j.buffers[t.buffer!].data!;
          assert.strictEqual(o.dtype, type.toLowerCase(), at(`${o.name} dtype`));
          assert.deepStrictEqual(o.shape, t.shape ?? [], at(`${o.name} shape`));
          assert.strictEqual(o.paramCount, prod(t.shape ?? []), at(`${o.name} paramCount`));
          assert.deepStrictEqual(o.location.kind === 'raw' && o.location.length, data.length, at(`${o.name} buffer length`));
          params += o.paramCount;
          const q = t.quantization;
          if (q?.scale?.length) {
            assert.ok(o.quantization, at(`${o.name} quantization`));
            assert.strictEqual(o.quantization.scale.length, q.scale.length, at(`${o.name} scales`));
            o.quantization.scale.forEach((x, n) => assert.ok(Math.abs(x - q.scale![n]) <= SCALE_TOL, at(`${o.name} scale ${n}: ${x} vs flatc ${q.scale![n]}`)));
            assert.deepStrictEqual(o.quantization.zeroPoint, q.zero_point ?? [], at(`${o.name} zero points`));
            assert.strictEqual(o.quantization.axis, q.quantized_dimension ?? 0, at(`${o.name} quantized dimension`));
          } else assert.strictEqual(o.quantization, undefined, at(`${o.name} not quantized`));
          const d = await readTensor(file, s, o);
          const ref = decodeRef(type, data);
          assert.strictEqual(d.data.length, ref.length, at(`${o.name} value count`));
          for (let n = 0; n < ref.length; n++) {
            if (!Object.is(d.data[n], ref[n])) assert.fail(at(`${o.name}[${n}]: ours ${d.data[n]}, flatc's bytes ${ref[n]}`));
          }
        }
        // operators, in order: kind, inputs and outputs by tensor name (-1: an optional input left out)
        const nodes = s.nodes.filter((n) => n.graphPath === info.path);
        const tname = (x: number) => (x === -1 ? '' : (jt[x].name ?? ''));
        assert.deepStrictEqual(
          nodes.map((n) => ({ op: n.domain === 'custom' ? `custom:${n.opType}` : n.opType, inputs: n.inputs, outputs: n.outputs })),
          (g.operators ?? []).map((op) => ({ op: refOpName(j.operator_codes[op.opcode_index ?? 0]), inputs: (op.inputs ?? []).map(tname), outputs: (op.outputs ?? []).map(tname) })),
          at(`subgraph ${k} operators`),
        );
        // inputs and outputs: names, types, shapes (shape_signature −1: unknown)
        const io = (xs: number[] | undefined) =>
          (xs ?? []).map((x) => {
            const t = jt[x];
            const shape = t.shape ?? [];
            const sig = t.shape_signature;
            return { name: t.name, dtype: (t.type ?? 'FLOAT32').toLowerCase(), shape: sig ? sig.map((d, n) => (d < 0 ? null : shape[n])) : shape };
          });
        const g0 = s.graphs.find((x) => x.path === info.path)!;
        assert.deepStrictEqual(g0.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })), io(g.inputs), at('inputs'));
        assert.deepStrictEqual(g0.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })), io(g.outputs), at('outputs'));
      }
      assert.strictEqual(s.parameterCount, params, at('parameter count'));
      // metadata entries by name, signature defs by key with their names and tensors
      const sigs = j.signature_defs ?? [];
      assert.deepStrictEqual(
        Object.keys(s.metadata).sort(),
        [...(j.metadata ?? []).map((m) => m.name), ...sigs.map((x) => `signature ${x.signature_key ?? ''}`)].sort(),
        at('metadata'),
      );
      assert.deepStrictEqual(
        s.tflite.signatureDefs,
        sigs.map((x) => {
          const tensors = j.subgraphs[x.subgraph_index ?? 0].tensors ?? [];
          const m = (l: { name: string; tensor_index?: number }[] | undefined) => (l ?? []).map((e) => ({ name: e.name, tensor: tensors[e.tensor_index ?? 0].name }));
          return { key: x.signature_key ?? '', subgraph: x.subgraph_index ?? 0, inputs: m(x.inputs), outputs: m(x.outputs) };
        }),
        at('signature defs'),
      );
    }
  });

  it('every fixture: the facts recorded for it (counts, op histogram, constant elements, inputs and outputs)', async () => {
    for (const [name, fact] of Object.entries(FACTS)) {
      const s = await readModelSummary(fx(name));
      const at = (what: string) => `${name}: ${what}`;
      assert.strictEqual(s.fileSize, fact.size, at('size'));
      assert.strictEqual(s.docString, fact.description, at('description'));
      assert.strictEqual(s.tflite!.operatorCodes.length, fact.operatorCodes, at('operator codes'));
      assert.strictEqual(s.tflite!.buffers, fact.buffers, at('buffers'));
      assert.strictEqual(s.tflite!.signatureDefs.length, fact.signatureDefs, at('signature defs'));
      for (const m of fact.metadata) assert.ok(m in s.metadata, at(`metadata ${m}`));
      assert.strictEqual(s.tflite!.subgraphs.length, 1, at('subgraphs'));
      assert.strictEqual(s.graphs[0].name, fact.subgraph.name ?? '', at('subgraph name'));
      assert.strictEqual(s.tflite!.subgraphs[0].tensors, fact.subgraph.tensors, at('tensors'));
      assert.strictEqual(s.nodes.length, fact.subgraph.operators, at('operators'));
      const hist = Object.fromEntries(Object.entries(fact.subgraph.ops).map(([k, v]) => [k.replace(/^CUSTOM:/, 'custom:'), v]));
      assert.deepStrictEqual(s.opHistogram, hist, at('op histogram'));
      assert.strictEqual(s.parameterCount, fact.subgraph.constElements, at('parameters (constant elements)'));
      for (const [ours, theirs, what] of [
        [s.inputs, fact.subgraph.inputs, 'input'],
        [s.outputs, fact.subgraph.outputs, 'output'],
      ] as const) {
        assert.deepStrictEqual(ours.map((v) => [v.name, v.dtype]), theirs.map((v) => [v.name, v.type.toLowerCase()]), at(what));
        // the facts give `shape`; ours is the shape signature where it has unknown (−1) dimensions
        ours.forEach((v, n) => {
          assert.strictEqual(v.shape!.length, theirs[n].shape.length, at(`${what} rank`));
          v.shape!.forEach((d, k) => assert.ok(d === null || d === theirs[n].shape[k], at(`${what} ${v.name} dim ${k}: ${d} vs ${theirs[n].shape[k]}`)));
        });
      }
    }
  });

  it('hello_world over time: 2021 → 2023-02 keeps every weight’s integers (3 renamed; scales re-rounded by ~1e-6) and adds QUANTIZE/DEQUANTIZE, turning the int8 interface to float32', async () => {
    const d = await diffModels(fx('tflm_hello_world_2021.tflite'), fx('tflm_hello_world_2023-02.tflite'), { allWeightRows: true });
    const c = d.weights.counts;
    assert.deepStrictEqual([c.added, c.removed, c.shapeChanged, c.dtypeChanged, c.identical + c.changed], [0, 0, 0, 0, 6]);
    // the re-conversion kept every integer but re-rounded some scales: those values moved by ~1e-6 relative
    for (const r of d.weights.rows.filter((x) => x.status === 'changed')) {
      assert.ok(r.stats!.relative! < 1e-5 && r.stats!.cosine! > 0.999999, `${r.a!.name}: ${JSON.stringify(r.stats)}`);
      assert.strictEqual(r.note, 'statistics of dequantized values, scale × (q − zero point)');
    }
    assert.deepStrictEqual(
      d.weights.rows.filter((r) => r.renamed).map((r) => [r.a!.name, r.b!.name]).sort(),
      [
        ['sequential_1/dense_2/MatMul', 'std.constant'],
        ['sequential_1/dense_3/MatMul', 'std.constant1'],
        ['sequential_1/dense_4/MatMul', 'std.constant2'],
      ],
    );
    assert.deepStrictEqual(
      d.graph.rows.map((r) => [r.status, r.opType]).sort(),
      [
        ['added', 'DEQUANTIZE'],
        ['added', 'QUANTIZE'],
      ],
    );
    assert.ok(d.interface.breaking);
    assert.deepStrictEqual(d.interface.inputs.b.map((v) => v.dtype), ['float32']);
    // the verdict says so: a re-encoding, not a retraining (every changed weight within 1e-5 relative)
    assert.ok(d.verdicts.some((v) => /^re-encoded: 3\/5 weight tensors differ only at float-rounding level \(relative change ≤ 1e-5\)/.test(v)), d.verdicts.join('\n'));
    assert.ok(!d.verdicts.some((v) => v.startsWith('retrained')), d.verdicts.join('\n'));
    // the float and int8 hello_world are trained apart: retrained, not re-encoded
    const other = await diffModels(fx('tflm_hello_world_float.tflite'), fx('tflm_hello_world_int8.tflite'));
    assert.ok(!other.verdicts.some((v) => v.startsWith('re-encoded')), other.verdicts.join('\n'));
    const same = await diffModels(fx('tflm_hello_world_2023-02.tflite'), fx('tflm_hello_world_2023-02.tflite'));
    assert.strictEqual(same.weights.same, true);
    assert.strictEqual(same.graph.counts.unchanged, 5);
  });

  it('float → int8 (trained_lstm): every weight changes type, compared in real units (scale × (q − zero point)) as flatc’s numbers give them', async () => {
    const fa = fx('tflm_trained_lstm.tflite');
    const fb = fx('tflm_trained_lstm_int8.tflite');
    const ja = flatcJson(fa, dir);
    const jb = flatcJson(fb, dir);
    const d = await diffModels(fa, fb);
    const rows = d.weights.rows.filter((r) => r.status === 'dtype-changed');
    assert.strictEqual(rows.length, 14);
    const byName = (j: JModel, n: string) => j.subgraphs[0].tensors!.find((t) => t.name === n)!;
    for (const r of rows) {
      assert.strictEqual(r.note, 'statistics of dequantized values, scale × (q − zero point)', r.a!.name);
      const ta = byName(ja, r.a!.name);
      const tb = byName(jb, r.b!.name);
      const x = decodeRef(ta.type ?? 'FLOAT32', ja.buffers[ta.buffer!].data!).map(Number);
      const q = decodeRef(tb.type!, jb.buffers[tb.buffer!].data!).map(Number);
      const { scale, zero_point: zp = [], quantized_dimension: axis = 0 } = tb.quantization!;
      const inner = prod(tb.shape!.slice(axis + 1));
      const y = q.map((v, n) => {
        const c = scale!.length === 1 ? 0 : Math.floor(n / inner) % scale!.length;
        return scale![c] * (v - (zp[c] ?? 0));
      });
      const maxAbs = Math.max(...x.map((v, n) => Math.abs(y[n] - v)));
      // flatc prints each scale to 6 decimals: the reference is off by up to |q| × 5e-7
      const tol = Math.max(...q.map(Math.abs)) * SCALE_TOL + 1e-9;
      assert.ok(Math.abs(r.stats!.maxAbs! - maxAbs) <= tol, `${r.a!.name}: max|Δ| ours ${r.stats!.maxAbs}, flatc's numbers ${maxAbs} (±${tol})`);
      assert.ok(r.stats!.cosine! > 0.999, `${r.a!.name}: cosine ${r.stats!.cosine}: the int8 model is the float one quantized`);
    }
  });

  it('a per-channel quantized weight (micro_speech) changed in one element: one element changed, by that channel’s scale', async () => {
    const file = fx('tflm_micro_speech_quantized.tflite');
    const s = await readModelSummary(file);
    const j = flatcJson(file, dir);
    const t = s.tensors.find((x) => x.dtype === 'int8' && x.quantization && x.quantization.scale.length > 1)!;
    assert.ok(t, 'a per-channel int8 weight');
    const q = t.quantization!;
    const jq = j.subgraphs[0].tensors!.find((x) => x.name === t.name)!.quantization!;
    const inner = prod(t.shape.slice(q.axis + 1));
    // an element of a channel whose scale differs from channel 0's (so the channel matters)
    const c = q.scale.findIndex((x) => Math.abs(x - q.scale[0]) > 1e-4 * q.scale[0]);
    assert.ok(c > 0, 'channels with different scales');
    const n = c * inner;
    const raw = fs.readFileSync(file);
    const off = (t.location as { offset: number }).offset + n;
    const before = raw.readInt8(off);
    const after = before < 100 ? before + 3 : before - 3;
    raw.writeInt8(after, off);
    fs.writeFileSync(f('micro_one.tflite'), raw);
    const d = await diffModels(file, f('micro_one.tflite'));
    const changed = d.weights.rows.filter((r) => r.status !== 'identical');
    assert.deepStrictEqual(changed.map((r) => [r.status, r.a!.name]), [['changed', t.name]]);
    const st = changed[0].stats!;
    assert.strictEqual(st.changedCount, 1);
    assert.ok(Math.abs(st.maxAbs! - 3 * jq.scale![c]) <= 3 * SCALE_TOL, `max|Δ| ${st.maxAbs} vs 3 × flatc's scale ${jq.scale![c]} of channel ${c}`);
  });

  it('modelver inspect --json carries every tensor name and the parameter count; diff exits 0 for a file against itself, 1 naming the one tensor changed', async () => {
    const file = fx('tflm_hello_world_float.tflite');
    const j = flatcJson(file, dir);
    const r = await cli('inspect', file, '--json');
    assert.strictEqual(r.code, 0, r.err);
    const out = JSON.parse(r.out) as ModelSummary;
    const consts = j.subgraphs[0].tensors!.filter((t) => (j.buffers[t.buffer ?? 0]?.data?.length ?? 0) > 0);
    assert.deepStrictEqual(out.tensors.map((t: TensorInfo) => t.name).sort(), consts.map((t) => t.name!).sort());
    assert.strictEqual(out.parameterCount, 321);
    const text = await cli('inspect', file);
    assert.match(text.out, /format: +TFLite \(schema 3\)/);
    assert.match(text.out, /operators:\n {2}FULLY_CONNECTED ×3/);
    assert.match(text.out, /min_runtime_version: 1\.5\.0/);

    const same = await cli('diff', file, file);
    assert.strictEqual(same.code, 0, same.err + same.out);
    const s = await readModelSummary(file);
    const w = s.tensors.find((t) => t.name === 'sequential/dense_1/MatMul')!;
    const raw = fs.readFileSync(file);
    const loc = w.location as { offset: number };
    raw.writeFloatLE(raw.readFloatLE(loc.offset + 20) + 0.5, loc.offset + 20);
    fs.writeFileSync(f('hello_one.tflite'), raw);
    const d = await cli('diff', file, f('hello_one.tflite'));
    assert.strictEqual(d.code, 1, d.err);
    assert.match(d.out, /sequential\/dense_1\/MatMul/);
    const dj = JSON.parse((await cli('diff', file, f('hello_one.tflite'), '--json')).out) as { weights: { rows: { status: string; a?: { name: string }; stats?: { maxAbs: number; changedCount: number } }[] } };
    const rows = dj.weights.rows.filter((x) => x.status !== 'identical');
    assert.deepStrictEqual(rows.map((x) => [x.status, x.a?.name]), [['changed', 'sequential/dense_1/MatMul']]);
    assert.strictEqual(rows[0].stats!.changedCount, 1);
    assert.ok(Math.abs(rows[0].stats!.maxAbs - 0.5) < 1e-6);
  });

  it('buffers stored past the FlatBuffer (offset/size from the start of the file, as in models over 2 GB) are located and read; a shape signature’s −1 is an unknown dimension', async () => {
    const values = [1.5, -2, 3.25, 0, 7, -0.125];
    const probe = buildModel({ outside: { offset: 2n, size: 24n }, signature: [-1, 3] });
    const at = Math.ceil((probe.length + 64) / 16) * 16;
    const fb = buildModel({ outside: { offset: BigInt(at), size: 24n }, signature: [-1, 3] });
    assert.strictEqual(fb.length, probe.length);
    const file = f('outside.tflite');
    fs.writeFileSync(file, Buffer.concat([fb, Buffer.alloc(at - fb.length), floats(values)]));
    const j = flatcJson(file, dir);
    assert.deepStrictEqual([j.buffers[1].offset, j.buffers[1].size], [at, 24], 'flatc reads the same offset and size');
    const s = await readModelSummary(file);
    assert.deepStrictEqual(s.tensors.map((t) => [t.name, t.dtype, t.shape, t.location]), [['w', 'float32', [2, 3], { kind: 'raw', offset: at, length: 24 }]]);
    assert.deepStrictEqual(s.inputs[0].shape, [null, 3]);
    assert.deepStrictEqual(Array.from((await readTensor(file, s, s.tensors[0])).data as Float32Array), values);
    // the same bytes inside the FlatBuffer read the same
    const inside = f('inside.tflite');
    fs.writeFileSync(inside, buildModel({ data: floats(values) }));
    const si = await readModelSummary(inside);
    assert.deepStrictEqual(Array.from((await readTensor(inside, si, si.tensors[0])).data as Float32Array), values);
    // a buffer past the end of the file: the file was cut off
    fs.writeFileSync(f('cut.tflite'), Buffer.concat([fb, Buffer.alloc(at - fb.length), floats(values).subarray(0, 20)]));
    await rejectsWith(f('cut.tflite'), 'TRUNCATED', /buffer 1 lies at bytes \d+–\d+ of the file, but the file has \d+ bytes.*cut off/);
  });

  it('a model of 5 GB (a sparse file: the FlatBuffer, then a buffer at byte 5,000,000,000) is summarized from its tables alone, and its tensor read there', async () => {
    const values = [3, 1, 4, 1, 5, 9];
    const at = 5_000_000_000;
    const file = f('big.tflite');
    fs.writeFileSync(file, buildModel({ outside: { offset: BigInt(at), size: 24n } }));
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, floats(values), 0, 24, at);
    } finally {
      fs.closeSync(fd);
    }
    assert.strictEqual(fs.statSync(file).size, at + 24);
    const t0 = process.hrtime.bigint();
    const s = await readModelSummary(file);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.deepStrictEqual(s.tensors.map((t) => t.location), [{ kind: 'raw', offset: at, length: 24 }]);
    assert.strictEqual(s.fileSize, at + 24);
    assert.ok(ms < 1000, `summary took ${ms} ms`);
    assert.deepStrictEqual(Array.from((await readTensor(file, s, s.tensors[0])).data as Float32Array), values);
    const same = await diffModels(file, file);
    assert.strictEqual(same.weights.same, true);
  });

  it('files read page by page (as files over 64 MiB are: pages of 1000 bytes, 3 held) summarize exactly as when read whole, errors included', async () => {
    const names = Object.keys(FACTS);
    const whole = await Promise.all(names.map((n) => readModelSummary(fx(n))));
    fs.writeFileSync(f('cut_paged.tflite'), fs.readFileSync(fx('tflm_trained_lstm_int8.tflite')).subarray(0, 9000));
    const wholeErr = await readModelSummary(f('cut_paged.tflite')).catch((e: Error) => e.message);
    const before = configureTfliteReads({ wholeFileBytes: 0, pageBytes: 1000, maxPages: 3 });
    try {
      for (const [i, n] of names.entries()) assert.deepStrictEqual(await readModelSummary(fx(n)), whole[i], n);
      await rejectsWith(f('cut_paged.tflite'), 'TRUNCATED', /past the end of the file \(9000 bytes\)/);
      assert.strictEqual(await readModelSummary(f('cut_paged.tflite')).catch((e: Error) => e.message), wholeErr);
    } finally {
      configureTfliteReads(before);
    }
  });

  it('external buffers (schema 3d): a tensor’s data in a file beside the model is located there and read; files outside the folder or missing are refused', async () => {
    const values = [0.5, 1, -1, 2, -2, 4];
    const sub = f('ext');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'weights.bin'), Buffer.concat([Buffer.alloc(16, 0xee), floats(values)]));
    const file = path.join(sub, 'model.tflite');
    fs.writeFileSync(file, buildModel({ bufferIndex: 0, external: { group: 'weights.bin', offset: 16n, length: 24n } }));
    const j = flatcJson(file, dir);
    assert.deepStrictEqual(j.subgraphs[0].tensors![0].buffer ?? 0, 0, 'flatc: no embedded buffer');
    const jx = (j as unknown as { external_buffers: { id: number; offset: number; length: number }[]; external_buffer_groups: { name: string }[] });
    assert.deepStrictEqual([jx.external_buffers[0], jx.external_buffer_groups[0].name], [{ id: 1, offset: 16, length: 24 }, 'weights.bin'], 'flatc reads the external buffer');
    const s = await readModelSummary(file);
    assert.deepStrictEqual(s.tensors.map((t) => t.location), [{ kind: 'external', file: path.join(sub, 'weights.bin'), offset: 16, length: 24 }]);
    assert.deepStrictEqual(Array.from((await readTensor(file, s, s.tensors[0])).data as Float32Array), values);
    fs.writeFileSync(path.join(sub, 'escape.tflite'), buildModel({ bufferIndex: 0, external: { group: '../outside.bin', offset: 0n, length: 24n } }));
    await rejectsWith(path.join(sub, 'escape.tflite'), 'EXTERNAL_DATA_ESCAPES', /"\.\.\/outside\.bin", which is not inside the model's folder/);
    fs.writeFileSync(path.join(sub, 'missing.tflite'), buildModel({ bufferIndex: 0, external: { group: 'gone.bin', offset: 0n, length: 24n } }));
    await rejectsWith(path.join(sub, 'missing.tflite'), 'EXTERNAL_DATA_MISSING', /gone\.bin, which is missing/);
  });

  it('hostile or damaged files fail with a ModelFormatError that says what is wrong', async () => {
    const hello = fs.readFileSync(fx('tflm_hello_world_int8.tflite'));
    // a .tflite that is not one
    fs.writeFileSync(f('text.tflite'), 'this is not a model at all');
    await rejectsWith(f('text.tflite'), 'NOT_A_MODEL', /not a TFLite model: bytes 4–8 are .* not the file identifier "TFL3"/);
    // cut off
    fs.writeFileSync(f('half.tflite'), hello.subarray(0, 1200));
    await rejectsWith(f('half.tflite'), 'TRUNCATED', /past the end of the file \(1200 bytes\).*cut off/);
    fs.writeFileSync(f('tiny.tflite'), hello.subarray(0, 6));
    await rejectsWith(f('tiny.tflite'), 'TRUNCATED', /6 bytes, fewer than the 8/);
    // the root offset points nowhere
    const root = Buffer.from(hello);
    root.writeUInt32LE(0x7fffff00, 0);
    fs.writeFileSync(f('root.tflite'), root);
    await rejectsWith(f('root.tflite'), 'CORRUPT', /root offset \d+ does not point inside the file/);
    // a tensor naming a buffer the model does not have
    fs.writeFileSync(f('buffer.tflite'), buildModel({ bufferIndex: 9, data: floats([1, 2, 3, 4, 5, 6]) }));
    await rejectsWith(f('buffer.tflite'), 'CORRUPT', /tensor "w" of subgraph 0 uses buffer 9, but the model has 2 buffers/);
    // a buffer whose size does not match the tensor's shape
    fs.writeFileSync(f('size.tflite'), buildModel({ data: floats([1, 2, 3]) }));
    await rejectsWith(f('size.tflite'), 'CORRUPT', /tensor "w" of subgraph 0 \(float32, shape \[2, 3\]\) needs 24 bytes, but its buffer 1 holds 12/);
    // a negative dimension
    fs.writeFileSync(f('neg.tflite'), buildModel({ shape: [2, -3], data: floats([1, 2, 3, 4, 5, 6]) }));
    await rejectsWith(f('neg.tflite'), 'CORRUPT', /shape \[2, -3\] with a negative dimension/);
    // schema version 2 kept weights in tensors
    fs.writeFileSync(f('v2.tflite'), buildModel({ version: 2, data: floats([1, 2, 3, 4, 5, 6]) }));
    await rejectsWith(f('v2.tflite'), 'UNSUPPORTED', /schema version 2.*only schema version 3/);
    // the dispatcher sends TFL3 files here whatever their name; a damaged .tflite is reported as TFLite
    fs.writeFileSync(f('model.bin'), hello);
    assert.strictEqual((await readModelSummary(f('model.bin'))).format, 'tflite');
    assert.ok(isTflite(hello.subarray(0, 16)));
    assert.ok(!isTflite(Buffer.from('\x08\x00\x00\x00TFL2')));
  });
});
