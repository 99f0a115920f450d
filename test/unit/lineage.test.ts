/**
 * Lineage: recorded at commit (trailers, readable with plain git), the graph over all versions of all
 * models from a real git + LFS repository with a fine-tuned line (base v1 → v2, ft derived from base
 * v2 with its own versions), datasets, code commits and recorded evaluations; `modelver lineage`
 * outputs (JSON, DOT and Mermaid parse-checked, names escaped); `modelver commit` lineage options.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { runCli } from '../../src/cli/main';
import { evaluationNote, type ModelEvaluation } from '../../src/core/eval/evaluate';
import { buildLineageGraph, filterLineage, lineageGraph, mermaidText, parseLineage, type LineageGraph } from '../../src/core/lineage';
import { ModelRepository, RepoError, type ModelHistory, type ModelVersion } from '../../src/core/repo';
import { linearModel } from '../support/onnxModels';
import { TempSpace, put, sha256 } from './repoTestUtil';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new Writable({ write: (_c, _e, cb) => cb() });
  const code = await runCli(args, { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdout } as never);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A fake evaluation with the fields evaluationNote records (the note is what the graph reads). */
function evaluation(datasetFile: string, accuracy: number): ModelEvaluation {
  return {
    task: 'binary',
    provider: 'cpu',
    rows: 40,
    metrics: { accuracy, logLoss: 0.4 },
    cv: {},
    cvFolds: 0,
    dataset: { file: datasetFile, sha256: sha256(datasetFile), rows: 40, label: 'bought', features: ['a', 'b'] },
  } as unknown as ModelEvaluation;
}

// ------------------------------------------------------------ parse-checks of the renderings

/** A small DOT reader: the statements our renderer writes; returns node ids/labels and edges (unescaped). */
function parseDot(text: string): { nodes: Map<string, string>; edges: [string, string, string][] } {
  const toks: { t: 'id' | 'str' | 'sym'; v: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated string');
        const d = text[i];
        if (d === '\n') throw new Error('raw line break inside a DOT string');
        if (d === '\\') {
          const e = text[i + 1];
          v += e === '"' ? '"' : e === '\\' ? '\\' : e === 'n' ? '\n' : '\\' + e;
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      toks.push({ t: 'str', v });
    } else if (text.startsWith('->', i)) {
      toks.push({ t: 'sym', v: '->' });
      i += 2;
    } else if ('{}[]=,;'.includes(c)) {
      toks.push({ t: 'sym', v: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_.]+/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected character ${JSON.stringify(c)} at ${i}`);
      toks.push({ t: 'id', v: m[0] });
      i += m[0].length;
    }
  }
  let p = 0;
  const want = (v: string) => {
    if (toks[p]?.v !== v) throw new Error(`expected ${v} at token ${p}, got ${toks[p]?.v}`);
    p++;
  };
  const attrs = (): Map<string, string> => {
    const a = new Map<string, string>();
    want('[');
    while (toks[p].v !== ']') {
      const k = toks[p++];
      want('=');
      const v = toks[p++];
      if (k.t === 'sym' || v.t === 'sym') throw new Error('bad attribute');
      a.set(k.v, v.v);
      if (toks[p].v === ',') p++;
    }
    want(']');
    return a;
  };
  want('digraph');
  p++; // graph name
  want('{');
  const nodes = new Map<string, string>();
  const edges: [string, string, string][] = [];
  while (toks[p].v !== '}') {
    const first = toks[p++];
    if (first.t === 'id' && toks[p].v === '=') {
      p += 2;
    } else if (first.t === 'id' && (first.v === 'node' || first.v === 'edge')) {
      attrs();
    } else if (first.t === 'str' && toks[p].v === '->') {
      p++;
      const to = toks[p++];
      if (to.t !== 'str') throw new Error('edge target');
      edges.push([first.v, to.v, attrs().get('label') ?? '']);
    } else if (first.t === 'str') {
      nodes.set(first.v, attrs().get('label') ?? '');
    } else throw new Error(`unexpected ${first.v}`);
    want(';');
  }
  want('}');
  if (p !== toks.length) throw new Error('text after the graph');
  return { nodes, edges };
}

function unMermaid(s: string): string {
  return s.replace(/#quot;/g, '"').replace(/#(\d+);/g, (_m, n) => String.fromCharCode(Number(n)));
}

/** Each line of our Mermaid flowchart against its grammar; returns labels by node id and the edges. */
function parseMermaid(text: string): { nodes: Map<string, string>; edges: [string, string, string][] } {
  const lines = text.trimEnd().split('\n');
  assert.strictEqual(lines[0], 'flowchart LR');
  const nodes = new Map<string, string>();
  const edges: [string, string, string][] = [];
  const pairs: Record<string, string> = { '[': ']', '[(': ')]', '{{': '}}', '([': '])' };
  for (const l of lines.slice(1)) {
    let m = /^ {2}(n\d+)(\[\(|\(\[|\{\{|\[)"([^"]*)"(\)\]|\]\)|\}\}|\])$/.exec(l);
    if (m) {
      assert.strictEqual(pairs[m[2]], m[4], `brackets of ${l}`);
      assert.doesNotMatch(m[3], /[<>|`[\]{}()]/, `unescaped syntax in ${l}`);
      nodes.set(m[1], unMermaid(m[3]));
      continue;
    }
    m = /^ {2}(n\d+) (-->|==>|-\.->)\|"([^"|]*)"\| (n\d+)$/.exec(l);
    if (m) {
      edges.push([m[1], m[4], unMermaid(m[3])]);
      continue;
    }
    if (/^ {2}classDef (version|dataset|code|evaluation) fill:#[0-9a-f]{6},color:#fff,stroke:#333$/.test(l)) continue;
    if (/^ {2}class n\d+(,n\d+)* (version|dataset|code|evaluation)$/.test(l)) continue;
    throw new Error(`not a line of our Mermaid grammar: ${l}`);
  }
  for (const [a, b] of edges) assert.ok(nodes.has(a) && nodes.has(b), `edge ${a} → ${b} between declared nodes`);
  return { nodes, edges };
}

// ------------------------------------------------------------------------------------ tests

describe('lineage: recorded at commit, the graph, modelver lineage', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let repo: ModelRepository;
  const BASE = 'models/base.onnx';
  const FT = 'models/we"ird #1 <ft>.onnx'; // a name that DOT and Mermaid must escape
  const OTHER = 'models/other.onnx';
  let restoreEnv: (() => void) | undefined;
  const c: Record<string, string> = {};

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
    put(dir, 'data/train.csv', Buffer.from('a,b,bought\n1,2,0\n3,4,1\n'));
    put(dir, 'data/test.csv', Buffer.from('a,b,bought\n5,6,1\n7,8,0\n'));
    put(dir, 'train.py', Buffer.from('print("train")\n'));
    t.git(dir, 'add', 'data/train.csv', 'data/test.csv', 'train.py');
    t.git(dir, 'commit', '-q', '-m', 'Training code and data');
    c.code = t.git(dir, 'rev-parse', 'HEAD').trim();
    repo = await ModelRepository.open(dir, { env: t.env });
  });
  after(() => {
    restoreEnv?.();
    t.cleanup();
  });

  it('commitModel records derived-from, datasets, code commit and params as trailers readable with plain git', async () => {
    put(dir, BASE, linearModel([1, 2], 0));
    const b1 = await repo.commitModel(path.join(dir, BASE), 'Base v1', { lineage: { datasets: [{ path: 'data/train.csv', role: 'train' }], params: { lr: 0.01, epochs: 5 } } });
    assert.strictEqual(b1.lineage?.codeCommit, c.code, 'the code commit defaults to HEAD before the commit');
    assert.deepStrictEqual(b1.lineage?.warnings, [], 'data/train.csv is committed: no warning');
    const trainBlob = t.git(dir, 'rev-parse', 'HEAD~1:data/train.csv').trim();
    assert.deepStrictEqual(b1.lineage?.datasets, [{ role: 'train', path: 'data/train.csv', sha256: sha256(path.join(dir, 'data/train.csv')), blob: trainBlob }]);
    c.b1 = b1.commit;

    put(dir, BASE, linearModel([1.5, 2], 0.1));
    const b2 = await repo.commitModel(path.join(dir, BASE), 'Base v2', {
      lineage: { datasets: [{ path: 'data/train.csv', role: 'train' }, { path: 'data/test.csv', role: 'validation' }], codeCommit: c.code },
    });
    c.b2 = b2.commit;
    await repo.tag(BASE, { version: 2, name: 'base/v2', message: 'release' });
    await repo.setAlias(BASE, 'production', 2);

    // the fine-tuned model: derived from base v2 (by alias), trained on a dataset that is not committed
    put(dir, 'data/ft.csv', Buffer.from('a,b,bought\n9,9,1\n'));
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'lr: 0.001\nepochs: 3\nlayers: [128, 1]\nname: "ft #1"\n');
    put(dir, FT, linearModel([1.5, 2.5], 0.1));
    const r = await cli(['commit', '-C', dir, FT, '-m', 'Fine-tune on ft data', '--derived-from', `${BASE}@production`, '--dataset', 'data/ft.csv:train', '--params', 'params.yaml']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /derived from models\/base\.onnx v2 \([0-9a-f]{7}\)/);
    assert.match(r.out, /train: data\/ft\.csv sha256:[0-9a-f]{12}…/);
    assert.match(r.err, /warning: Dataset data\/ft\.csv is not committed as it is now/);
    c.f1 = t.git(dir, 'rev-parse', 'HEAD').trim();
    const trailers = (key: string) => t.git(dir, 'log', '-1', `--format=%(trailers:key=${key},valueonly)`).trim();
    assert.strictEqual(trailers('Model-Derived-From'), `${BASE}@${c.b2}`);
    assert.strictEqual(trailers('Model-Dataset'), `train data/ft.csv sha256:${sha256(path.join(dir, 'data/ft.csv'))}`);
    assert.strictEqual(trailers('Model-Code'), c.b2, 'HEAD at commit time');
    assert.strictEqual(trailers('Model-Train-Params'), '{"lr":0.001,"epochs":3,"layers":[128,1],"name":"ft #1"}');

    put(dir, FT, linearModel([1.6, 2.5], 0.1));
    const f2 = await repo.commitModel(path.join(dir, FT), 'Fine-tune, more epochs', { lineage: { params: { lr: 0.001, epochs: 6 } } });
    c.f2 = f2.commit;
    put(dir, OTHER, linearModel([9, 9], 9));
    c.o1 = (await repo.commitModel(path.join(dir, OTHER), 'Unrelated model')).commit;

    // two git:/plain datasets on one version: both trailers kept (git's own reader lists both)
    const both = t.git(dir, 'log', '-1', `--format=%(trailers:key=Model-Dataset,valueonly)`, c.b2).trim().split('\n');
    assert.strictEqual(both.length, 2);
    assert.deepStrictEqual(parseLineage(t.git(dir, 'log', '-1', '--format=%B', c.b2)).datasets.map((d) => [d.role, d.path]), [['train', 'data/train.csv'], ['validation', 'data/test.csv']]);

    // evaluations recorded in the notes (the evaluation feature's own note format)
    await repo.addMetadata(FT, 2, evaluationNote(evaluation(path.join(dir, 'data/test.csv'), 0.9), 'k-ft2'));
    await repo.addMetadata(BASE, 2, evaluationNote(evaluation(path.join(dir, 'data/train.csv'), 0.8), 'k-b2'));
  });

  it('bad lineage input is refused with what to do, and nothing is committed or staged', async () => {
    put(dir, OTHER, linearModel([8, 8], 8));
    const head = t.git(dir, 'rev-parse', 'HEAD').trim();
    const index = t.git(dir, 'ls-files', '-s');
    const cases: [Parameters<ModelRepository['commitModel']>[2], RegExp][] = [
      [{ lineage: { datasets: [{ path: 'data/missing.csv' }] } }, /Dataset data\/missing\.csv does not exist/],
      [{ lineage: { datasets: [{ path: 'data' }] } }, /Dataset data is not a regular file/],
      [{ lineage: { datasets: [{ path: 'data/train.csv', role: 'bad role' }] } }, /Dataset role 'bad role' is not valid/],
      [{ lineage: { datasets: [{ path: 'data/train.csv' }, { path: 'data/train.csv' }] } }, /given twice/],
      [{ lineage: { datasets: [{ path: OTHER }] } }, /is the model being committed/],
      [{ lineage: { codeCommit: 'no-such-rev' } }, /Code commit 'no-such-rev' is not a commit/],
      [{ lineage: { codeCommit: '--all' } }, /is not a revision/],
      [{ lineage: { derivedFrom: { model: BASE, version: 'v9' } } }, /has no version 'v9'/],
      [{ lineage: { derivedFrom: { model: 'models/none.onnx', version: 1 } } }, /has no committed versions/],
      [{ lineage: { params: { big: 'x'.repeat(5000) } } }, /at most 4096 are recorded/],
      [{ lineage: { params: [1, 2] as unknown as Record<string, unknown> } }, /must be an object/],
      [{ lineage: { params: { lr: Infinity } } }, /not these: lr/],
    ];
    for (const [opts, re] of cases) {
      await assert.rejects(repo.commitModel(path.join(dir, OTHER), 'x', opts), (e: unknown) => e instanceof RepoError && re.test(e.message), String(re));
    }
    assert.strictEqual(t.git(dir, 'rev-parse', 'HEAD').trim(), head);
    assert.strictEqual(t.git(dir, 'ls-files', '-s'), index);
    // the CLI: a bad params file exits 1 with the reason, a bad option combination exits 2
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'lr: [1, 2\n');
    const bad = await cli(['commit', '-C', dir, OTHER, '-m', 'x', '--params', 'bad.yaml']);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.err, /Parameters file .*bad\.yaml is not valid YAML/);
    const badDf = await cli(['commit', '-C', dir, OTHER, '-m', 'x', '--derived-from', '@v1']);
    assert.strictEqual(badDf.code, 2, badDf.err);
    fs.rmSync(path.join(dir, 'bad.yaml'));
    t.git(dir, 'checkout', '--', OTHER);
  });

  it('the graph: versions, parent/derived-from/trained-on/built-from/evaluated edges, aliases and tags', async () => {
    const g = await lineageGraph(repo);
    const id = (m: string, commit: string) => `version:${m}@${commit}`;
    const versions = g.nodes.filter((n) => n.kind === 'version');
    assert.deepStrictEqual(versions.map((n) => n.label).sort(), ['base.onnx v1', 'base.onnx v2', 'other.onnx v1', 'we"ird #1 <ft>.onnx v1', 'we"ird #1 <ft>.onnx v2']);
    const b2 = g.nodes.find((n) => n.id === id(BASE, c.b2))!;
    assert.deepStrictEqual([b2.aliases, b2.tags, b2.version], [['production'], ['base/v2'], 2]);
    const f1 = g.nodes.find((n) => n.id === id(FT, c.f1))!;
    assert.deepStrictEqual(f1.params, { lr: 0.001, epochs: 3, layers: [128, 1], name: 'ft #1' });

    const trainSha = sha256(path.join(dir, 'data/train.csv'));
    const testSha = sha256(path.join(dir, 'data/test.csv'));
    const ftSha = sha256(path.join(dir, 'data/ft.csv'));
    const ds = (sha: string, p: string) => `dataset:${sha}:${p}`;
    const edges = g.edges.map((e) => `${e.kind}${e.label ? `(${e.label})` : ''} ${e.source} -> ${e.target}`).sort();
    const expected = [
      `parent ${id(BASE, c.b1)} -> ${id(BASE, c.b2)}`,
      `parent ${id(FT, c.f1)} -> ${id(FT, c.f2)}`,
      `derived-from ${id(BASE, c.b2)} -> ${id(FT, c.f1)}`,
      `trained-on(train) ${ds(trainSha, 'data/train.csv')} -> ${id(BASE, c.b1)}`,
      `trained-on(train) ${ds(trainSha, 'data/train.csv')} -> ${id(BASE, c.b2)}`,
      `trained-on(validation) ${ds(testSha, 'data/test.csv')} -> ${id(BASE, c.b2)}`,
      `trained-on(train) ${ds(ftSha, 'data/ft.csv')} -> ${id(FT, c.f1)}`,
      `built-from code:${c.code} -> ${id(BASE, c.b1)}`,
      `built-from code:${c.code} -> ${id(BASE, c.b2)}`,
      `built-from code:${c.b2} -> ${id(FT, c.f1)}`,
      `built-from code:${c.f1} -> ${id(FT, c.f2)}`,
      `evaluated ${id(FT, c.f2)} -> evaluation:${c.f2}:${FT}:k-ft2`,
      `evaluated-on ${ds(testSha, 'data/test.csv')} -> evaluation:${c.f2}:${FT}:k-ft2`,
      `evaluated ${id(BASE, c.b2)} -> evaluation:${c.b2}:${BASE}:k-b2`,
      `evaluated-on ${ds(trainSha, 'data/train.csv')} -> evaluation:${c.b2}:${BASE}:k-b2`,
    ].sort();
    assert.deepStrictEqual(edges, expected);
    assert.strictEqual(g.nodes.filter((n) => n.kind === 'dataset').length, 3, 'an evaluation on a recorded dataset joins its node (by sha256)');
    const code = g.nodes.find((n) => n.id === `code:${c.code}`)!;
    assert.strictEqual(code.subject, 'Training code and data', 'code commits carry their subject');
    const ev = g.nodes.find((n) => n.kind === 'evaluation' && n.model === FT)!;
    assert.deepStrictEqual([ev.label, ev.metrics?.accuracy, ev.version], ['eval accuracy 0.9000 on test.csv', 0.9, 2]);

    // one model's lineage: its versions, the base it was derived from, their inputs; not other.onnx
    const ft = await lineageGraph(repo, { model: path.join(dir, FT) });
    assert.deepStrictEqual(ft.models.map((m) => m.path), [BASE, FT]);
    assert.ok(!ft.nodes.some((n) => n.model === OTHER));
    assert.strictEqual(ft.edges.length, expected.length, 'everything: other.onnx (committed without lineage) has no edge');
    const other = await lineageGraph(repo, { model: OTHER });
    assert.deepStrictEqual(other.nodes.map((n) => n.kind), ['version'], 'committed without lineage: no inputs recorded');
    await assert.rejects(lineageGraph(repo, { model: 'models/none.onnx' }), /has no committed versions/);
  });

  it('modelver lineage: text, --json, --dot and --mermaid (parse-checked, names escaped); exit codes', async () => {
    const json = await cli(['lineage', '-C', dir, '--json']);
    assert.strictEqual(json.code, 0, json.err);
    const g = JSON.parse(json.out) as LineageGraph;
    assert.strictEqual(g.schema, 1);
    assert.strictEqual(g.edges.length, 15);

    const dot = await cli(['lineage', '-C', dir, '--dot']);
    assert.strictEqual(dot.code, 0, dot.err);
    const d = parseDot(dot.out);
    assert.deepStrictEqual([...d.nodes.keys()].sort(), g.nodes.map((n) => n.id).sort(), 'every node id round-trips through DOT quoting');
    assert.ok([...d.nodes.values()].includes('we"ird #1 <ft>.onnx v1'));
    assert.ok([...d.nodes.values()].includes('base.onnx v2 ⟨production⟩ #base/v2'));
    assert.deepStrictEqual(d.edges.map(([a, b]) => `${a}->${b}`).sort(), g.edges.map((e) => `${e.source}->${e.target}`).sort());

    const mm = await cli(['lineage', '-C', dir, '--mermaid']);
    assert.strictEqual(mm.code, 0, mm.err);
    const m = parseMermaid(mm.out);
    assert.deepStrictEqual([...m.nodes.values()].sort(), g.nodes.map((n) => (n.aliases?.length || n.tags?.length ? `${n.label} ${[...n.aliases!.map((a) => `⟨${a}⟩`), ...n.tags!.map((x) => `#${x}`)].join(' ')}` : n.label)).sort());
    assert.strictEqual(m.edges.length, g.edges.length);
    assert.strictEqual(mermaidText('a "b" #1 <i>|x'), 'a #quot;b#quot; #35;1 #60;i#62;#124;x');

    const text = await cli(['lineage', '-C', dir, FT]);
    assert.strictEqual(text.code, 0, text.err);
    assert.match(text.out, /^models\/base\.onnx {2}\(2 versions\)/);
    assert.match(text.out, /\n {2}v2 ⟨production⟩ #base\/v2 {2}[0-9a-f]{7} {2}Base v2\n/);
    assert.match(text.out, /\nmodels\/we"ird #1 <ft>\.onnx {2}\(2 versions\)\n {2}v1 {2}[0-9a-f]{7} {2}Fine-tune on ft data\n/);
    assert.match(text.out, /derived from models\/base\.onnx v2/);
    assert.match(text.out, /train: data\/ft\.csv sha256:/);
    assert.match(text.out, /eval accuracy 0\.9000 on test\.csv/);
    assert.doesNotMatch(text.out, /other\.onnx/);

    const both = await cli(['lineage', '-C', dir, '--dot', '--mermaid']);
    assert.strictEqual(both.code, 2);
    assert.match(both.err, /exclusive/);
    const none = await cli(['lineage', '-C', dir, 'models/none.onnx']);
    assert.strictEqual(none.code, 1);
    assert.match(none.err, /has no committed versions/);
  });

  it('builds a 1,200-version graph in one pass (pure), and filters one model from it', () => {
    const histories: ModelHistory[] = [];
    for (let m = 0; m < 12; m++) {
      const model = `models/m${m}.onnx`;
      const versions: ModelVersion[] = [];
      for (let v = 1; v <= 100; v++) {
        const commit = (m * 1000 + v).toString(16).padStart(40, '0');
        const lines = [`Model-Dataset: train data/d${v % 7}.csv sha256:${(v % 7).toString(16).padStart(64, 'a')}`, `Model-Code: ${commit.replace(/^0/, 'c')}`];
        if (m > 0 && v === 1) lines.push(`Model-Derived-From: models/m${m - 1}.onnx@${((m - 1) * 1000 + 50).toString(16).padStart(40, '0')}`);
        versions.push({
          model, path: model, version: v, commit, shortCommit: commit.slice(0, 7), parents: [], author: { name: 'a', email: 'a@b' },
          date: '2026-01-01T00:00:00Z', committerDate: '', message: `v${v}\n\n${lines.join('\n')}\n`, subject: `v${v}`,
          contentId: `sha256:${commit}`, size: 1, lfs: true, blob: commit, change: 'modified', tags: [], aliases: [], trailers: {},
        });
      }
      histories.push({ path: model, paths: [model], deleted: false, versions });
    }
    const g = buildLineageGraph(histories);
    assert.strictEqual(g.nodes.filter((n) => n.kind === 'version').length, 1200);
    assert.strictEqual(g.edges.filter((e) => e.kind === 'parent').length, 12 * 99);
    assert.strictEqual(g.edges.filter((e) => e.kind === 'derived-from').length, 11);
    assert.strictEqual(g.nodes.filter((n) => n.kind === 'dataset').length, 7);
    const one = filterLineage(g, 'models/m5.onnx');
    assert.strictEqual(one.models.length, 12, 'the derived-from chain links every model');
  });
});
