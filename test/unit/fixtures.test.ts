/**
 * A fresh clone tests itself: every file a test reads lives inside the repository.
 * (a) test/fixtures/PROVENANCE.md lists every fixture with its sha256 and size, and nothing else lives there;
 *     the licence texts it names are there too.
 * (b) No source under test/, bench/, scripts/ or .ci/ (nor the root build/test configs) points outside the
 *     repository: not into the team's shared folder beside the checkout, not to an absolute path under the
 *     team's work folder, no fixtures-folder override, no climb above the repository root.
 * (c) No unit test file reads a fixture while mocha loads it (at module or describe level): there a missing
 *     file aborts the whole suite with 0 tests counted, instead of failing one test that says which file.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIXTURES, REPO_ROOT } from '../support/paths';

const PROVENANCE = path.join(FIXTURES, 'PROVENANCE.md');

interface ProvenanceRow {
  file: string;
  sha256: string;
  bytes: number;
  licence: string;
  line: number;
}

/** The table rows of PROVENANCE.md: | `path` | sha256 | bytes | source | licence |. */
export function parseProvenance(text: string): ProvenanceRow[] {
  const rows: ProvenanceRow[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\|\s*`([^`]+)`\s*\|\s*([0-9a-f]{64})\s*\|\s*(\d+)\s*\|[^|]*\|([^|]*)\|\s*$/.exec(l);
    if (m) rows.push({ file: m[1], sha256: m[2], bytes: Number(m[3]), licence: m[4], line: i + 1 });
    else if (/^\|\s*`/.test(l)) throw new Error(`PROVENANCE.md line ${i + 1} is not a | \`file\` | sha256 | bytes | source | licence | row: ${l}`);
  });
  return rows;
}

function walk(dir: string, skip: (rel: string) => boolean = () => false, root = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    const rel = path.relative(root, full).split(path.sep).join('/');
    if (skip(rel)) continue;
    if (e.isDirectory()) out.push(...walk(full, skip, root));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

// Patterns and messages are built from pieces so that this file does not match its own patterns.
const DD = '..';
const DOTDOT = '\\.\\.';
const Q = `['"\`]`;
const OUTSIDE_PATTERNS: { what: string; re: RegExp }[] = [
  { what: `a path into ${DD}/shared (outside the repository)`, re: new RegExp(`${DOTDOT}[/\\\\]shared\\b`) },
  { what: `path segments '${DD}', 'shared' (outside the repository)`, re: new RegExp(`${Q}${DOTDOT}${Q}\\s*,\\s*${Q}shared${Q}`) },
  { what: `an absolute /${'work'}/ path`, re: new RegExp('(^|[^\\w.-])/' + 'work/') },
  { what: 'the old fixtures-folder override (fixtures live in test/fixtures)', re: new RegExp('MV_' + 'FIXTURES') },
  { what: `a path that climbs out of the repository root (ROOT, '${DD}')`, re: new RegExp(`ROOT\\s*,\\s*${Q}${DOTDOT}${Q}`) },
];

/** Lines of `text` that point outside the repository, as "line: what: text". */
export function outsideReferences(text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((l, i) => {
    for (const p of OUTSIDE_PATTERNS) if (p.re.test(l)) hits.push(`${i + 1}: ${p.what}: ${l.trim()}`);
  });
  return hits;
}

const SCANNED_DIRS = ['test', 'bench', 'scripts', '.ci'];
const SCANNED_ROOT_FILES = ['package.json', '.mocharc.json', 'tsconfig.json', 'tsconfig.test.json', 'esbuild.js'];
const SOURCE_EXT = /\.(ts|js|mjs|cjs|sh|py|json)$/;

describe('test fixtures live inside the repository', () => {
  describe('test/fixtures/PROVENANCE.md', () => {
    let rows: ProvenanceRow[];
    before(() => {
      assert.ok(fs.existsSync(PROVENANCE), `${PROVENANCE} is missing: the fixtures' sources, licences and sha256 belong there`);
      rows = parseProvenance(fs.readFileSync(PROVENANCE, 'utf8'));
    });

    it('lists fixtures, each once', () => {
      assert.ok(rows.length >= 60, `only ${rows.length} rows in PROVENANCE.md`);
      const seen = new Map<string, number>();
      for (const r of rows) {
        assert.ok(!seen.has(r.file), `${r.file} is listed twice (lines ${seen.get(r.file)} and ${r.line})`);
        seen.set(r.file, r.line);
      }
    });

    it('every file listed exists with its sha256 and size', () => {
      const problems: string[] = [];
      for (const r of rows) {
        const file = path.join(FIXTURES, r.file);
        if (!fs.existsSync(file)) {
          problems.push(`${r.file} (line ${r.line}) is missing from test/fixtures/`);
          continue;
        }
        const buf = fs.readFileSync(file);
        const sha = crypto.createHash('sha256').update(buf).digest('hex');
        if (sha !== r.sha256) problems.push(`${r.file}: sha256 ${sha}, PROVENANCE.md line ${r.line} says ${r.sha256} (a fixture must stay byte for byte as published)`);
        if (buf.length !== r.bytes) problems.push(`${r.file}: ${buf.length} bytes, PROVENANCE.md line ${r.line} says ${r.bytes}`);
      }
      assert.deepStrictEqual(problems, []);
    });

    it('every file in test/fixtures is listed (except PROVENANCE.md itself)', () => {
      const listed = new Set(rows.map((r) => r.file));
      const unlisted = walk(FIXTURES)
        .map((f) => path.relative(FIXTURES, f).split(path.sep).join('/'))
        .filter((rel) => rel !== 'PROVENANCE.md' && !listed.has(rel));
      assert.deepStrictEqual(unlisted, [], 'files in test/fixtures/ without a PROVENANCE.md row (source, licence, sha256)');
    });

    it('the licence texts each row names are in test/fixtures/licenses/ and listed', () => {
      const listed = new Set(rows.map((r) => r.file));
      const named = new Set<string>();
      for (const r of rows) for (const m of r.licence.matchAll(/`((?:LICENSE|COPYING)[^`]*)`/g)) named.add(m[1]);
      assert.ok(named.size >= 8, `only ${named.size} licence texts named`);
      const missing = [...named].filter((n) => !listed.has(`licenses/${n}`) || !fs.existsSync(path.join(FIXTURES, 'licenses', n)));
      assert.deepStrictEqual(missing, [], 'licence texts named in PROVENANCE.md but not in test/fixtures/licenses/');
      const third = rows.filter((r) => !r.file.startsWith('licenses/'));
      const withoutLicence = third.filter((r) => !/MIT|ISC|Apache-2\.0|GPL-3\.0|CC0/.test(r.licence)).map((r) => r.file);
      assert.deepStrictEqual(withoutLicence, [], 'rows that name no licence');
    });

    it('the parser rejects a malformed row instead of skipping it', () => {
      assert.throws(() => parseProvenance('| `a.onnx` | not-a-sha | 1 | x | MIT |'), /line 1 is not a/);
      assert.strictEqual(parseProvenance(`| \`a.onnx\` | ${'0'.repeat(64)} | 12 | npm x | MIT |`)[0].bytes, 12);
    });
  });

  describe('no test, bench or script reads outside the repository', () => {
    it('the patterns catch what they are for, and leave in-repository paths alone', () => {
      const bad = [
        `const FIX = path.join(__dirname, '${DD}', 'shared', 'fixtures', 'keras');`,
        `const p = '${DD}/shared/fixtures/data/iris.json';`,
        `cp ${'/'}work/shared/fixtures/onnx/a.onnx .`,
        `const F = process.env.MV_${'FIXTURES'};`,
        `path.resolve(REPO_ROOT, '${DD}', 'elsewhere')`,
      ];
      for (const l of bad) assert.strictEqual(outsideReferences(l).length, 1, `not caught (or caught twice): ${l}`);
      const good = [
        `import { outputFloats } from '../../src/shared/evalProtocol';`,
        `const PY = '/usr/bin/python3';`,
        `const ROOT = path.join(__dirname, '..', '..', '..');`,
        `const FIX = fixture('keras');`,
        `const w = path.join(tmp, 'homework/x');`,
      ];
      for (const l of good) assert.deepStrictEqual(outsideReferences(l), [], `false alarm: ${l}`);
    });

    it(`sources under ${SCANNED_DIRS.join(', ')} and the root configs point nowhere outside the repository`, () => {
      const files = [
        ...SCANNED_DIRS.flatMap((d) =>
          walk(path.join(REPO_ROOT, d), (rel) => rel === 'node_modules' || (d === 'test' && rel === 'fixtures')),
        ).filter((f) => SOURCE_EXT.test(f) || path.dirname(f) === path.join(REPO_ROOT, '.ci')),
        ...SCANNED_ROOT_FILES.map((f) => path.join(REPO_ROOT, f)).filter((f) => fs.existsSync(f)),
      ];
      assert.ok(files.length > 50, `only ${files.length} files scanned: is REPO_ROOT (${REPO_ROOT}) right?`);
      assert.ok(files.some((f) => f.endsWith(path.join('test', 'unit', 'kerasEval.test.ts'))), 'the test sources are scanned');
      const hits = files.flatMap((f) => outsideReferences(fs.readFileSync(f, 'utf8')).map((h) => `${path.relative(REPO_ROOT, f)}:${h}`));
      assert.deepStrictEqual(hits, [], 'use fixture(...) from test/support/paths.ts (test/fixtures/) instead');
    });
  });

  describe('no unit test reads a fixture while mocha loads it', () => {
    // A preload that records every file read under test/fixtures/ with the test file whose module code made it.
    const HOOK = String.raw`
const fs = require('fs'), path = require('path');
const root = process.env.MV_PROBE_FIXTURES + path.sep, out = process.env.MV_PROBE_OUT, reads = [];
const caller = () => (new Error().stack.split('\n').map((l) => (/\((.*\.test\.js):\d+:\d+\)|at (\/.*\.test\.js):\d+:\d+/.exec(l) || [])).find((m) => m[1] || m[2]) || [])[1] || '?';
for (const name of ['readFileSync', 'openSync', 'copyFileSync', 'createReadStream', 'statSync']) {
  const orig = fs[name];
  fs[name] = function (p, ...rest) {
    if (typeof p === 'string' && path.resolve(p).startsWith(root)) reads.push({ fn: name, file: path.relative(root, path.resolve(p)), by: caller() });
    return orig.call(this, p, ...rest);
  };
}
process.on('exit', () => fs.writeFileSync(out, JSON.stringify(reads)));
`;
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-loadtime-'));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('loading every unit test file (mocha --dry-run) reads no fixture; a probe that does is caught', function () {
      this.timeout(120_000);
      const hook = path.join(tmp, 'hook.js');
      fs.writeFileSync(hook, HOOK);
      // the probe: a test file that reads a fixture at load time, as dataset.test.ts once did
      const probe = path.join(tmp, 'probe.test.js');
      fs.writeFileSync(probe, `const rows = require('fs').readFileSync(${JSON.stringify(path.join(FIXTURES, 'data', 'iris.json'))}, 'utf8');\ndescribe('probe', () => it('x', () => {}));\n`);
      const unitDir = __dirname; // <outDir>/test/unit
      const files = walk(unitDir).filter((f) => f.endsWith('.test.js'));
      assert.ok(files.length > 10, `only ${files.length} compiled unit test files in ${unitDir}`);
      const out = path.join(tmp, 'reads.json');
      const mocha = path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
      const r = spawnSync(process.execPath, [mocha, '--no-config', '--dry-run', '--reporter', 'dot', '--require', hook, ...files, probe], {
        cwd: REPO_ROOT,
        env: { ...process.env, MV_PROBE_FIXTURES: FIXTURES, MV_PROBE_OUT: out },
        encoding: 'utf8',
        timeout: 110_000,
      });
      assert.strictEqual(r.status, 0, `mocha --dry-run failed to load the unit tests:\n${r.stdout}\n${r.stderr}`);
      const reads = JSON.parse(fs.readFileSync(out, 'utf8')) as { fn: string; file: string; by: string }[];
      const byProbe = reads.filter((x) => x.by === probe);
      assert.deepStrictEqual(byProbe.map((x) => x.file), [path.join('data', 'iris.json')], 'the probe read was not seen: the check is blind');
      const others = reads.filter((x) => x.by !== probe).map((x) => `${path.relative(unitDir, x.by)}: ${x.fn}(${x.file})`);
      assert.deepStrictEqual(others, [], 'fixtures read at load time: move the read into before()/it()');
    });
  });
});
