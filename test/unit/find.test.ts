/**
 * Find versions (issue #16): the query language (src/core/query/parse.ts), the matcher over a real
 * git + Git LFS repository built here (metrics in commit trailers and recorded evaluations, tags, an
 * alias moved at fixed dates, lineage datasets and derived-from links, a breaking change record, fixed
 * author/committer dates), and `modelver find` with its refusals. Expected sets come from plain git
 * (`git log --since/--until`, `git tag --points-at`, trailers read with `%(trailers:…)`) or from the
 * facts the test itself wrote, never from our own reading of the repository.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildFindIndex, findVersions, FindQueryError, formatQuery, parseDateBound, parseQueryText, parseQueryTokens, tokenizeQuery, trailerMetricValues } from '../../src/core/query';
import { parseMetricsTrailer } from '../../src/core/lineage/metricHistory';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { cli } from '../support/cli';
import { put, SILERO, TempSpace } from './repoTestUtil';

const WAKE = 'models/wake.onnx';
const VAD = 'models/vad.onnx';
const TINY = 'models/tiny.onnx';

describe('find versions: query language', () => {
  it('reads the quick input tokens into the same query as the CLI flags', () => {
    const text = parseQueryText('accuracy >= 0.88 tag:v2 @production #wake/v2 dataset:data/test.csv since:2026-11-01 until:2026-11-30 breaking format:keras author:alice "two words" pruned derived-from:models/base.onnx@v2');
    const flags = parseQueryTokens([
      { key: 'metric', value: 'accuracy>=0.88' },
      { key: 'tag', value: 'v2' },
      { key: 'alias', value: 'production' },
      { key: 'tag', value: 'wake/v2' },
      { key: 'dataset', value: 'data/test.csv' },
      { key: 'since', value: '2026-11-01' },
      { key: 'until', value: '2026-11-30' },
      { key: 'breaking', value: '' },
      { key: 'format', value: 'keras' },
      { key: 'author', value: 'Alice' },
      { key: 'text', value: 'two words' },
      { key: 'text', value: 'pruned' },
      { key: 'derived-from', value: 'models/base.onnx@v2' },
    ]);
    assert.deepStrictEqual(text, flags);
    assert.deepStrictEqual(text.metrics, [{ name: 'accuracy', op: '>=', value: 0.88, text: 'accuracy>=0.88' }]);
    assert.deepStrictEqual(text.text, ['two', 'words', 'pruned']);
    // the description's text reads back to the same query
    assert.deepStrictEqual(parseQueryText(formatQuery(text)), text);
  });

  it('metric filters: dataset-qualified, every operator, == as =', () => {
    const q = parseQueryText('test.csv:accuracy>=0.88 commit:f1<0.5 sha256:abcdef12:loss!=1e-3 r2=0.5 mae==2 x>1 y<-1');
    assert.deepStrictEqual(
      q.metrics.map((m) => [m.source, m.name, m.op, m.value]),
      [
        ['test.csv', 'accuracy', '>=', 0.88],
        ['commit', 'f1', '<', 0.5],
        ['sha256:abcdef12', 'loss', '!=', 0.001],
        [undefined, 'r2', '=', 0.5],
        [undefined, 'mae', '=', 2],
        [undefined, 'x', '>', 1],
        [undefined, 'y', '<', -1],
      ],
    );
    assert.deepStrictEqual(tokenizeQuery('metric:test.csv:accuracy >= 0.9'), [{ key: 'metric', value: 'test.csv:accuracy>=0.9' }]);
  });

  it('dates: YYYY-MM-DD is a whole UTC day; ISO 8601 with and without offsets; impossible dates refused', () => {
    assert.strictEqual(parseDateBound('2026-11-01', 'since').ms, Date.UTC(2026, 10, 1));
    assert.strictEqual(parseDateBound('2026-11-01', 'until').ms, Date.UTC(2026, 10, 2) - 1);
    assert.strictEqual(parseDateBound('2026-11-01T09:30:00+01:00', 'since').ms, Date.UTC(2026, 10, 1, 8, 30));
    assert.strictEqual(parseDateBound('2026-11-01T09:30-0230', 'since').ms, Date.UTC(2026, 10, 1, 12, 0));
    assert.strictEqual(parseDateBound('2026-11-01T09:30:15.250Z', 'until').ms, Date.UTC(2026, 10, 1, 9, 30, 15, 250));
    assert.strictEqual(parseDateBound('2026-11-01T09:30:15', 'since').ms, Date.UTC(2026, 10, 1, 9, 30, 15));
    assert.strictEqual(parseDateBound('2028-02-29', 'since').ms, Date.UTC(2028, 1, 29));
    for (const bad of ['2026-02-29', '2026-13-01', '2026-11-31', '2026-11-01T24:00', '01/11/2026', 'yesterday', '2026-1-1', '2026-11-01T09:30+25:00']) {
      assert.throws(() => parseDateBound(bad, 'since'), (e: Error) => e instanceof FindQueryError && /YYYY-MM-DD/.test(e.message), bad);
    }
  });

  it('refuses malformed filters, saying what is wrong and how to write it', () => {
    const cases: [string, RegExp][] = [
      ['accuracy>=', /'' is not a number/],
      ['accuracy>=high', /'high' is not a number/],
      ['accuracy=>0.9', /'=>' is not an operator/],
      ['>=0.9', /names no metric/],
      ['1st>0.3', /'1st' is not a metric name/],
      [':accuracy>0.3', /nothing before ':'/],
      ['metric:accuracy', /has no comparison/],
      ['tga:v2', /'tga:' is not a filter; the filters are metric: dataset: tag:/],
      ['tag:', /tag: give a tag name/],
      ['since:2026-11-31', /not a day of the calendar/],
      ['since:2026-12-01 until:2026-11-01', /is after until/],
      ['since:2026-11-01 since:2026-11-02', /since is given twice/],
      ['format:caffe', /format 'caffe' is not one we know; known formats: onnx, keras/],
      ['breaking:no', /breaking takes no value/],
      ['derived-from:@v2', /give MODEL or MODEL@VERSION/],
      ['text:"unclosed', /a quote is not closed/],
    ];
    for (const [text, want] of cases) {
      assert.throws(() => parseQueryText(text), (e: Error) => e instanceof FindQueryError && want.test(e.message), `${text} → ${want}`);
    }
  });

  it("reads a Model-Metrics trailer exactly as the History panel's parseMetricsTrailer does", () => {
    let x = 0x2545f491;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const pieces = ['accuracy', 'f1', '1st', 'a.b-c_d', '=', '==', '0.93', '-1e-3', '0x10', 'Infinity', 'NaN', '', ',', ', ', ';', ' ', '\t', '\u00a0', '\u3000', 'x'.repeat(64), '.5', '1_0'];
    for (let i = 0; i < 4000; i++) {
      const text = Array.from({ length: 1 + rnd(10) }, () => pieces[rnd(pieces.length)]).join('');
      assert.deepStrictEqual(trailerMetricValues(text), parseMetricsTrailer(text), JSON.stringify(text));
    }
  });

  it('any text either parses (and reads back the same from formatQuery) or is refused with a FindQueryError', () => {
    // a seeded generator (xorshift) of texts made of the language's pieces and stray characters
    let x = 0x9e3779b9;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const pieces = ['accuracy', 'test.csv:', 'tag:', 'alias:', '@', '#', 'since:', '2026-11-01', 'until:', 'T09:30Z', '>=', '<', '=', '!=', '0.9', '-1e-3', ' ', ' ', '"', 'breaking', 'format:', 'onnx', 'derived-from:', 'm.onnx@v2', 'text:', 'ünï', ':', 'x', '\t', 'model:', 'NaN', 'dataset:', 'sha256:abcdef', 'constructor:', '__proto__:', 'derived:'];
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: 1 + rnd(8) }, () => pieces[rnd(pieces.length)]).join('');
      let q;
      try {
        q = parseQueryText(text);
      } catch (e) {
        assert.ok(e instanceof FindQueryError, `${JSON.stringify(text)} threw ${String(e)}`);
        assert.ok((e as Error).message.length > 10);
        continue;
      }
      parsed++;
      // the same query (a metric's `text` is as typed: `1e-3` reads back as 0.001)
      const plain = (x: typeof q) => ({ ...x, metrics: x.metrics.map((m) => ({ ...m, text: '' })) });
      assert.deepStrictEqual(plain(parseQueryText(formatQuery(q))), plain(q), `${JSON.stringify(text)} → ${formatQuery(q)}`);
    }
    assert.ok(parsed > 300, `${parsed} of 3000 parsed`);
  });
});

/** The facts the test writes, per version; expected sets are computed from these and from plain git. */
interface Made {
  model: string;
  version: number;
  commit: string;
}

describe('find versions: a repository with metrics, tags, aliases, lineage and dates', function () {
  this.timeout(120000);
  let t: TempSpace;
  let dir: string;
  let restoreEnv: () => void;
  const made: Made[] = [];
  const key = (m: { model: string; version: number }) => `${m.model}@v${m.version}`;

  const commit = async (
    model: string,
    src: string,
    msg: string,
    date: string,
    author: [string, string],
    opts: { metrics?: string; lineage?: NonNullable<Parameters<ModelRepository['commitModel']>[2]>['lineage']; summarize?: boolean } = {},
  ): Promise<Made> => {
    put(dir, model, src);
    const env = { ...t.env, GIT_AUTHOR_NAME: author[0], GIT_AUTHOR_EMAIL: author[1], GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
    const repo = await ModelRepository.open(dir, { env });
    const r = await repo.commitModel(model, msg, { summarize: opts.summarize ?? true, ...(opts.metrics ? { trailers: { 'Model-Metrics': opts.metrics } } : {}), ...(opts.lineage ? { lineage: opts.lineage } : {}) });
    const m = { model, version: r.version, commit: r.commit };
    made.push(m);
    return m;
  };

  before(async () => {
    t = new TempSpace();
    restoreEnv = t.useProcessEnv();
    dir = t.repo();
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'train.csv'), 'a,b,y\n1,2,0\n');
    fs.writeFileSync(path.join(dir, 'data', 'train2.csv'), 'a,b,y\n1,2,0\n3,4,1\n');
    const alice: [string, string] = ['Alice Liddell', 'alice@example.com'];
    const bob: [string, string] = ['Bob Builder', 'bob@example.org'];
    const carol: [string, string] = ['Carol', 'carol@example.net'];
    await commit(WAKE, fixture('onnx', 'hello_deepa_old.onnx'), 'first wake word model', '2026-10-01T10:00:00Z', alice, {
      metrics: 'accuracy=0.8, loss=0.6',
      lineage: { datasets: [{ path: 'data/train.csv', role: 'train' }] },
    });
    await commit(WAKE, fixture('onnx', 'hello_deepa.onnx'), 'wider input window', '2026-11-02T12:00:00Z', bob, { metrics: 'accuracy=0.9, loss=0.4' });
    await commit(WAKE, fixture('onnx', 'namaste_deepa.onnx'), 'Pruned channels for the phone', '2026-11-20T08:00:00+02:00', alice, {
      metrics: 'accuracy=0.88, loss=0.45',
      lineage: { datasets: [{ path: 'data/train2.csv', role: 'train' }] },
    });
    await commit(VAD, SILERO[1], 'voice activity from the wake model', '2026-11-05T09:00:00Z', carol, { lineage: { derivedFrom: { model: WAKE, version: 'v2' } }, summarize: false });
    await commit(VAD, SILERO[2], 'retrained on more speech', '2026-11-25T09:00:00Z', carol, { summarize: false });
    await commit(TINY, fixture('onnx', 'silero_vad_half.onnx'), 'half precision for the watch', '2026-12-01T09:00:00Z', bob, { lineage: { derivedFrom: { model: VAD, version: 'v1' } }, summarize: false });

    // tags, and an alias moved at fixed dates (its log commits carry those dates)
    const at = async (date: string) => ModelRepository.open(dir, { env: { ...t.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
    await (await at('2026-11-03T00:00:00Z')).tag(WAKE, { version: 2, name: 'wake/v2' });
    await (await at('2026-11-03T00:00:00Z')).tag(VAD, { version: 2, name: 'release' });
    await (await at('2026-11-04T00:00:00Z')).setAlias(WAKE, 'production', 1);
    await (await at('2026-11-21T00:00:00Z')).setAlias(WAKE, 'production', 3);
    await (await at('2026-11-26T00:00:00Z')).setAlias(VAD, 'production', 2);

    // recorded evaluations (the notes' format, docs/storage.md): vad on two datasets, wake v3 on one
    const evaluation = (file: string, sha: string, metrics: Record<string, number>, date: string) => ({
      evaluations: { [`k-${file}-${date}`]: { dataset: { file, sha256: sha.repeat(64), rows: 100, label: 'y' }, task: 'binary', metrics, date } },
      metrics,
    });
    const repo = await ModelRepository.open(dir, { env: t.env });
    await repo.addMetadata(VAD, 1, evaluation('test.csv', 'a', { accuracy: 0.91, f1: 0.8 }, '2026-11-06T00:00:00Z'));
    await repo.addMetadata(VAD, 1, evaluation('holdout.csv', 'b', { accuracy: 0.7 }, '2026-11-06T00:00:00Z'));
    await repo.addMetadata(VAD, 2, evaluation('test.csv', 'a', { accuracy: 0.84, f1: 0.85 }, '2026-11-26T00:00:00Z'));
    // v2 evaluated again on a newer test.csv (other bytes): the newest evaluation counts
    await repo.addMetadata(VAD, 2, evaluation('test.csv', 'c', { accuracy: 0.93, f1: 0.9 }, '2026-11-27T00:00:00Z'));
    await repo.addMetadata(WAKE, 3, evaluation('test.csv', 'a', { accuracy: 0.87 }, '2026-11-22T00:00:00Z'));
  });

  after(() => {
    restoreEnv();
    t.cleanup();
  });

  // one history read for every query (the repository does not change after before())
  let loaded: Promise<ReturnType<typeof buildFindIndex>> | undefined;
  const find = async (text: string) => {
    loaded ??= ModelRepository.open(dir, { env: t.env }).then(async (repo) => buildFindIndex((await repo.histories()).values()));
    return findVersions(await loaded, parseQueryText(text)).map((m) => key(m.version));
  };
  /** version keys of the commits a plain git command lists (one commit id per line) */
  const byCommits = (out: string, models = [WAKE, VAD, TINY]) => {
    const ids = new Set(out.split('\n').map((l) => l.trim()).filter(Boolean));
    return made.filter((m) => ids.has(m.commit) && models.includes(m.model)).map(key).sort();
  };

  it('dates: since/until against git log --since/--until (author = committer date here)', async () => {
    for (const [since, until] of [
      ['2026-11-01', '2026-11-30'],
      ['2026-11-02T12:00:00Z', '2026-11-20'],
      ['2026-11-20T06:00:01Z', undefined],
      [undefined, '2026-11-02T11:59:59Z'],
    ]) {
      const args = ['log', '--format=%H', ...(since ? [`--since=${since.length === 10 ? since + 'T00:00:00Z' : since}`] : []), ...(until ? [`--until=${until.length === 10 ? until + 'T23:59:59Z' : until}`] : [])];
      const want = byCommits(t.git(dir, ...args));
      const got = (await find([since ? `since:${since}` : '', until ? `until:${until}` : ''].join(' '))).sort();
      assert.deepStrictEqual(got, want, `${since} … ${until}`);
      assert.ok(want.length > 0 && want.length < made.length, `${since} … ${until} selects some: ${want}`);
    }
  });

  it('metrics from commit trailers, against git log %(trailers:key=Model-Metrics)', async () => {
    const lines = t.git(dir, 'log', '--format=%H %(trailers:key=Model-Metrics,valueonly,separator=%x2C)', '--', WAKE).trim().split('\n');
    const acc = new Map(lines.map((l) => [l.split(' ')[0], Number(/accuracy=([0-9.]+)/.exec(l)?.[1])]));
    const want = (p: (x: number) => boolean) => made.filter((m) => m.model === WAKE && p(acc.get(m.commit)!)).map(key);
    // wake v3 was also evaluated on test.csv: the trailer's value is `commit:accuracy`
    assert.deepStrictEqual(await find(`model:${WAKE} commit:accuracy>=0.88`), want((x) => x >= 0.88));
    assert.deepStrictEqual(await find(`model:${WAKE} commit:accuracy>0.88`), want((x) => x > 0.88));
    assert.deepStrictEqual(await find(`model:${WAKE} commit:accuracy=0.88`), want((x) => x === 0.88));
    assert.deepStrictEqual(await find(`model:${WAKE} commit:accuracy!=0.88 loss<0.5`), [`${WAKE}@v2`]);
    assert.deepStrictEqual(await find(`model:${WAKE} commit:accuracy<=0.8`), want((x) => x <= 0.8));
    // loss is only in the trailers: no source to name
    assert.deepStrictEqual(await find(`loss<0.5`), [`${WAKE}@v2`, `${WAKE}@v3`]);
    assert.strictEqual(want((x) => x >= 0.88).length, 2);
  });

  it('a metric measured on several datasets must name one; the newest evaluation of a version counts', async () => {
    // across all models accuracy comes from commit trailers, test.csv and holdout.csv
    await assert.rejects(find('accuracy>=0.88'), (e: Error) => e instanceof FindQueryError && /accuracy' is recorded from several sources \(commit, holdout\.csv, test\.csv\); name the one to compare, e\.g\. 'holdout\.csv:accuracy>=0\.88'/.test(e.message));
    assert.deepStrictEqual(await find('test.csv:accuracy>=0.88'), [`${VAD}@v1`, `${VAD}@v2`]);
    assert.deepStrictEqual(await find('holdout.csv:accuracy>=0.5'), [`${VAD}@v1`]);
    assert.deepStrictEqual(await find('commit:accuracy>=0.88'), [`${WAKE}@v2`, `${WAKE}@v3`]);
    // the older test.csv bytes by their sha256: vad v2's first evaluation, wake v3's
    assert.deepStrictEqual(await find('sha256:aaaaaaaa:accuracy<0.9'), [`${VAD}@v2`, `${WAKE}@v3`].sort());
    assert.deepStrictEqual(await find('f1>=0.85'), [`${VAD}@v2`]);
    // within one model, one source: no need to name it
    assert.deepStrictEqual(await find(`model:${VAD} f1<0.85`), [`${VAD}@v1`]);
  });

  it('tags and aliases (where the alias points now), against git tag --points-at and the alias log', async () => {
    const tagged = (name: string) => byCommits(t.git(dir, 'rev-list', '-n', '1', name));
    assert.deepStrictEqual(await find('tag:wake/v2'), tagged('wake/v2'));
    assert.deepStrictEqual(await find('#release'), tagged('release'));
    assert.deepStrictEqual(await find('@production'), [`${VAD}@v2`, `${WAKE}@v3`]);
    assert.deepStrictEqual(await find(`@production model:${WAKE}`), [`${WAKE}@v3`]);
    // the alias moved at 2026-11-21 (its log has the fixed dates); the version's own date decides since/until
    const log = t.git(dir, 'log', '--format=%cI %s', 'refs/model-versions/aliases');
    assert.match(log, /^2026-11-21T00:00:00\+00:00 set production models\/wake\.onnx: v1 \(\w+\) -> v3/m);
    assert.deepStrictEqual(await find('@production since:2026-11-21'), [`${VAD}@v2`]);
    assert.deepStrictEqual(await find('tag:wake/v2 @production'), []);
  });

  it('datasets: lineage paths, evaluation file names, sha256 prefixes', async () => {
    assert.deepStrictEqual(await find('dataset:data/train.csv'), [`${WAKE}@v1`]);
    assert.deepStrictEqual(await find('dataset:train2.csv'), [`${WAKE}@v3`]);
    assert.deepStrictEqual(await find('dataset:test.csv'), [`${VAD}@v1`, `${VAD}@v2`, `${WAKE}@v3`]);
    assert.deepStrictEqual(await find('dataset:holdout.csv dataset:test.csv'), [`${VAD}@v1`]);
    assert.deepStrictEqual(await find('dataset:sha256:cccccccc'), [`${VAD}@v2`]);
  });

  it('lineage: derived-from, directly and through other derived versions', async () => {
    assert.deepStrictEqual(await find(`derived-from:${WAKE}@v2`), [`${TINY}@v1`, `${VAD}@v1`]);
    assert.deepStrictEqual(await find(`derived-from:${WAKE}@wake/v2`), [`${TINY}@v1`, `${VAD}@v1`]);
    assert.deepStrictEqual(await find(`derived-from:${WAKE}`), [`${TINY}@v1`, `${VAD}@v1`]);
    assert.deepStrictEqual(await find(`derived-from:${VAD}@v1`), [`${TINY}@v1`]);
    assert.deepStrictEqual(await find(`derived-from:${WAKE}@v1`), []);
    await assert.rejects(find(`derived-from:${WAKE}@v9`), /has no version 'v9' \(it has v1\.\.v3/);
    await assert.rejects(find('derived-from:models/nope.onnx'), /models\/nope\.onnx has no committed versions; models: models\/tiny\.onnx, models\/vad\.onnx, models\/wake\.onnx/);
  });

  it('breaking, format, author, text', async () => {
    // the breaking change: wake v1 → v2 widened the input (the change record the commit wrote, read with plain git)
    const breaking = t.git(dir, 'log', '--format=%H %(trailers:key=Model-Breaking,valueonly)').split('\n').filter((l) => / true$/.test(l)).map((l) => l.split(' ')[0]);
    assert.ok(breaking.length >= 1);
    assert.deepStrictEqual((await find('breaking')).sort(), byCommits(breaking.join('\n')));
    assert.ok((await find('breaking')).includes(`${WAKE}@v2`));
    assert.deepStrictEqual((await find('format:onnx')).length, made.length);
    assert.deepStrictEqual(await find('format:keras'), []);
    assert.deepStrictEqual(await find('author:ALICE'), [`${WAKE}@v1`, `${WAKE}@v3`]);
    assert.deepStrictEqual(await find('author:example.org'), [`${TINY}@v1`, `${WAKE}@v2`]);
    assert.deepStrictEqual(await find('pruned PHONE'), [`${WAKE}@v3`]);
    // every word, anywhere in the message (not a phrase)
    assert.deepStrictEqual(await find('"model wake"'), [`${VAD}@v1`, `${WAKE}@v1`]);
    assert.deepStrictEqual(await find('text:wake text:model'), [`${VAD}@v1`, `${WAKE}@v1`]);
    // text never matches the recorded trailers' keys
    assert.deepStrictEqual(await find('model-oid'), []);
  });

  it('refuses unknown names with the known ones listed', async () => {
    await assert.rejects(find('acuracy>0.9'), (e: Error) => e instanceof FindQueryError && /unknown metric 'acuracy' in 'acuracy>0\.9'; known metrics: accuracy, f1, loss\./.test(e.message) && e.known.includes('f1'));
    await assert.rejects(find('tag:v9'), /unknown tag 'v9'; known tags: release, wake\/v2\./);
    await assert.rejects(find('@staging'), /unknown alias 'staging'; known aliases: production\./);
    await assert.rejects(find('dataset:val.csv'), /unknown dataset 'val\.csv': no version here was trained or evaluated on it; known datasets: data\/train\.csv, data\/train2\.csv, holdout\.csv, test\.csv\./);
    await assert.rejects(find('holdout.csv:f1>0'), /metric 'f1' has no values from 'holdout\.csv'.*it has values from: test\.csv/);
    await assert.rejects(find(`model:${TINY} accuracy>0`), /no version here records any metric/);
  });

  it('modelver find: filters as flags, --json with commit ids, exit codes', async () => {
    let r = await cli(['find', '-C', dir, '--metric', 'test.csv:accuracy>=0.88', '--since', '2026-11-01', '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { count: number; versions: { model: string; version: number; commit: string; matched: { metrics: Record<string, number> } }[] };
    assert.deepStrictEqual(
      j.versions.map((v) => [v.model, v.version, v.commit]),
      made.filter((m) => m.model === VAD).map((m) => [m.model, m.version, m.commit]),
    );
    assert.deepStrictEqual(j.versions.map((v) => v.matched.metrics), [{ 'test.csv:accuracy': 0.91 }, { 'test.csv:accuracy': 0.93 }]);
    assert.strictEqual(j.count, 2);

    // a model argument and a dataset path relative to -C; human output newest first
    r = await cli(['find', '-C', path.join(dir, 'data'), '../' + WAKE, '--dataset', 'train2.csv', '--author', 'alice']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^${WAKE}\\n  v3 `));
    assert.match(r.out, /1 of 3 versions matches\.$/);

    r = await cli(['find', '-C', dir, '--breaking', '--tag', 'wake/v2', '--format', 'onnx', '--text', 'wider']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /v2 .*wider input window {2}\(tag:wake\/v2\)/);

    r = await cli(['find', '-C', dir, '--derived-from', `${WAKE}@v2`, '--until', '2026-11-30']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /models\/vad\.onnx\n {2}v1 /);
    assert.doesNotMatch(r.out, /tiny/);

    r = await cli(['find', '-C', dir, '--alias', 'production', '--since', '2026-12-01']);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /^No version matches alias:production since:2026-12-01 \(6 searched\)\.$/);

    // refusals: exit 2, the reason, the known names
    const bad: [string[], RegExp][] = [
      [['--metric', 'accuracy>=0.88'], /several sources .* e\.g\. --metric 'holdout\.csv:accuracy>=0\.88'/],
      [['--metric', 'acc>=1'], /unknown metric 'acc' .*known metrics: accuracy, f1, loss/],
      [['--since', '2026-11-31'], /since '2026-11-31': 2026-11-31 is not a day of the calendar; give YYYY-MM-DD/],
      [['--format', 'caffe'], /known formats: onnx, keras/],
      [['--tag', 'nope'], /known tags: release, wake\/v2/],
      [['--derived-from', '@v2'], /give MODEL or MODEL@VERSION/],
      [['--pretty'], /--pretty goes with --json/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, want] of bad) {
      r = await cli(['find', '-C', dir, ...args]);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.err}`);
      assert.match(r.err, want, args.join(' '));
    }
    r = await cli(['find', '-C', dir, 'models/none.onnx']);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /models\/none\.onnx has no committed versions yet/);
  });
});
