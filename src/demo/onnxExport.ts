/**
 * The demo's model as ONNX: Gemm → Relu → Gemm → Sigmoid, input `user_behaviour` [batch, n], output
 * `purchase_probability` [batch, 1]. Dropout is a training-time layer; like the usual Keras → ONNX
 * converters we leave it out of the inference graph and say so in the metadata.
 * Written with onnx-proto (bundled into dist/demo.js); the bytes depend only on the weights and names.
 */
import { onnx } from 'onnx-proto';
import type { exportWeights } from './train';

type Weights = ReturnType<typeof exportWeights>;

export const INPUT_NAME = 'user_behaviour';
export const OUTPUT_NAME = 'purchase_probability';

function tensor(name: string, dims: number[], values: Float32Array): onnx.TensorProto {
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
}

function io(name: string, dims: (number | string)[]): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

export function mlpToOnnx(w: Weights, features: readonly string[], opts: { version: string; description: string }): Buffer {
  const n = features.length;
  const units = w.bias1.length;
  const graph = onnx.GraphProto.create({
    name: 'purchase_mlp',
    node: [
      onnx.NodeProto.create({ name: 'dense', opType: 'Gemm', input: [INPUT_NAME, 'dense/kernel', 'dense/bias'], output: ['dense_out'] }),
      onnx.NodeProto.create({ name: 'dense_relu', opType: 'Relu', input: ['dense_out'], output: ['hidden'] }),
      onnx.NodeProto.create({ name: 'dense_1', opType: 'Gemm', input: ['hidden', 'dense_1/kernel', 'dense_1/bias'], output: ['logit'] }),
      onnx.NodeProto.create({ name: 'dense_1_sigmoid', opType: 'Sigmoid', input: ['logit'], output: [OUTPUT_NAME] }),
    ],
    initializer: [
      tensor('dense/kernel', [n, units], w.kernel1),
      tensor('dense/bias', [units], w.bias1),
      tensor('dense_1/kernel', [units, 1], w.kernel2),
      tensor('dense_1/bias', [1], w.bias2),
    ],
    input: [io(INPUT_NAME, ['batch', n])],
    output: [io(OUTPUT_NAME, ['batch', 1])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'model-versions-demo',
    producerVersion: opts.version,
    opsetImport: [{ domain: '', version: 17 }],
    graph,
    docString: opts.description,
    metadataProps: [
      { key: 'features', value: features.join(',') },
      { key: 'architecture', value: `Dense ${units} relu -> Dropout 0.2 -> Dense 1 sigmoid` },
      { key: 'dropout', value: '0.2 (training only; not in the inference graph)' },
    ],
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
