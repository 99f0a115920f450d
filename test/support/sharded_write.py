"""A Hugging Face style sharded safetensors model in two versions, for the folder-model tests
(test/unit/repoFolder.test.ts, test/integration/suite/repoShardedFolder.test.ts).

usage: sharded_write.py OUT  — writes OUT/v1 and OUT/v2, each holding model-00001-of-00002.safetensors,
model-00002-of-00002.safetensors, model.safetensors.index.json, config.json and tokenizer.json. Six F32
tensors [8, 4] (seeded numpy), three per shard; v2 scales layer.4.weight (second shard) by 1.5 and
changes config.json's hidden_size; tokenizer.json is the same in both."""
import json
import os
import sys

import numpy as np

from safetensors_write import write

out = sys.argv[1]
rng = np.random.default_rng(15)
base = [('layer.%d.weight' % i, 'F32', (8, 4), rng.standard_normal(32).astype('<f4').tobytes()) for i in range(6)]
changed = list(base)
changed[4] = (base[4][0], 'F32', (8, 4), (np.frombuffer(base[4][3], '<f4') * np.float32(1.5)).astype('<f4').tobytes())
for name, tensors, hidden in [('v1', base, 32), ('v2', changed, 48)]:
    d = os.path.join(out, name)
    os.makedirs(d)
    shards = {'model-00001-of-00002.safetensors': tensors[:3], 'model-00002-of-00002.safetensors': tensors[3:]}
    wm = {}
    for f, ts in shards.items():
        write(os.path.join(d, f), ts, {'format': 'pt'})
        for t in ts:
            wm[t[0]] = f
    with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as fh:
        json.dump({'metadata': {'total_size': sum(len(t[3]) for t in tensors)}, 'weight_map': wm}, fh, indent=2)
    with open(os.path.join(d, 'config.json'), 'w') as fh:
        json.dump({'architectures': ['TinyModel'], 'hidden_size': hidden}, fh)
    with open(os.path.join(d, 'tokenizer.json'), 'w') as fh:
        json.dump({'version': '1.0', 'model': {'type': 'BPE', 'vocab': {'a': 0, 'b': 1}}}, fh)
