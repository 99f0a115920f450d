#!/usr/bin/env node
// Creates the sample workspace opened by `npm start`: the article's case study, an e-commerce site that
// predicts purchases from user behaviour with an MLP (Dense 128 relu -> Dropout 0.2 -> Dense 1 sigmoid),
// exported to ONNX. Weights come from a seeded generator, so the file is the same on every run.
// Usage: node scripts/make-sample.js DEST
const fs = require('fs');
const path = require('path');
const { onnx } = require('onnx-proto');

const dest = path.resolve(process.argv[2] || 'demo');
fs.mkdirSync(path.join(dest, 'models'), { recursive: true });

// mulberry32: small, seeded, reproducible
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FEATURES = ['pages_viewed', 'session_minutes', 'cart_adds', 'past_purchases', 'days_since_last_visit',
  'is_returning', 'device_mobile', 'referral_ads', 'discount_seen', 'wishlist_items'];

function tensor(name, dims, values) {
  const raw = Buffer.from(new Float32Array(values).buffer);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
}

function mlp(seed, hidden, features = FEATURES) {
  const r = rng(seed);
  const glorot = (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut));
  const w = (n, lim) => Array.from({ length: n }, () => (r() * 2 - 1) * lim);
  const n = features.length;
  const io = (name, dims) => onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const graph = onnx.GraphProto.create({
    name: 'purchase_mlp',
    node: [
      onnx.NodeProto.create({ name: 'dense', opType: 'Gemm', input: ['user_behaviour', 'dense/kernel', 'dense/bias'], output: ['dense_out'] }),
      onnx.NodeProto.create({ name: 'dense_relu', opType: 'Relu', input: ['dense_out'], output: ['hidden'] }),
      onnx.NodeProto.create({ name: 'dense_1', opType: 'Gemm', input: ['hidden', 'dense_1/kernel', 'dense_1/bias'], output: ['logit'] }),
      onnx.NodeProto.create({ name: 'dense_1_sigmoid', opType: 'Sigmoid', input: ['logit'], output: ['purchase_probability'] }),
    ],
    initializer: [
      tensor('dense/kernel', [n, hidden], w(n * hidden, glorot(n, hidden))),
      tensor('dense/bias', [hidden], new Array(hidden).fill(0)),
      tensor('dense_1/kernel', [hidden, 1], w(hidden, glorot(hidden, 1))),
      tensor('dense_1/bias', [1], [0]),
    ],
    input: [io('user_behaviour', ['batch', n])],
    output: [io('purchase_probability', ['batch', 1])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'model-versions-sample',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
    docString: 'Predicts whether a visitor will buy, from their behaviour on the site (Dense 128 relu, Dropout 0.2, Dense 1 sigmoid).',
    metadataProps: [{ key: 'features', value: features.join(',') }, { key: 'dropout', value: '0.2 (training only)' }],
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const { execFileSync } = require('child_process');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
const model = path.join(dest, 'models', 'purchase_model.onnx');
const git = (...args) => execFileSync('git', args, { cwd: dest, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const modelver = (...args) => execFileSync(process.execPath, [cli, ...args, '-C', dest], { cwd: dest, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

fs.writeFileSync(
  path.join(dest, 'README.md'),
  '# Model Versions sample\n\nAn e-commerce site predicts whether a visitor will buy from their behaviour on the site.\n' +
    '`models/purchase_model.onnx` has three versions. Open the **Model Versions** view in Source Control, select a\n' +
    'version to see its change record, or right-click one → *Compare with Previous Version*.\n',
);
const fresh = !fs.existsSync(path.join(dest, '.git'));
if (fresh) {
  // A git repository with Git LFS and three versions of the purchase model, committed through our CLI
  git('init', '-q', '-b', 'main');
  git('lfs', 'install', '--local');
  git('config', 'user.name', 'Model Versions Sample');
  git('config', 'user.email', 'sample@model-versions.invalid');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'Sample project');
  fs.writeFileSync(model, mlp(1, 128));
  modelver('commit', model, '-m', 'Baseline purchase model: Dense 128 relu, Dropout 0.2, Dense 1 sigmoid');
  fs.writeFileSync(model, mlp(2, 128));
  modelver('commit', model, '-m', 'Retrained on November sessions');
  modelver('tag', model, '--version', 'v2', '-m', 'Released to the shop front');
  modelver('alias', 'set', model, 'production', '--version', 'v2');
  fs.writeFileSync(model, mlp(3, 128, [...FEATURES, 'coupon_used', 'support_chats']));
  modelver('commit', model, '-m', 'Two more behaviour features: coupon use and support chats');
  modelver('alias', 'set', model, 'staging', '--version', 'v3');
} else {
  console.log(`reusing the sample repository in ${dest} (delete the folder to recreate it)`);
}

// The team's real fixtures, when this checkout has them beside it.
const fixtures = path.resolve(__dirname, '..', '..', 'shared', 'fixtures');
for (const [dir, files] of [['onnx', ['silero_vad_v5.onnx', 'hello_deepa.onnx']], ['keras', ['keras2c_example_model.h5']]]) {
  for (const f of files) {
    const src = path.join(fixtures, dir, f);
    const out = path.join(dest, 'models', f);
    if (!fs.existsSync(src)) continue;
    fs.rmSync(out, { force: true });
    fs.copyFileSync(src, out);
    fs.chmodSync(out, 0o644); // the fixtures are read-only; the sample's copies are the user's to change
  }
}
console.log(`sample workspace: ${dest}`);
