/**
 * Benchmark (issue #13): `modelver abtest` and `modelver monitor` on a prediction log of
 * MV_BENCH_EVENTS events (default 10 million, 2.1 GiB of JSON Lines — about 210 bytes a record: two
 * versions, one feature object of three values, latency, inline 0/1 outcomes; twice the "about
 * 1 GB"), each a fresh process, interleaved with the baseline — `wc -l` on the same file, one scan of
 * it — medians with their spread. The log is read in parts on as many threads as there are cores
 * (src/core/production/parallel.ts). Goal: each at most
 * 10 s on the project's 2-core machine, with bounded memory (the peak RSS of one run of each, from
 * /usr/bin/time, is printed beside).
 *
 * The file lives in os.tmpdir()/mv-bench-prod-<events>-v1.jsonl and is deleted at the end unless
 * MV_BENCH_KEEP=1 (a later run reuses it). Timed rounds: MV_BENCH_RUNS (default 3).
 *
 * Run: npm run bench -- production   (MV_BENCH_EVENTS=1000000 for a quick look)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mulberry32 } from '../src/core/metrics/rng';
import { builtCli, compareProcesses, formatRow, round2 as r2, runIfMain } from './measure';

const GOAL_MS = 10000;
const LAYOUT = 1;

function writeLog(file: string, events: number): void {
  const r = mulberry32(13);
  const fd = fs.openSync(file, 'w');
  const start = Date.parse('2026-11-01T00:00:00Z');
  const span = 14 * 86400e3;
  let buf: string[] = [];
  try {
    for (let i = 0; i < events; i++) {
      const v3 = r() < 0.5;
      const p = r();
      buf.push(
        `{"timestamp":${start + Math.floor((i / events) * span)},"model":"models/purchase_model.onnx","version":"${v3 ? 'v3' : 'v2'}","request_id":"r${i.toString(36)}","prediction":${p.toFixed(4)},"outcome":${r() < (v3 ? 0.215 : 0.2) ? 1 : 0},"features":{"pages_viewed":${1 + Math.floor(r() * 12)},"session_minutes":${(r() * 30).toFixed(1)},"device":"${r() < 0.6 ? 'mobile' : 'desktop'}"},"latency_ms":${(2 + r() * 3).toFixed(2)}}`,
      );
      if (buf.length === 50000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
}

function peakRssMiB(argv: string[]): number | undefined {
  if (!fs.existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const kib = Number(/(\d+)\s*$/.exec(r.stderr)?.[1]);
  return Number.isFinite(kib) ? Math.round(kib / 1024) : undefined;
}

export async function benchProduction(): Promise<Record<string, number | string>> {
  const events = Number(process.env.MV_BENCH_EVENTS ?? 10_000_000);
  const runs = Number(process.env.MV_BENCH_RUNS ?? 3);
  const file = path.join(os.tmpdir(), `mv-bench-prod-${events}-v${LAYOUT}.jsonl`);
  const cli = builtCli();
  if (!fs.existsSync(file)) {
    console.log(`writing ${events.toLocaleString('en-US')} events to ${file}…`);
    writeLog(file, events);
  }
  const bytes = fs.statSync(file).size;
  console.log(`log: ${events.toLocaleString('en-US')} events, ${(bytes / 2 ** 30).toFixed(2)} GiB`);
  try {
    const abtest = [process.execPath, cli, 'abtest', '--log', file, '--json'];
    const monitor = [process.execPath, cli, 'monitor', '--log', file, '--window', '1d', '--json'];
    const row = await compareProcesses(
      `abtest and monitor on ${events.toLocaleString('en-US')} events (${(bytes / 2 ** 30).toFixed(2)} GiB of JSON Lines), fresh processes, interleaved`,
      [
        { name: 'wc -l (one scan of the file)', argv: ['wc', '-l', file] },
        { name: 'modelver abtest --json', argv: abtest, cwd: os.tmpdir() },
        { name: 'modelver monitor --window 1d --json', argv: monitor, cwd: os.tmpdir() },
      ],
      runs,
      1,
    );
    const ab = row.cases[1].median;
    const mon = row.cases[2].median;
    console.log(formatRow(row, { text: `each ≤ ${GOAL_MS / 1000} s`, met: ab <= GOAL_MS && mon <= GOAL_MS }));
    const rssAb = peakRssMiB(abtest);
    const rssMon = peakRssMiB(monitor);
    console.log(`  peak RSS: abtest ${rssAb ?? '?'} MiB, monitor ${rssMon ?? '?'} MiB`);
    return {
      events,
      bytes,
      wcMs: r2(row.cases[0].median),
      abtestMs: r2(ab),
      abtestSpread: `${r2(row.cases[1].min)}–${r2(row.cases[1].max)}`,
      monitorMs: r2(mon),
      monitorSpread: `${r2(row.cases[2].min)}–${r2(row.cases[2].max)}`,
      abtestOverScan: r2(ab / row.cases[0].median),
      monitorOverScan: r2(mon / row.cases[0].median),
      ...(rssAb !== undefined ? { abtest_peak_rss_mib: rssAb } : {}),
      ...(rssMon !== undefined ? { monitor_peak_rss_mib: rssMon } : {}),
      goal_met: ab <= GOAL_MS && mon <= GOAL_MS ? 'yes' : 'no',
    };
  } finally {
    if (process.env.MV_BENCH_KEEP !== '1') fs.rmSync(file, { force: true });
  }
}

runIfMain(module, benchProduction);
