/**
 * Activation: what loading dist/extension.js (with the dist/extension-*.js files it requires; the others
 * load when a command first runs) costs when VS Code activates the extension — the require of the bundle with a stubbed `vscode` module (test/support/requireStubbed.ts; activate() not called),
 * as a fresh process each time, against a fresh `node -e 0` (Node's own start). The difference of the
 * medians is our cost; goal ≤ 30 ms (issue #12). The harness alone (the stub's hooks, no bundle) is
 * timed too, to show that the stub costs nothing worth counting. Rounds interleave the three processes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compareProcesses, formatRow } from './measure';

const GOAL_MS = 30;

/**
 * The sizes: what activation loads (extension.js and the dist/extension-*.js files it requires, from the
 * harness's report) and all of the extension's files (the rest load when a command first runs).
 */
function bundleKiB(root: string, harness: string, bundle: string): { bundleKiB: number; activationKiB: number; allKiB: number } {
  const dist = path.dirname(bundle);
  const out = execFileSync(process.execPath, [harness, bundle, '--report'], { cwd: root, encoding: 'utf8' });
  const { loaded } = JSON.parse(out.trim().split('\n').pop()!) as { loaded: string[] };
  const kib = (files: string[]) => Math.round(files.reduce((n, f) => n + fs.statSync(path.join(dist, f)).size, 0) / 1024);
  const atActivation = ['extension.js', ...new Set(loaded.filter((m) => /^\.\/extension-.+\.js$/.test(m)).map((m) => m.slice(2)))];
  return { bundleKiB: kib(['extension.js']), activationKiB: kib(atActivation), allKiB: kib(fs.readdirSync(dist).filter((f) => /^extension(-.+)?\.js$/.test(f))) };
}

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
    ...bundleKiB(root, harness, bundle),
    goal: `≤ ${GOAL_MS} ms: ${cost <= GOAL_MS ? 'met' : 'NOT MET'}`,
  };
}
