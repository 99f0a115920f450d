/** Small ONNX models built in the tests (onnx-proto), with weights the tests know. */
import { onnx } from 'onnx-proto';

export { mulberry32 as rng } from '../../src/core/metrics/rng';

/** x [batch,2] → Gemm(w [2,1], b [1]) → (Sigmoid) → y [batch,1]: a logistic (or linear) model of two features. */
export function linearModel(w: [number, number], b: number, sigmoid = true, producer = 'model-versions tests'): Buffer {
  const tensor = (name: string, dims: number[], v: number[]) =>
    onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(Float32Array.from(v).buffer) });
  const io = (name: string, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
  const nodes = [onnx.NodeProto.create({ name: 'fc', opType: 'Gemm', input: ['x', 'w', 'b'], output: [sigmoid ? 'z' : 'y'] })];
  if (sigmoid) nodes.push(onnx.NodeProto.create({ name: 'sig', opType: 'Sigmoid', input: ['z'], output: ['y'] }));
  const graph = onnx.GraphProto.create({
    name: 'logistic',
    node: nodes,
    initializer: [tensor('w', [2, 1], w), tensor('b', [1], [b])],
    input: [io('x', ['batch', 2])],
    output: [io('y', ['batch', 1])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: producer, opsetImport: [{ domain: '', version: 17 }], graph });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
