/** Small ONNX models built in the tests (onnx-proto), with weights the tests know. */
import { onnx } from 'onnx-proto';

export { mulberry32 as rng } from '../../src/core/metrics/rng';

/** a float32 initializer */
const f32 = (name: string, dims: number[], v: number[]) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(Float32Array.from(v).buffer) });
/** a float32 graph input or output; a string dimension is free (dim_param) */
const io = (name: string, dims: (string | number)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
const encode = (graph: onnx.IGraphProto, producer: string): Buffer =>
  Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: producer, opsetImport: [{ domain: '', version: 17 }], graph })).finish());

/** x [batch,2] → Gemm(w [2,1], b [1]) → (Sigmoid) → y [batch,1]: a logistic (or linear) model of two features. */
export function linearModel(w: [number, number], b: number, sigmoid = true, producer = 'model-versions tests'): Buffer {
  const nodes = [onnx.NodeProto.create({ name: 'fc', opType: 'Gemm', input: ['x', 'w', 'b'], output: [sigmoid ? 'z' : 'y'] })];
  if (sigmoid) nodes.push(onnx.NodeProto.create({ name: 'sig', opType: 'Sigmoid', input: ['z'], output: ['y'] }));
  const graph = onnx.GraphProto.create({
    name: 'logistic',
    node: nodes,
    initializer: [f32('w', [2, 1], w), f32('b', [1], [b])],
    input: [io('x', ['batch', 2])],
    output: [io('y', ['batch', 1])],
  });
  return encode(graph, producer);
}

/** sigmoid(w · sum(x) + b) of an input float[batch, h, w] with free h and w (a pooled image model). */
export function pooledModel(w: number, b: number): Buffer {
  const i64 = (name: string, v: number[]) =>
    onnx.TensorProto.create({ name, dims: [v.length], dataType: onnx.TensorProto.DataType.INT64, rawData: Buffer.from(BigInt64Array.from(v.map(BigInt)).buffer) });
  const graph = onnx.GraphProto.create({
    name: 'pooled',
    node: [
      onnx.NodeProto.create({ name: 'sum', opType: 'ReduceSum', input: ['x', 'axes'], output: ['s'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }),
      onnx.NodeProto.create({ name: 'col', opType: 'Unsqueeze', input: ['s', 'one'], output: ['c'] }),
      onnx.NodeProto.create({ name: 'mul', opType: 'Mul', input: ['c', 'w'], output: ['m'] }),
      onnx.NodeProto.create({ name: 'add', opType: 'Add', input: ['m', 'b'], output: ['z'] }),
      onnx.NodeProto.create({ name: 'sig', opType: 'Sigmoid', input: ['z'], output: ['y'] }),
    ],
    initializer: [i64('axes', [1, 2]), i64('one', [1]), f32('w', [1], [w]), f32('b', [1], [b])],
    input: [io('x', ['batch', 'h', 'w'])],
    output: [io('y', ['batch', 1])],
  });
  return encode(graph, 'model-versions tests');
}
