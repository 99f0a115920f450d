/**
 * `node dist/demo.js DEST [--recreate]`: makes the demo repository (src/demo/generate.ts) in DEST, or
 * reuses it when it is already a current demo. Exit status: 0 done, 1 failed (the message says why),
 * 2 usage error.
 */
import { parseArgs } from 'util';
import { makeDemo } from './generate';

const USAGE = `usage: node dist/demo.js DEST [--recreate] [--quiet]
       node dist/demo.js train TRAIN.csv [VALID.csv] OUT.onnx [options]   (the demo's trainer; --help for its options)

Creates the Model Versions demo repository in DEST (a new or empty folder): a synthetic e-commerce
dataset, three trained versions of a purchase-prediction model (ONNX) and one Keras HDF5 model, committed
with lineage, metrics, tags and the production and staging aliases. A folder that already holds the
current demo is reused.

  --recreate   make it afresh (a demo you changed is moved aside to DEST.previous-<time>, not deleted)
  --quiet      print only the result line`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'train') {
    // the demo's trainer as a training command (modelver cv --train "node dist/demo.js train {train} {valid} {out}")
    const { trainCommand, UsageError, TRAIN_USAGE } = await import('./trainCommand.js');
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(TRAIN_USAGE + '\n');
      return 0;
    }
    try {
      return trainCommand(argv.slice(1), (s) => process.stdout.write(s + '\n'));
    } catch (e) {
      process.stderr.write(`demo train: ${(e as Error).message}\n`);
      return e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
    }
  }
  let values: { recreate?: boolean; quiet?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { recreate: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${positionals.length ? 'give one folder only' : 'missing the demo folder'}\n${USAGE}\n`);
    return 2;
  }
  try {
    const r = await makeDemo({
      dest: positionals[0],
      recreate: values.recreate,
      log: values.quiet ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    const what = r.action === 'reused' ? 'reused' : r.action;
    process.stdout.write(`demo repository ${what}: ${r.dest} (${(r.ms / 1000).toFixed(1)} s)\n`);
    return 0;
  } catch (e) {
    const err = e as Error;
    const known = err && ['DemoError', 'RepoError', 'KerasWriteError', 'EvalHostError', 'EvaluationError', 'DatasetError'].includes(err.name);
    process.stderr.write(`demo: ${known ? err.message : err?.stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`demo: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
