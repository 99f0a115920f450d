/**
 * `modelver monitor --follow --json` (the built CLI, as the Monitor panel runs it): one JSON report per
 * line; lines appended to the log show in a new report within 2 s; a log rotated (renamed away and a
 * new file created under its name) is followed into the new file, with what was appended to the old
 * one before the rename counted too; a drifted feature appended later is flagged. The counts are the
 * lines this test wrote; the follower's report after all appends equals a one-shot `monitor --json`
 * of the same records (its accumulators are the one-shot reader's, fed incrementally).
 */
import * as assert from 'assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../src/core/metrics';
import type { MonitorReport } from '../../src/core/production/monitor';
import { cli } from '../support/cli';
import { TempSpace } from './repoTestUtil';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

class Follower {
  readonly reports: MonitorReport[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  stderr = '';
  private waiters: (() => void)[] = [];
  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'monitor', '--follow', '--json', ...args]);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.reports.push(JSON.parse(this.buf.slice(0, nl)) as MonitorReport);
        this.buf = this.buf.slice(nl + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }
  /** Waits for a report with `records` records; resolves with it and the ms waited. */
  async waitFor(records: number, ms: number): Promise<{ report: MonitorReport; waited: number }> {
    const t0 = Date.now();
    for (;;) {
      const r = this.reports.find((x) => x.records === records);
      if (r) return { report: r, waited: Date.now() - t0 };
      if (Date.now() - t0 > ms) throw new Error(`no report with ${records} records within ${ms} ms; reports: ${this.reports.map((x) => x.records).join(', ')}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
  stop(): void {
    this.child.kill();
  }
}

describe('modelver monitor --follow', function () {
  this.timeout(30000);
  let t: TempSpace;
  let follower: Follower | undefined;
  const rnd = mulberry32(13);
  let id = 0;
  const t0 = Date.parse('2026-03-01T00:00:00Z');
  /** `n` events; with `shift` the feature x is drawn from a shifted distribution */
  const events = (n: number, shift = 0) =>
    Array.from({ length: n }, () => {
      id++;
      const x = rnd() * 10 + shift;
      return JSON.stringify({ timestamp: new Date(t0 + id * 1000).toISOString(), model: 'm.onnx', version: id % 2 ? 'v1' : 'v2', request_id: `r${id}`, prediction: rnd(), latency_ms: 5 + rnd() * 20, features: { x, group: rnd() < 0.5 ? 'a' : 'b' } }) + '\n';
    }).join('');

  before(() => {
    t = new TempSpace();
  });
  afterEach(() => follower?.stop());
  after(() => t.cleanup());

  it('reports appended lines within 2 s, follows a rotated log, and flags drift appended later', async () => {
    const dir = t.dir;
    const ref = path.join(dir, 'ref.csv');
    fs.writeFileSync(ref, 'x,group\n' + Array.from({ length: 2000 }, () => `${(rnd() * 10).toFixed(4)},${rnd() < 0.5 ? 'a' : 'b'}`).join('\n') + '\n');
    const log = path.join(dir, 'log.jsonl');
    fs.writeFileSync(log, events(300));
    follower = new Follower(['--log', log, '--reference', ref, '-C', dir]);
    const first = await follower.waitFor(300, 10000);
    assert.strictEqual(first.report.versions.reduce((a, v) => a + v.exposures, 0), 300);
    assert.deepStrictEqual(first.report.alerts, [], 'no drift in the reference distribution');

    // appended, and a half-written line that is completed later
    const more = events(200);
    const cut = more.length - 20;
    fs.appendFileSync(log, more.slice(0, cut));
    const second = await follower.waitFor(499, 2000);
    assert.ok(second.waited <= 2000, `appended lines seen after ${second.waited} ms`);
    fs.appendFileSync(log, more.slice(cut));
    await follower.waitFor(500, 2000);

    // rotation: lines appended to the old file just before it is renamed, then a new file under the name
    fs.appendFileSync(log, events(50));
    fs.renameSync(log, path.join(dir, 'log.1.jsonl'));
    const rotated = events(100, 6); // drifted: x shifted by 6
    fs.writeFileSync(log, rotated);
    const after = await follower.waitFor(650, 4000);
    assert.ok(after.report.notes.some((n) => /rotated/.test(n)), `the report says the log was rotated: ${after.report.notes.join(' | ')}`);
    const x = after.report.versions.map((v) => v.features.find((f) => f.feature === 'x')!);
    assert.ok(x.every((f) => f.drift), `x drifts after the shifted records: ${JSON.stringify(x)}`);
    assert.ok(after.report.alerts.some((a) => /drift in x/.test(a)), after.report.alerts.join(' | '));

    // the follower's accumulators = a one-shot read of the same records
    const both = path.join(dir, 'both.jsonl');
    fs.writeFileSync(both, fs.readFileSync(path.join(dir, 'log.1.jsonl'), 'utf8') + fs.readFileSync(log, 'utf8'));
    const once = await cli(['monitor', '--log', both, '--reference', ref, '--json', '-C', dir]);
    assert.strictEqual(once.code, 0, once.err);
    const o = JSON.parse(once.out) as MonitorReport;
    assert.strictEqual(o.records, 650);
    assert.deepStrictEqual(after.report.versions, o.versions);
  });

  it('skips a line it cannot read and says so, and keeps following', async () => {
    const log = path.join(t.dir, 'bad.jsonl');
    fs.writeFileSync(log, events(10) + '{"timestamp": "2026-03-01T00:00:00Z", "version": \n' + events(5));
    follower = new Follower(['--log', log, '-C', t.dir]);
    const r = await follower.waitFor(15, 10000);
    assert.ok(r.report.notes.some((n) => /1 line was skipped.*line 11/.test(n)), r.report.notes.join(' | '));
    fs.appendFileSync(log, events(5));
    await follower.waitFor(20, 2000);
  });
});
