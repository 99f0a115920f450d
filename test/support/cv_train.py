"""A real training command for the cross-validation tests (test/unit/crossValidate.test.ts).

usage: cv_train.py TRAIN.csv VALID.csv OUT.onnx --log LOG.jsonl [--l2 X] [--fail] [--hang] [--garbage] [--nothing]

Fits a logistic regression of y on x0, x1 by full-batch gradient descent in numpy (deterministic),
writes it as ONNX (Gemm + Sigmoid, python3-onnx) to OUT, and appends a line to LOG.jsonl: the accuracy of that
model on VALID computed here in numpy, the row counts, and the set of values of the column `g` in each
file (so the test can check that groups never straddle folds).
"""
import csv, json, sys, time
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

opts_with_value = {'--l2', '--log'}
argv = sys.argv[1:]
args = [a for i, a in enumerate(argv) if not a.startswith('--') and (i == 0 or argv[i - 1] not in opts_with_value)]
flags = [a for a in sys.argv[1:] if a.startswith('--')]
train, valid, out = args
l2 = float(sys.argv[sys.argv.index('--l2') + 1]) if '--l2' in sys.argv else 0.0
if '--fail' in flags:
    print('training blew up: CUDA out of memory (simulated)', file=sys.stderr)
    sys.exit(3)
if '--hang' in flags:
    print('starting a very long epoch', flush=True)
    time.sleep(600)

def read(f):
    with open(f) as fh:
        rows = list(csv.DictReader(fh))
    X = np.array([[float(r['x0']), float(r['x1'])] for r in rows])
    y = np.array([int(r['y']) for r in rows])
    g = sorted({r['g'] for r in rows}) if rows and 'g' in rows[0] else []
    return X, y, g

X, y, gt = read(train)
Xv, yv, gv = read(valid)
w = np.zeros(2); b = 0.0
for _ in range(300):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    w -= 0.5 * (X.T @ (p - y) / len(y) + l2 * w)
    b -= 0.5 * float(np.mean(p - y))
print('trained on %d rows: w = %s, b = %.4f' % (len(y), w.round(4).tolist(), b))
if '--nothing' in flags:
    sys.exit(0)
if '--garbage' in flags:
    open(out, 'wb').write(b'not a model at all\n' * 10)
    sys.exit(0)
W = w.astype(np.float32).reshape(2, 1); B = np.array([b], dtype=np.float32)
g = helper.make_graph([helper.make_node('Gemm', ['x', 'W', 'B'], ['z']), helper.make_node('Sigmoid', ['z'], ['p'])], 'logreg',
    [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 2])], [helper.make_tensor_value_info('p', TensorProto.FLOAT, ['batch', 1])],
    [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(B, 'B')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)], ir_version=8), out)
# the model as float32, as onnxruntime runs it
pv = 1 / (1 + np.exp(-(Xv.astype(np.float32) @ W[:, 0] + B[0])))
log = sys.argv[sys.argv.index('--log') + 1]
with open(log, 'a') as fh:
    fh.write(json.dumps({'accuracy': float(np.mean((pv > 0.5).astype(int) == yv)), 'train_rows': int(len(y)), 'valid_rows': int(len(yv)),
           'train_groups': gt, 'valid_groups': gv, 'valid_ones': int(yv.sum()), 'l2': l2}) + '\n')
