/**
 * Issue #16, parts 2 and 3: aliases at a date (`alias ls --at`), permalinks, model cards and exports.
 * One repository built once: three versions of an ONNX model (silero VAD v4/v5/v6 as v1..v3), metrics
 * at commit, an evaluation recorded in the notes with known values, a tag, lineage, and alias moves at
 * fixed dates (GIT_COMMITTER_DATE). Expected values come from the construction and from plain git
 * (`git rev-list --before`, `git show`); cards are parsed back by Python's yaml, exports checked by sha256.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ModelRepository, RepoError, parseDateArg } from '../../src/core/repo';
import { permalinkFor, webUrl } from '../../src/core/repo/permalink';
import { aliasMoveLabel, aliasMoveTooltipMarkdown } from '../../src/extension/models/tooltip';
import { cli } from '../support/cli';
import { put, sha256, SILERO, TempSpace } from './repoTestUtil';

const MODEL = 'models/vad.onnx';
/** a dataset file name YAML and Markdown both have to escape */
const HOSTILE = 'test: set #1 "q" | *b*.csv';

/** Python's yaml reads the card's front matter (an independent YAML parser). */
function pyFrontMatter(file: string): Record<string, unknown> {
  const script = [
    'import sys, json, yaml',
    'text = open(sys.argv[1], encoding="utf-8").read()',
    'assert text.startswith("---\\n"), "no front matter"',
    'end = text.index("\\n---\\n", 4)',
    'print(json.dumps(yaml.safe_load(text[4:end])))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('sharing: aliases at a date, permalinks, model cards, exports (#16)', function () {
  this.timeout(120000);
  let space: TempSpace;
  let dir: string;
  let commits: string[]; // v1..v3
  let restoreEnv: () => void;
  const moves: { at: string; by: string; args: string[] }[] = [
    { at: '2024-01-10T10:00:00Z', by: 'Alice', args: ['set', MODEL, 'production', '--version', 'v1'] },
    { at: '2024-02-15T12:00:00Z', by: 'Alice', args: ['set', MODEL, 'production', '--version', 'v2'] },
    { at: '2024-02-15T12:30:00Z', by: 'Carol', args: ['set', MODEL, 'staging', '--version', 'v3'] },
    { at: '2024-03-01T09:00:00Z', by: 'Bob', args: ['set', MODEL, 'production', '--version', 'v3'] },
    { at: '2024-03-20T00:00:00Z', by: 'Bob', args: ['rm', MODEL, 'staging'] },
  ];

  before(async () => {
    space = new TempSpace();
    restoreEnv = space.useProcessEnv();
    dir = space.repo('share');
    const repo = await ModelRepository.open(dir, { env: space.env });
    put(dir, MODEL, SILERO[0]);
    await repo.commitModel(MODEL, 'first cut');
    put(dir, MODEL, SILERO[1]);
    await repo.commitModel(MODEL, 'v5 weights', { trailers: { 'Model-Metrics': 'accuracy=0.81' } });
    put(dir, 'data/train.csv', Buffer.from('x,y\n1,0\n2,1\n'));
    space.git(dir, 'add', 'data/train.csv');
    space.git(dir, 'commit', '-q', '-m', 'data');
    put(dir, MODEL, SILERO[2]);
    await repo.commitModel(MODEL, '--- evil: [subject] | # *not bold*\n\nBody line with `ticks` and <b>html</b>.', {
      trailers: { 'Model-Metrics': 'accuracy=0.9, f1=0.85' },
      lineage: { derivedFrom: { model: MODEL, version: 1 }, datasets: [{ path: 'data/train.csv', role: 'train' }], params: { lr: 0.001, note: 'a: b # c' } },
    });
    commits = space.git(dir, 'log', '--reverse', '--format=%H', '--', MODEL).trim().split('\n');
    assert.strictEqual(commits.length, 3);
    await repo.addMetadata(MODEL, 3, {
      evaluations: {
        k1: {
          dataset: { file: HOSTILE, sha256: 'ab'.repeat(32), rows: 200, label: 'y' },
          task: 'binary',
          metrics: { accuracy: 0.875, f1: 0.8 },
          cv: { accuracy: { mean: 0.87, std: 0.02, ci95: [0.81, 0.93] }, f1: { mean: 0.79, std: 0.03, ci95: [0.7, 0.88] } },
          cvFolds: 10,
          provider: 'cpu',
          date: '2024-03-02T00:00:00.000Z',
        },
        k2: {
          dataset: { file: 'holdout.csv', sha256: 'cd'.repeat(32), rows: 50, label: 'y' },
          task: 'binary',
          metrics: { accuracy: 0.9 },
          cv: {},
          cvFolds: 0,
          date: '2024-03-03T00:00:00.000Z',
        },
      },
    });
    await repo.tag(MODEL, { version: 3, name: 'vad/v3', message: 'release' });
    for (const m of moves) {
      // each move by its own person at its own date (the CLI runs git with process.env)
      const saved = { ...process.env };
      Object.assign(process.env, { GIT_COMMITTER_DATE: m.at, GIT_AUTHOR_DATE: m.at, GIT_COMMITTER_NAME: m.by, GIT_AUTHOR_NAME: m.by });
      try {
        const r = await cli(['alias', ...m.args, '-C', dir]);
        assert.strictEqual(r.code, 0, r.err);
      } finally {
        for (const k of ['GIT_COMMITTER_DATE', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_AUTHOR_NAME']) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      }
    }
  });
  after(() => {
    restoreEnv?.();
    space?.cleanup();
  });

  /** plain git: the alias log's state at a date (rev-list --before, then the commit's aliases.json) */
  function gitStateAt(date: string): Record<string, string> {
    const c = space.git(dir, 'rev-list', '-1', '--first-parent', `--before=${date}`, 'refs/model-versions/aliases').trim();
    if (!c) return {};
    const j = JSON.parse(space.git(dir, 'show', `${c}:aliases.json`)) as { aliases: Record<string, Record<string, { commit: string }>> };
    return Object.fromEntries(Object.entries(j.aliases[MODEL] ?? {}).map(([n, t]) => [n, t.commit]));
  }

  let repoOnce: ModelRepository | undefined;
  const shared = async () => (repoOnce ??= await ModelRepository.open(dir, { env: space.env }));

  async function atJson(date: string): Promise<{ before: boolean; firstMove?: string; aliases: { alias: string; commit: string; version?: number; since?: string; by?: { name: string } }[] }> {
    const r = await cli(['alias', 'ls', MODEL, '--at', date, '--json', '-C', dir]);
    assert.strictEqual(r.code, 0, r.err);
    return JSON.parse(r.out);
  }

  describe('alias ls --at', () => {
    const cases: { at: string; want: Record<string, number> }[] = [
      { at: '2024-01-10T10:00:00Z', want: { production: 1 } }, // exactly the first move
      { at: '2024-01-31', want: { production: 1 } },
      { at: '2024-02-15T12:00:00Z', want: { production: 2 } }, // exactly a move: it counts
      { at: '2024-02-15T12:29:59Z', want: { production: 2 } },
      { at: '2024-02-15', want: { production: 2, staging: 3 } }, // a day means its end (UTC)
      { at: '2024-03-01T09:59:59+01:00', want: { production: 2, staging: 3 } }, // 08:59:59Z: a second before the move
      { at: '2024-03-01T09:00:00+00:00', want: { production: 3, staging: 3 } },
      { at: '2024-03-01 10:00', want: { production: 3, staging: 3 } },
      { at: '2024-03-20', want: { production: 3 } },
      { at: '2030-01-01T00:00:00.123456Z', want: { production: 3 } },
    ];
    for (const [i, c] of cases.entries()) {
      it(`${c.at} → ${Object.entries(c.want).map(([a, v]) => `${a}=v${v}`).join(', ')}`, async () => {
        // through the CLI for some, through the repository (one history pass for all) for the others
        const r = i % 3 === 0 ? await atJson(c.at) : await (await shared()).listAliasesAt(parseDateArg(c.at), MODEL);
        assert.strictEqual(r.before, false);
        const got = Object.fromEntries(r.aliases.map((a) => [a.alias, a.commit]));
        const want = Object.fromEntries(Object.entries(c.want).map(([a, v]) => [a, commits[v - 1]]));
        assert.deepStrictEqual(got, want);
        assert.deepStrictEqual(Object.fromEntries(r.aliases.map((a) => [a.alias, a.version])), c.want);
        // plain git agrees (its --before takes the same instant)
        assert.deepStrictEqual(got, gitStateAt(new Date(parseDateArg(c.at).getTime()).toISOString()));
      });
    }

    it('says who moved each alias there, and when', async () => {
      const r = await atJson('2024-02-20');
      const prod = r.aliases.find((a) => a.alias === 'production')!;
      assert.strictEqual(prod.by?.name, 'Alice');
      assert.strictEqual(Date.parse(prod.since!), Date.parse('2024-02-15T12:00:00Z'));
      const staging = r.aliases.find((a) => a.alias === 'staging')!;
      assert.strictEqual(staging.by?.name, 'Carol');
      const text = await cli(['alias', 'ls', '--at', '2024-02-20', '-C', dir]);
      assert.match(text.out, /models\/vad\.onnx {2}production -> v2 \(\w{7}\) {2}since 2024-02-15T12:00:00\+00:00 by Alice <test@example\.com>$/m);
    });

    it('reads dates as Python\'s datetime.fromisoformat does (no offset: UTC; a day alone: its last millisecond)', () => {
      const dates = ['2024-03-01T09:59:59+01:00', '2024-03-01 10:00', '2024-02-29T23:59:59.5Z', '2024-03-01T00:00:00.123456-05:30', '2023-12-31t23:00z', '2024-02-29'];
      const script = [
        'import sys, json, datetime',
        'out = []',
        'for s in sys.argv[1:]:',
        '    day = len(s) == 10',
        '    d = datetime.datetime.fromisoformat(s.upper()) if not day else datetime.datetime.fromisoformat(s + "T23:59:59.999")',
        '    d = d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)',
        '    out.append(round(d.timestamp() * 1000))',
        'print(json.dumps(out))',
      ].join('\n');
      const want = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, ...dates], { encoding: 'utf8' })) as number[];
      assert.deepStrictEqual(dates.map((d) => parseDateArg(d).getTime()), want.map((ms) => Math.floor(ms)));
    });

    it('a date before the first move says so', async () => {
      for (const at of ['2024-01-09', '2024-01-10T09:59:59Z']) {
        const r = await atJson(at);
        assert.strictEqual(r.before, true);
        assert.deepStrictEqual(r.aliases, []);
        assert.strictEqual(Date.parse(r.firstMove!), Date.parse('2024-01-10T10:00:00Z'));
        const text = await cli(['alias', 'ls', MODEL, '--at', at, '-C', dir]);
        assert.strictEqual(text.code, 0);
        assert.match(text.out, /^No aliases on .*: that is before the first alias move, recorded at 2024-01-10T10:00:00\+00:00\.$/);
      }
    });

    it('refuses what is not a date, saying what is accepted', async () => {
      for (const bad of ['yesterday', '2024-13-01', '2024-02-30', '2024-3-1', '2024-03-01T25:00', '1709283600']) {
        const r = await cli(['alias', 'ls', '--at', bad, '-C', dir]);
        assert.strictEqual(r.code, 2, bad);
        assert.match(r.err, /--at '.*' (is not a date|is not a day of the calendar|has no such time of day): give a date as YYYY-MM-DD .* or ISO 8601/, bad);
      }
      const r = await cli(['alias', 'log', '--at', '2024-01-01', '-C', dir]);
      assert.strictEqual(r.code, 2);
      assert.match(r.err, /--at goes with `alias ls` only/);
    });

    it('a repository without alias moves says no alias was ever set', async () => {
      const d = space.repo('noaliases');
      const r = await cli(['alias', 'ls', '--at', '2024-01-01', '-C', d]);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.out, /no alias has ever been set/);
    });
  });

  it('the tree shows each move as "alias: from → to", its tooltip who, when, from and to, escaped', async () => {
    const log = await (await shared()).aliasLog(MODEL);
    const label = (c?: string) => (c ? `v${commits.indexOf(c) + 1}` : undefined);
    // newest first, straight from the recorded moves
    assert.deepStrictEqual(log.map((e) => aliasMoveLabel(e, label)), ['staging: v3 → removed', 'production: v2 → v3', 'staging: set to v3', 'production: v1 → v2', 'production: set to v1']);
    const hostile = { ...log[1], who: { name: '*Bob* [x](command:evil) $(zap)', email: 'b@x' } };
    const md = aliasMoveTooltipMarkdown(hostile, label, (d) => d);
    assert.ok(md.includes('Who: \\*Bob\\* \\[x\\]\\(command\\:evil\\) \\$\\(zap\\) `<b@x>`'), md);
    assert.ok(md.includes('(`2024-03-01T09:00:00+00:00`)'), md);
    assert.match(md, new RegExp(`From: v2 \`${commits[1].slice(0, 12)}\`  \nTo: v3 \`${commits[2].slice(0, 12)}\``));
  });

  it('the help lists card and export', async () => {
    const r = await cli([]);
    assert.match(r.out, /^ {2}card +\S/m);
    assert.match(r.out, /^ {2}export +\S/m);
  });

  describe('permalinks', () => {
    const C = 'a'.repeat(40);
    const P = 'models/my model#1.onnx';
    const table: [string, string][] = [
      ['https://github.com/acme/ml.git', `https://github.com/acme/ml/blob/${C}/models/my%20model%231.onnx`],
      ['git@github.com:acme/ml.git', `https://github.com/acme/ml/blob/${C}/models/my%20model%231.onnx`],
      ['ssh://git@github.com/acme/ml', `https://github.com/acme/ml/blob/${C}/models/my%20model%231.onnx`],
      ['https://user:s3cret@github.com/acme/ml.git', `https://github.com/acme/ml/blob/${C}/models/my%20model%231.onnx`],
      ['https://gitlab.com/group/sub/ml.git', `https://gitlab.com/group/sub/ml/-/blob/${C}/models/my%20model%231.onnx`],
      ['ssh://git@gitlab.example.org:2222/team/ml.git', `https://gitlab.example.org/team/ml/-/blob/${C}/models/my%20model%231.onnx`],
      ['https://git.example.org:8443/team/ml.git', 'kinds'],
      ['git@codeberg.org:acme/ml.git', `https://codeberg.org/acme/ml/src/commit/${C}/models/my%20model%231.onnx`],
      ['https://gitea.example.com/acme/ml.git', `https://gitea.example.com/acme/ml/src/commit/${C}/models/my%20model%231.onnx`],
      ['git@bitbucket.org:acme/ml.git', `https://bitbucket.org/acme/ml/src/${C}/models/my%20model%231.onnx`],
      ['https://acme@dev.azure.com/acme/Vision/_git/ml', `https://dev.azure.com/acme/Vision/_git/ml?path=/models/my%20model%231.onnx&version=GC${C}`],
      ['git@ssh.dev.azure.com:v3/acme/Vision/ml', `https://dev.azure.com/acme/Vision/_git/ml?path=/models/my%20model%231.onnx&version=GC${C}`],
      ['https://acme.visualstudio.com/Vision/_git/ml', `https://dev.azure.com/acme/Vision/_git/ml?path=/models/my%20model%231.onnx&version=GC${C}`],
    ];
    for (const [remote, want] of table) {
      it(remote, () => {
        if (want === 'kinds') {
          // an unknown host: refused, then mapped by the setting
          assert.throws(() => webUrl(remote, C, P), (e: RepoError) => e.code === 'NO_WEB_UI' && /modelVersions\.permalinkHosts/.test(e.message));
          assert.strictEqual(webUrl(remote, C, P, { 'git.example.org': 'gitea' }).url, `https://git.example.org:8443/team/ml/src/commit/${C}/models/my%20model%231.onnx`);
          return;
        }
        assert.strictEqual(webUrl(remote, C, P).url, want);
      });
    }

    it('a local or file:// remote has no web UI, and says so', () => {
      for (const r of ['/srv/git/ml.git', '../ml.git', 'file:///srv/git/ml.git', 'C:\\repos\\ml.git']) {
        assert.throws(() => webUrl(r, C, P), (e: RepoError) => e.code === 'NO_WEB_UI' && /local repository .* no web UI/.test(e.message), r);
      }
    });

    it("links the version's commit on the upstream's remote, and tells when it is not pushed", async () => {
      const repo = await ModelRepository.open(dir, { env: space.env });
      await assert.rejects(permalinkFor(repo.git, commits[1], MODEL), (e: RepoError) => e.code === 'NO_REMOTE' && /git remote add/.test(e.message));
      space.git(dir, 'remote', 'add', 'mirror', space.bare('mirror.git'));
      await assert.rejects(permalinkFor(repo.git, commits[1], MODEL), (e: RepoError) => e.code === 'NO_WEB_UI');
      space.git(dir, 'remote', 'add', 'origin', 'git@github.com:acme/ml.git');
      const p = await permalinkFor(repo.git, commits[1], MODEL);
      assert.strictEqual(p.url, `https://github.com/acme/ml/blob/${commits[1]}/models/vad.onnx`);
      assert.strictEqual(p.remote, 'origin');
      assert.strictEqual(p.notPushed, true);
      // a remote-tracking branch holding the commit: pushed
      space.git(dir, 'update-ref', 'refs/remotes/origin/main', commits[2]);
      assert.strictEqual((await permalinkFor(repo.git, commits[1], MODEL)).notPushed, undefined);
      // the upstream's remote wins over origin
      space.git(dir, 'remote', 'set-url', 'mirror', 'https://gitlab.com/acme/ml.git');
      space.git(dir, 'config', 'branch.main.remote', 'mirror');
      assert.strictEqual((await permalinkFor(repo.git, commits[1], MODEL)).url, `https://gitlab.com/acme/ml/-/blob/${commits[1]}/models/vad.onnx`);
      space.git(dir, 'config', '--unset', 'branch.main.remote');
      space.git(dir, 'remote', 'remove', 'mirror');
      space.git(dir, 'remote', 'remove', 'origin');
    });
  });

  describe('model cards', () => {
    it('parses back: model-index per dataset, identity, tags and aliases (Python yaml)', async () => {
      const out = path.join(space.dir, 'card.md');
      const r = await cli(['card', `${MODEL}@v3`, '--out', out, '-C', dir]);
      assert.strictEqual(r.code, 0, r.err);
      const fm = pyFrontMatter(out);
      const index = fm['model-index'] as { name: string; results: { task: { type: string }; dataset: { name: string; type: string; args: Record<string, unknown> }; metrics: { type: string; value: number; name: string }[] }[] }[];
      assert.strictEqual(index.length, 1);
      assert.strictEqual(index[0].name, 'models/vad.onnx v3');
      assert.strictEqual(index[0].results.length, 2);
      const [a, b] = index[0].results;
      assert.strictEqual(a.dataset.name, HOSTILE);
      assert.deepStrictEqual(a.dataset.args, { sha256: 'ab'.repeat(32), label: 'y', rows: 200 });
      assert.strictEqual(a.task.type, 'tabular-classification');
      assert.deepStrictEqual(a.metrics.map((m) => [m.type, m.value]), [['accuracy', 0.875], ['f1', 0.8]]);
      assert.deepStrictEqual(b.metrics.map((m) => [m.type, m.value]), [['accuracy', 0.9]]);
      assert.strictEqual(b.dataset.name, 'holdout.csv');
      const mv = fm.model_versions as Record<string, unknown>;
      assert.strictEqual(mv.commit, commits[2]);
      assert.strictEqual(mv.version, 3);
      assert.strictEqual(mv.content, `sha256:${sha256(SILERO[2])}`);
      assert.deepStrictEqual(mv.aliases, ['production']);
      assert.deepStrictEqual(mv.tags, ['vad/v3']);
      assert.strictEqual(mv.derived_from, `${MODEL}@${commits[0]}`);
      assert.ok((fm.tags as string[]).includes('vad/v3') && (fm.tags as string[]).includes('onnx'), JSON.stringify(fm.tags));
      assert.deepStrictEqual(fm.metrics, ['accuracy', 'f1']);
      assert.deepStrictEqual(Object.keys(fm).sort(), ['metrics', 'model-index', 'model_versions', 'tags']);
    });

    it('says interface, change record, lineage and intervals in the Markdown, model strings escaped', async () => {
      const r = await cli(['card', `${MODEL}@production`, '-C', dir]);
      assert.strictEqual(r.code, 0, r.err);
      const md = r.out.slice(r.out.indexOf('\n---\n') + 5);
      for (const h of ['## Interface', '## Change record', '## Lineage', '## Tags and aliases', '## Evaluation results']) assert.ok(md.includes(h), h);
      // interface from the recorded trailers: silero v6's input named `input`
      assert.match(md, /\| `input` \| `float32` \| `\[\?,\?\]` \|/);
      assert.match(md, /\*\*Change:\*\* retrained: \d+\/\d+ weight tensors changed/);
      assert.match(md, /\*\*Derived from:\*\* `models\/vad\.onnx` v1/);
      assert.match(md, /\*\*Dataset \(train\):\*\* `data\/train\.csv`, sha256 `[0-9a-f]{64}`/);
      assert.match(md, /`lr`: `0\.001`/);
      assert.match(md, /\| Accuracy \| 0\.875 \| 0\.81 – 0\.93 \|/);
      assert.match(md, /\| F1 \| 0\.8 \| 0\.7 – 0\.88 \|/);
      assert.match(md, /95% interval \(10 resampled folds of the test set\)/);
      assert.match(md, /Recorded at commit[^\n]*\n\n\| Metric \| Value \|\n\| --- \| --- \|\n\| Accuracy \| 0\.9 \|\n\| F1 \| 0\.85 \|/);
      // the hostile subject and file name are text: escaped, no table cell broken, no heading made
      assert.match(md, /^\\-\\-\\- evil: \\\[subject\\\] \\\| \\# \\\*not bold\\\*$/m);
      assert.match(md, /^### test: set \\#1 "q" \\\| \\\*b\\\*\\\.csv$/m);
      assert.ok(!md.includes('<b>html</b>'));
    });

    it('a version without records says so; a bad version is a clear error', async () => {
      const r = await cli(['card', `${MODEL}@v1`, '-C', dir]);
      assert.strictEqual(r.code, 0, r.err);
      assert.match(r.out, /No lineage recorded for this version\./);
      assert.match(r.out, /No evaluation recorded for this version/);
      assert.ok(!r.out.includes('model-index'));
      const bad = await cli(['card', `${MODEL}@v9`, '-C', dir]);
      assert.strictEqual(bad.code, 1);
      assert.match(bad.err, /has no version 'v9'/);
    });
  });

  describe('export', () => {
    it('writes the model bytes (LFS resolved), README.md and evaluations.json', async () => {
      const out = path.join(space.dir, 'handover');
      const r = await cli(['export', `${MODEL}@production`, out, '--json', '-C', dir]);
      assert.strictEqual(r.code, 0, r.err);
      const j = JSON.parse(r.out) as { version: number; files: { name: string; sha256: string }[] };
      assert.strictEqual(j.version, 3);
      assert.deepStrictEqual(fs.readdirSync(out).sort(), ['README.md', 'evaluations.json', 'vad.onnx']);
      // the bytes are the original file's, not an LFS pointer
      assert.strictEqual(sha256(path.join(out, 'vad.onnx')), sha256(SILERO[2]));
      assert.strictEqual(j.files.find((f) => f.name === 'vad.onnx')?.sha256, sha256(SILERO[2]));
      const card = await cli(['card', `${MODEL}@v3`, '-C', dir]);
      assert.strictEqual(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), card.out + '\n');
      const ev = JSON.parse(fs.readFileSync(path.join(out, 'evaluations.json'), 'utf8')) as { commit: string; commitMetrics: Record<string, number>; evaluations: { key: string; metrics: Record<string, number> }[] };
      assert.strictEqual(ev.commit, commits[2]);
      assert.deepStrictEqual(ev.commitMetrics, { accuracy: 0.9, f1: 0.85 });
      assert.deepStrictEqual(ev.evaluations.map((e) => [e.key, e.metrics]), [['k1', { accuracy: 0.875, f1: 0.8 }], ['k2', { accuracy: 0.9 }]]);
      // the working tree is untouched
      assert.strictEqual(space.git(dir, 'status', '--porcelain'), '');
    });

    it('refuses a folder that is not empty unless --force', async () => {
      const out = path.join(space.dir, 'busy');
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
      const r = await cli(['export', `${MODEL}@v1`, out, '-C', dir]);
      assert.strictEqual(r.code, 1);
      assert.match(r.err, /is not empty: give a new or empty folder, or --force/);
      assert.deepStrictEqual(fs.readdirSync(out), ['keep.txt']);
      const f = await cli(['export', `${MODEL}@v1`, out, '--force', '-C', dir]);
      assert.strictEqual(f.code, 0, f.err);
      assert.strictEqual(sha256(path.join(out, 'vad.onnx')), sha256(SILERO[0]));
      assert.strictEqual(fs.readFileSync(path.join(out, 'keep.txt'), 'utf8'), 'mine');
      const u = await cli(['export', `${MODEL}@v1`, '-C', dir]);
      assert.strictEqual(u.code, 2);
      assert.match(u.err, /missing the folder to export to/);
    });
  });
});
