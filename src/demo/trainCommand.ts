/**
 * `node dist/demo.js train TRAIN.csv [VALID.csv] OUT.onnx [--epochs N] [--lr X] [--optimizer adam|sgd]
 * [--units N] [--seed N]`: the demo's TypeScript trainer as a real training command (what `modelver cv
 * --train "node dist/demo.js train {train} {valid} {out}"` runs): reads a CSV with the demo's feature
 * columns and `purchased`, trains Dense(units, relu) → Dropout 0.2 → Dense(1, sigmoid), prints the loss per
 * epoch (and the validation accuracy when VALID is given) and writes the ONNX model to OUT.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { FEATURES, LABEL, type DataSplit } from './data';
import { mlpToOnnx } from './onnxExport';
import { exportWeights, initMlp, predict, train, type TrainParams } from './train';

export const TRAIN_USAGE = `usage: node dist/demo.js train TRAIN.csv [VALID.csv] OUT.onnx [--epochs N] [--lr X]
                            [--optimizer adam|sgd] [--units N] [--batch N] [--seed N]

Trains the demo's purchase model on TRAIN.csv (the columns ${FEATURES.join(', ')} and ${LABEL}) and writes
it as ONNX to OUT.onnx. Defaults: adam, lr 0.001, 3 epochs, 128 units, batch 32, seed 1.`;

/** A CSV with the demo's columns (in any order; other columns ignored) as a DataSplit. */
export function readDemoCsv(file: string): DataSplit {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error(`${file} has no data rows`);
  const head = lines[0].split(',').map((h) => h.trim());
  const cols = [...FEATURES, LABEL].map((c) => {
    const i = head.indexOf(c);
    if (i < 0) throw new Error(`${file} has no column '${c}' (it needs ${FEATURES.join(', ')} and ${LABEL})`);
    return i;
  });
  const rows = lines.length - 1;
  const n = FEATURES.length;
  const x = new Float64Array(rows * n);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    for (let j = 0; j < n; j++) {
      const v = Number(cells[cols[j]]);
      if (!Number.isFinite(v)) throw new Error(`${file} line ${r + 2}: ${FEATURES[j]} is '${cells[cols[j]]}', not a number`);
      x[r * n + j] = v;
    }
    const lab = cells[cols[n]]?.trim();
    if (lab !== '0' && lab !== '1') throw new Error(`${file} line ${r + 2}: ${LABEL} is '${lab}', not 0 or 1`);
    y[r] = Number(lab);
  }
  return { x, y, rows };
}

export function trainCommand(argv: string[], out: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { epochs: { type: 'string' }, lr: { type: 'string' }, optimizer: { type: 'string' }, units: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length < 2 || positionals.length > 3) throw new UsageError(`give TRAIN.csv, optionally VALID.csv, and OUT.onnx\n${TRAIN_USAGE}`);
  const [trainFile, validFile, outFile] = positionals.length === 3 ? positionals : [positionals[0], undefined, positionals[1]];
  const num = (v: string | undefined, name: string, dflt: number, int: boolean): number => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!(x > 0) || (int && !Number.isInteger(x))) throw new UsageError(`--${name} must be a ${int ? 'whole ' : ''}number above 0, not '${v}'`);
    return x;
  };
  const optimizer = values.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, not '${optimizer}'`);
  const params: TrainParams = {
    optimizer,
    learningRate: num(values.lr, 'lr', 0.001, false),
    epochs: num(values.epochs, 'epochs', 3, true),
    batchSize: num(values.batch, 'batch', 32, true),
    dropout: 0.2,
    seed: num(values.seed, 'seed', 1, true),
  };
  const data = readDemoCsv(trainFile);
  const model = initMlp(data, FEATURES.length, num(values.units, 'units', 128, true), params.seed + 1000);
  const losses = train(model, data, params);
  losses.forEach((l, i) => out(`epoch ${i + 1}/${params.epochs}: loss ${l.toFixed(4)}`));
  if (validFile) {
    const v = readDemoCsv(validFile);
    const p = predict(model, v);
    let right = 0;
    for (let i = 0; i < v.rows; i++) if ((p[i] > 0.5 ? 1 : 0) === v.y[i]) right++;
    out(`validation accuracy ${(right / v.rows).toFixed(4)} on ${v.rows} rows`);
  }
  fs.writeFileSync(outFile, mlpToOnnx(exportWeights(model), FEATURES, { version: 'demo-train', description: `Purchase model trained by node dist/demo.js train on ${data.rows} rows` }));
  out(`wrote ${outFile}`);
  return 0;
}

export class UsageError extends Error {
  override name = 'UsageError';
}
