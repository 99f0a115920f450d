/**
 * Activation: what loading dist/extension.js costs when VS Code activates the extension — the require
 * of the bundle with a stubbed `vscode` module (test/support/requireStubbed.ts; activate() not called),
 * as a fresh process each time, against a fresh `node -e 0` (Node's own start). The difference of the
 * medians is our cost; goal ≤ 30 ms (issue #12). The harness alone (the stub's hooks, no bundle) is
 * timed too, to show that the stub costs nothing worth counting. Rounds interleave the three processes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareProcesses, formatRow } from './measure';

const GOAL_MS = 30;

export async function benchActivation(): Promise<Record<string, number | string>> {
  const root = path.resolve(__dirname, '..', '..');
  const bundle = path.join(root, 'dist', 'extension.js');
  const harness = path.resolve(__dirname, '..', 'test', 'support', 'requireStubbed.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} does not exist: run \`npm run build\` first.`);
  const node = process.execPath;
  const row = await compareProcesses(
    'require(dist/extension.js), vscode stubbed, fresh process',
    [
      { name: 'node -e 0', argv: [node, '-e', '0'], cwd: root },
      { name: 'harness only (stub, no bundle)', argv: [node, harness], cwd: root },
      { name: 'require(dist/extension.js)', argv: [node, harness, bundle], cwd: root },
    ],
    21,
    2,
  );
  const [base, stubOnly, ext] = row.cases;
  const cost = ext.median - base.median;
  console.log(formatRow(row, { text: `require − node -e 0 ≤ ${GOAL_MS} ms (is ${cost.toFixed(1)} ms)`, met: cost <= GOAL_MS }));
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    nodeMs: r1(base.median),
    nodeIqr: `${r1(base.q1)}–${r1(base.q3)}`,
    harnessMs: r1(stubOnly.median),
    requireMs: r1(ext.median),
    requireIqr: `${r1(ext.q1)}–${r1(ext.q3)}`,
    costMs: r1(cost),
    costOverHarnessMs: r1(ext.median - stubOnly.median),
    bundleKiB: Math.round(fs.statSync(bundle).size / 1024),
    goal: `≤ ${GOAL_MS} ms: ${cost <= GOAL_MS ? 'met' : 'NOT MET'}`,
  };
}
