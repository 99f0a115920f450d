/**
 * docs/ci.md's CI recipe, run as written: every script in its YAML blocks that starts with the line
 * `# modelver-ci` (the GitHub Actions step and the GitLab CI job) is run with `bash -eo pipefail` (what
 * both CI systems use) in a clone of a demo repository, with `modelver` on PATH (a shim running
 * dist/cli.js) and GITHUB_STEP_SUMMARY set — once with a worse-trained model in the pull request (the
 * gate fails: exit 1, the summary says so) and once with a better one (the gate passes).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { FEATURES } from '../../src/demo/data';
import { MODEL, STEPS, demoDatasets, onnxBytes, trainVersions } from '../../src/demo/generate';
import { cloneMlp, initMlp, train } from '../../src/demo/train';
import { REPO_ROOT } from '../support/paths';
import { TempSpace } from './repoTestUtil';

const MARKER = '# modelver-ci';
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const DEMO = path.join(REPO_ROOT, 'dist', 'demo.js');

interface Recipe {
  /** 'github' (a workflow: has `jobs`) or 'gitlab' */
  system: 'github' | 'gitlab';
  script: string;
}

/** The marked scripts of docs/ci.md's ```yaml blocks, parsed as YAML (so the blocks must be valid YAML). */
function recipeScripts(markdown: string): Recipe[] {
  const out: Recipe[] = [];
  for (const m of markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
    const doc = yaml.load(m[1]) as Record<string, unknown>;
    const scripts: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') {
        if (v.split('\n')[0].trim() === MARKER) scripts.push(v);
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(doc);
    for (const script of scripts) out.push({ system: doc && typeof doc === 'object' && 'jobs' in doc ? 'github' : 'gitlab', script });
  }
  return out;
}

describe('CI recipe (docs/ci.md) against a demo repository', function () {
  this.timeout(300000);
  let space: TempSpace;
  let origin: string;
  let bin: string;
  let recipes: Recipe[];

  const run = (cmd: string, args: string[], cwd: string) => {
    const r = spawnSync(cmd, args, { cwd, env: space.env, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(() => {
    for (const f of [CLI, DEMO, path.join(REPO_ROOT, 'dist', 'evalHost.js')]) {
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` before the unit tests`);
    }
    recipes = recipeScripts(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'ci.md'), 'utf8'));
    space = new TempSpace();
    origin = path.join(space.dir, 'origin');
    run(process.execPath, [DEMO, origin, '--quiet'], space.dir);
    bin = path.join(space.dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'modelver'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  });
  after(() => space?.cleanup());

  it('docs/ci.md has exactly one marked script for GitHub Actions and one for GitLab CI, with the gate command', () => {
    assert.deepStrictEqual(recipes.map((r) => r.system).sort(), ['github', 'gitlab']);
    for (const r of recipes) {
      assert.match(r.script, /modelver compare models\/purchase_model\.onnx@production models\/purchase_model\.onnx \\\n\s+--data data\/test\.csv --label purchased --gate "f1 >= baseline - 0\.01" --md/);
    }
    assert.match(recipes.find((r) => r.system === 'github')!.script, /GITHUB_STEP_SUMMARY/);
  });

  /** A clone of the origin as CI checks it out, on a branch whose last commit brings `candidate`. */
  function pullRequest(name: string, candidate: Buffer): string {
    const dir = path.join(space.dir, name);
    run('git', ['clone', '-q', `file://${origin}`, dir], space.dir);
    run('git', ['checkout', '-q', '-b', name], dir);
    fs.writeFileSync(path.join(dir, MODEL), candidate);
    run(process.execPath, [CLI, 'commit', MODEL, '-m', `Candidate: ${name}`], dir);
    assert.strictEqual(spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/model-versions/aliases'], { cwd: dir, env: space.env }).status, 1, 'a fresh clone has no alias ref (the recipe fetches it)');
    return dir;
  }

  function runRecipe(r: Recipe, cwd: string): { code: number; out: string; err: string; summary: string; report: string } {
    const summaryFile = path.join(space.dir, `summary-${r.system}-${path.basename(cwd)}.md`);
    fs.writeFileSync(summaryFile, '');
    const env = { ...space.env, PATH: `${bin}${path.delimiter}${space.env.PATH}`, GITHUB_STEP_SUMMARY: summaryFile };
    const p = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', r.script], { cwd, env, encoding: 'utf8', timeout: 120000 });
    return {
      code: p.status ?? -1,
      out: p.stdout,
      err: p.stderr,
      summary: fs.readFileSync(summaryFile, 'utf8'),
      report: fs.existsSync(path.join(cwd, 'model-gate.md')) ? fs.readFileSync(path.join(cwd, 'model-gate.md'), 'utf8') : '',
    };
  }

  /** [baseline, candidate] values of a metric row of the Markdown report */
  function row(report: string, metric: string): [number, number] {
    const m = new RegExp(`^\\| ${metric} \\| ([\\d.]+) \\| ([\\d.]+) \\|$`, 'm').exec(report);
    assert.ok(m, `no ${metric} row in:\n${report}`);
    return [Number(m[1]), Number(m[2])];
  }

  it('a pull request with a worse-trained model fails the gate against production (exit 1, the summary says so)', () => {
    // one epoch of SGD at a small learning rate: far from production's v3
    const trainSplit = demoDatasets().train;
    const worse = initMlp(trainSplit, FEATURES.length, 128, 4242);
    train(worse, trainSplit, { optimizer: 'sgd', learningRate: 0.005, epochs: 1, batchSize: 32, dropout: 0.2, seed: 4243 });
    const dir = pullRequest('regressed', onnxBytes(worse));
    for (const r of recipes) {
      fs.rmSync(path.join(dir, 'model-gate.md'), { force: true });
      const res = runRecipe(r, dir);
      assert.strictEqual(res.code, 1, `${r.system}: exit ${res.code}\n${res.err}\n${res.out}`);
      assert.match(res.report, /\*\*Gate: FAIL\*\*/);
      assert.match(res.report, /f1Macro [\d.]+ fails 'f1 >= baseline - 0\.01'/);
      assert.match(res.report, /@production \(v3\)/, 'the baseline is the version production points at');
      assert.ok(res.out.includes('**Gate: FAIL**'), 'the report is in the job log');
      const [base, cand] = row(res.report, 'f1Macro');
      assert.ok(cand < base - 0.01, `candidate f1 ${cand} vs production ${base}`);
      if (r.system === 'github') assert.strictEqual(res.summary, res.report, 'the report is appended to $GITHUB_STEP_SUMMARY');
      else assert.strictEqual(res.summary, '');
    }
    // the recipe fetched the alias and the notes
    assert.strictEqual(spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/model-versions/aliases'], { cwd: dir, env: space.env }).status, 0);
    assert.strictEqual(spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/notes/model-versions'], { cwd: dir, env: space.env }).status, 0);
  });

  it('a pull request with a better model passes the gate (exit 0, the summary says so)', () => {
    // production is v2 (moved back on the origin, as a team would before v3 shipped); the pull request
    // brings v2 fine-tuned further with another seed
    run(process.execPath, [CLI, 'alias', 'set', MODEL, 'production', '--version', 'v2'], origin);
    const [, v2] = trainVersions();
    const better = cloneMlp(v2.model);
    train(better, demoDatasets().train, { ...STEPS[2].params, seed: 7777 });
    const dir = pullRequest('improved', onnxBytes(better));
    for (const r of recipes) {
      fs.rmSync(path.join(dir, 'model-gate.md'), { force: true });
      const res = runRecipe(r, dir);
      assert.strictEqual(res.code, 0, `${r.system}: exit ${res.code}\n${res.err}\n${res.out}`);
      assert.match(res.report, /\*\*Gate: pass\*\*/);
      assert.match(res.report, /@production \(v2\)/);
      const [base, cand] = row(res.report, 'f1Macro');
      assert.ok(cand > base, `candidate f1 ${cand} improves on production ${base}`);
      if (r.system === 'github') assert.strictEqual(res.summary, res.report);
    }
  });
});
