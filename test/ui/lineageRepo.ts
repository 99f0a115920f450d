/**
 * Large lineage repositories for the UI tests, written with `git fast-import` (seconds, not the minutes
 * of a thousand commits): `models` models of `perModel` versions each on one branch, each version
 * trained on one of 5 datasets and built from the first commit, committed with the trailers of
 * `modelver commit`; the model files are LFS pointers (no LFS objects). With `evaluations`, every tenth
 * version of each model has an evaluation on test.csv recorded in the notes (refs/notes/model-versions),
 * as `modelver eval --record` writes it — the graph bench/lineage.ts times: 1,050 versions, 6 datasets,
 * 1 code commit, 100 evaluations = 1,157 nodes.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import { evaluationNote, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { NOTES_REF } from '../../src/core/repo/notes';
import { git, initGitRepo, makeWorkspace } from '../support/workspace';

function pointer(seed: string): string {
  const oid = crypto.createHash('sha256').update(seed).digest('hex');
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${1000 + (parseInt(oid.slice(0, 4), 16) % 5000)}\n`;
}

export interface BigRepoOptions {
  models: number;
  perModel: number;
  /** an evaluation on test.csv for every tenth version of each model */
  evaluations?: boolean;
}

export function bigLineageRepo(name: string, o: BigRepoOptions): string {
  const ws = makeWorkspace(name, { 'README.md': '# big\n' });
  initGitRepo(ws);
  const code = git(ws, 'rev-parse', 'HEAD').trim();
  const parts: string[] = [];
  const notes: string[] = [];
  const testSha = crypto.createHash('sha256').update('test.csv').digest('hex');
  let t = 1_700_000_000;
  let mark = 1;
  for (let i = 0; i < o.models * o.perModel; i++) {
    const m = i % o.models;
    const ver = Math.floor(i / o.models) + 1;
    const ds = crypto.createHash('sha256').update(`ds${i % 5}`).digest('hex');
    const p = pointer(`m${m}:${ver}`);
    // the trailers as `modelver commit` writes them: Model-Path and Model-Oid name the version they belong to
    const oid = /oid (sha256:[0-9a-f]{64})/.exec(p)![1];
    const msg = `m${m} run ${ver}\n\nModel-Path: models/m${m}.onnx\nModel-Oid: ${oid}\nModel-Dataset: train data/d${i % 5}.csv sha256:${ds}\nModel-Code: ${code}\n`;
    const lines = ['commit refs/heads/main', `mark :${mark}`, `author T <t@example.com> ${t} +0000`, `committer T <t@example.com> ${t} +0000`, `data ${Buffer.byteLength(msg)}`, msg.slice(0, -1)];
    if (i === 0) {
      lines.push(`from ${code}`);
      const attrs = '*.onnx filter=lfs diff=lfs merge=lfs -text\n';
      lines.push('M 100644 inline .gitattributes', `data ${attrs.length}`, attrs.slice(0, -1));
    }
    lines.push(`M 100644 inline models/m${m}.onnx`, `data ${p.length}`, p.slice(0, -1));
    parts.push(lines.join('\n') + '\n');
    if (o.evaluations && ver % 10 === 0) {
      const accuracy = 0.5 + ver / 1000;
      const ev = { task: 'binary', provider: 'cpu', rows: 100, metrics: { accuracy }, cv: {}, cvFolds: 0, dataset: { file: 'data/test.csv', sha256: testSha, rows: 100, label: 'y', features: ['a'] } } as unknown as ModelEvaluation;
      const doc = JSON.stringify({ schema: 1, models: { [`models/m${m}.onnx`]: evaluationNote(ev, `k${i}`, new Date((t + 30) * 1000)) } });
      notes.push(`N inline :${mark}`, `data ${Buffer.byteLength(doc)}`, doc);
    }
    mark++;
    t += 60;
  }
  if (notes.length) {
    const msg = 'Evaluations';
    parts.push([`commit ${NOTES_REF}`, `committer T <t@example.com> ${t} +0000`, `data ${msg.length}`, msg, ...notes].join('\n') + '\n');
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: ws, input: parts.join(''), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fast-import: ${r.stderr}`);
  // the LFS objects do not exist (pointers only): check out the pointers as they are
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: ws, env: { ...process.env, GIT_LFS_SKIP_SMUDGE: '1' }, stdio: 'ignore' });
  return ws;
}
