/**
 * Baseline of the `modelver eval` bench row (bench/eval.ts), run as its own fresh process: a plain
 * onnxruntime-node `session.run` loop on the CPU over rows already parsed to float32, the least a
 * program that evaluates this model must do — start Node, load onnxruntime-node, create the session,
 * read the rows, run them in batches.
 *
 *   node ortLoop.js MODEL FEATURES.f32 FEATURE_COUNT BATCH [--no-spin]
 *
 * onnxruntime's default session options, as a plain program has them; --no-spin: intra-op threads that
 * sleep while they wait (what the evaluation host sets, src/evalHost/runtime.ts), for comparison.
 * FEATURES.f32 holds the rows as little-endian float32, row after row. Prints the number of rows run
 * and the sum of the outputs (so the work cannot be skipped) on stdout.
 */
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';

async function main(): Promise<void> {
  const [model, featuresFile, width, batch, flag] = process.argv.slice(2);
  const fc = Number(width);
  const bs = Number(batch);
  if (!model || !featuresFile || !(fc > 0) || !(bs > 0)) throw new Error('usage: ortLoop.js MODEL FEATURES.f32 FEATURE_COUNT BATCH');
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], logSeverityLevel: 3 };
  if (flag === '--no-spin') options.extra = { session: { intra_op: { allow_spinning: '0' } } };
  const session = await ort.InferenceSession.create(model, options);
  const bytes = fs.readFileSync(featuresFile);
  const x = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const rows = x.length / fc;
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  let sum = 0;
  for (let start = 0; start < rows; start += bs) {
    const n = Math.min(bs, rows - start);
    const out = await session.run({ [input]: new ort.Tensor('float32', x.subarray(start * fc, (start + n) * fc), [n, fc]) });
    const y = out[output].data as Float32Array;
    for (let i = 0; i < y.length; i++) sum += y[i];
  }
  await session.release();
  process.stdout.write(`${rows} rows, output sum ${sum}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
