# Seeded MLPs for bench/gpu/run.sh (ONNX, opset 17) and an evaluation CSV for the 256-2048-2048-10 one.
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]; rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
rng = np.random.default_rng(7)
def mlp(name, dims):
    nodes, inits = [], []
    x = 'x'
    for i in range(len(dims) - 1):
        w = (rng.standard_normal((dims[i], dims[i+1])) * np.sqrt(2.0 / dims[i])).astype(np.float32)
        b = (rng.standard_normal(dims[i+1]) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f'w{i}'), numpy_helper.from_array(b, f'b{i}')]
        y = f'h{i}' if i < len(dims) - 2 else 'logits'
        nodes.append(helper.make_node('Gemm', [x, f'w{i}', f'b{i}'], [y + ('_pre' if i < len(dims) - 2 else '')]))
        if i < len(dims) - 2:
            nodes.append(helper.make_node('Relu', [y + '_pre'], [y]))
        x = y
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', dims[0]])],
                          [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', dims[-1]])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, f'{out}/{name}.onnx')
    return [(numpy_helper.to_array(t)) for t in inits]
mlp('issue_mlp', [64, 256, 256, 10])
mlp('big_mlp', [1024, 4096, 4096, 4096, 1000])
ws = mlp('wide_mlp', [256, 2048, 2048, 10])
# an evaluation CSV for wide_mlp, labels from the model itself plus 10% noise
X = rng.standard_normal((rows, 256)).astype(np.float32)
h = X
for i in range(0, len(ws), 2):
    h = h @ ws[i] + ws[i+1]
    if i < len(ws) - 2: h = np.maximum(h, 0)
y = h.argmax(1); flip = rng.random(rows) < 0.1; y[flip] = rng.integers(0, 10, flip.sum())
with open(f'{out}/wide.csv', 'w') as f:
    f.write(','.join([f'f{i}' for i in range(256)] + ['label']) + '\n')
    for r in range(rows):
        f.write(','.join(f'{v:.5g}' for v in X[r]) + f',{y[r]}\n')
print('models and csv written', rows)
