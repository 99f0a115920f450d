/**
 * The terminal progress bar of `modelver eval` / `modelver compare` (src/cli/progress.ts): drawn on a TTY
 * (an injected isTTY stream, and a real pseudo-terminal through Python's pty module), throttled to ~10 redraws a
 * second, absent on a pipe and with --json.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../../src/cli/main';
import { ProgressBar, progressBarFor, type ProgressStream } from '../../src/cli/progress';
import { linearModel, rng } from '../support/onnxModels';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

class FakeTty implements ProgressStream {
  isTTY = true;
  columns = 200;
  writes: string[] = [];
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
}

describe('CLI progress bar', function () {
  this.timeout(120_000);
  let tmp: string;
  let model: string;
  let model2: string;
  let csv: string;
  const ROWS = 3000;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cliprogress-test-'));
    model = path.join(tmp, 'a.onnx');
    model2 = path.join(tmp, 'b.onnx');
    fs.writeFileSync(model, linearModel([1, -1], 0));
    fs.writeFileSync(model2, linearModel([0.8, -1.1], 0.1));
    const r = rng(3);
    const lines = ['f1,f2,y'];
    for (let i = 0; i < ROWS; i++) {
      const a = r() * 2 - 1;
      const b = r() * 2 - 1;
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${a - b + (r() - 0.5) * 0.5 > 0 ? 1 : 0}`);
    }
    fs.writeFileSync(csv = path.join(tmp, 'd.csv'), lines.join('\n') + '\n');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('draws rows done/total, rows/s and the ETA, at most every 100 ms, and always the last state', () => {
    let t = 0;
    const tty = new FakeTty();
    const bar = new ProgressBar(tty, 'm.onnx', { now: () => t });
    bar.update({ rowsDone: 0, rowsTotal: 100_000 });
    for (let i = 1; i <= 50; i++) {
      t = i; // 50 updates within 50 ms: no redraw
      bar.update({ rowsDone: i * 100, rowsTotal: 100_000 });
    }
    assert.strictEqual(bar.draws, 1);
    t = 2000;
    bar.update({ rowsDone: 50_000, rowsTotal: 100_000 });
    assert.strictEqual(bar.draws, 2);
    const line = tty.writes[1];
    assert.match(line, /^\rm\.onnx \[#{12}-{12}\] 50,000\/100,000 rows  50%  25,000 rows\/s  ETA 2s\x1b\[K$/);
    t = 2050;
    bar.update({ rowsDone: 100_000, rowsTotal: 100_000 }); // the last one is drawn though only 50 ms passed
    assert.strictEqual(bar.draws, 3);
    assert.match(tty.writes[2], /100,000\/100,000 rows 100% .* done/);
    bar.done();
    assert.strictEqual(tty.writes[3], '\r\x1b[K');
    // a redraw budget of ~10/s over a long run
    const tty2 = new FakeTty();
    let t2 = 0;
    const bar2 = new ProgressBar(tty2, '', { now: () => t2 });
    for (let i = 0; i < 10_000; i++) {
      t2 = i; // one update per ms for 10 s
      bar2.update({ rowsDone: i, rowsTotal: 1e6 });
    }
    assert.ok(bar2.draws <= 101 && bar2.draws >= 99, `${bar2.draws} draws in 10 s`);
  });

  it('is only made for a TTY and never with --json', () => {
    assert.ok(progressBarFor(new FakeTty(), { env: {} }));
    assert.strictEqual(progressBarFor(new FakeTty(), { json: true, env: {} }), undefined);
    assert.strictEqual(progressBarFor({ isTTY: false, write: () => true }, { env: {} }), undefined);
    assert.strictEqual(progressBarFor({ write: () => true }, { env: {} }), undefined);
    assert.strictEqual(progressBarFor(undefined, { env: {} }), undefined);
    assert.strictEqual(progressBarFor(new FakeTty(), { env: { TERM: 'dumb' } }), undefined);
  });

  const io = (errStream?: ProgressStream) => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), errStream }, out, err };
  };

  it('modelver eval / compare with an isTTY stderr show the bar and clear it; --json shows none', async () => {
    const tty = new FakeTty();
    const a = io(tty);
    assert.strictEqual(await runCli(['eval', model, '--data', csv, '--label', 'y', '--batch', '16', '--folds', '0', '--no-cache'], a.io), 0, a.err.join('\n'));
    const drawn = tty.writes.filter((w) => w.startsWith('\r') && w.length > 4);
    assert.ok(drawn.length >= 1, 'no bar drawn');
    assert.match(drawn[drawn.length - 1], new RegExp(`${ROWS.toLocaleString('en-US')}/${ROWS.toLocaleString('en-US')} rows 100%`));
    assert.strictEqual(tty.writes[tty.writes.length - 1], '\r\x1b[K', 'the bar is cleared before the report');
    assert.match(a.out.join('\n'), /accuracy/);

    const c = new FakeTty();
    const b = io(c);
    assert.strictEqual(await runCli(['compare', model, model2, '--data', csv, '--label', 'y', '--folds', '0', '--no-cache'], b.io), 0, b.err.join('\n'));
    const lines = c.writes.filter((w) => w.length > 4);
    assert.ok(lines.some((l) => l.includes('a.onnx') && l.includes('(1/2)')));
    assert.ok(lines.some((l) => l.includes('b.onnx') && l.includes('(2/2)')));

    const j = new FakeTty();
    const d = io(j);
    assert.strictEqual(await runCli(['eval', model, '--data', csv, '--label', 'y', '--json', '--no-cache'], d.io), 0);
    assert.deepStrictEqual(j.writes, []);
    JSON.parse(d.out.join('\n'));
  });

  it('a piped run prints no bar; under a pseudo-terminal the bar appears', function () {
    assert.ok(fs.existsSync(CLI), `build first: ${CLI}`);
    const args = ['eval', model, '--data', csv, '--label', 'y', '--folds', '0', '--no-cache'];
    const piped = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.strictEqual(piped.status, 0, piped.stderr);
    assert.ok(!piped.stderr.includes('rows/s') && !piped.stderr.includes('\r'), `bar on a pipe: ${JSON.stringify(piped.stderr)}`);
    assert.match(piped.stdout, /accuracy/);
    // a real pseudo-terminal: Python's pty.spawn takes the argv as a list (no shell command line)
    const tty = spawnSync('/usr/bin/python3', ['-c', 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))', process.execPath, CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.strictEqual(tty.status, 0, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\r[^\r\n]*\d+\/3,000 rows/);
    assert.match(tty.stdout, /\r\x1b\[K/);
    assert.match(tty.stdout, /accuracy/);
  });
});
