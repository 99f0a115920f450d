"""Baseline of the `modelver eval` bench row (bench/eval.ts): what a Python user runs instead.

    python3 numpy_mlp.py DATA.csv WEIGHTS_DIR [--load-only]

numpy.loadtxt reads the CSV (header skipped, float32: the model's type), then the model's forward pass
in numpy with the same weights (WEIGHTS_DIR/w0.f32, b0.f32, ... as little-endian float32, shapes in
WEIGHTS_DIR/shapes.txt, one "name d0 d1 ..." line each): x @ W + b, ReLU between layers. Prints the
rows and the accuracy of the argmax against the label column (the last). --load-only stops after
loadtxt (the part of the work that does not depend on numpy's BLAS).
"""
import os
import sys

import numpy as np


def main() -> None:
    csv, wdir = sys.argv[1], sys.argv[2]
    data = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.float32)
    x, y = data[:, :-1], data[:, -1].astype(np.int64)
    if "--load-only" in sys.argv:
        print(f"{len(x)} rows loaded")
        return
    shapes = {}
    with open(os.path.join(wdir, "shapes.txt")) as f:
        for line in f:
            name, *dims = line.split()
            shapes[name] = tuple(int(d) for d in dims)
    w = {n: np.fromfile(os.path.join(wdir, f"{n}.f32"), dtype="<f4").reshape(s) for n, s in shapes.items()}
    layers = len(shapes) // 2
    h = x
    for i in range(layers):
        h = h @ w[f"w{i}"] + w[f"b{i}"]
        if i < layers - 1:
            h = np.maximum(h, 0)
    acc = float((h.argmax(axis=1) == y).mean())
    print(f"{len(x)} rows, accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
