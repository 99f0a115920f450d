/**
 * `npm run bench -- [name…]`: runs the named benchmarks (all when none is named) and prints their figures
 * as JSON lines. Every benchmark reports ratios against a baseline measured in the same process.
 */
import { benchActivation } from './activation';
import { benchCommit } from './commit';
import { benchDiff } from './diff';
import { benchEval } from './eval';
import { benchFind } from './find';
import { benchHistory } from './history';
import { benchInspect } from './inspect';
import { benchLineage } from './lineage';
import { benchProduction } from './production';
import { compareProcesses, formatRow } from './measure';
import { benchSafetensorsBig } from './safetensorsBig';

type Bench = () => Promise<Record<string, number | string>>;

const benches: Record<string, Bench> = {
  inspect: () => benchInspect(),
  history: () => benchHistory(),
  diff: () => benchDiff(),
  commit: () => benchCommit(),
  eval: () => benchEval(),
  lineage: () => benchLineage(),
  find: () => benchFind(),
  activation: () => benchActivation(),
  // not in a plain `npm run bench` (it writes two 5 GiB files): name it
  'safetensors-big': () => benchSafetensorsBig(),
  // not in a plain `npm run bench` (it writes a 1.3 GiB log): name it
  production: () => benchProduction(),
};

/** benches that run only when named */
const onlyWhenNamed = new Set(['safetensors-big', 'production']);

/**
 * NODE_EXTRA_CA_CERTS (a proxy's certificate bundle, as on this project's build machines) makes Node 20
 * read and parse that file at every start-up, before any of our code runs; git, git-lfs, openssl and
 * Python pay nothing for it, and a typical machine does not set it. The benches time Node processes
 * without it, after showing once what it costs here; MV_BENCH_KEEP_CA_CERTS=1 keeps it.
 */
async function withoutExtraCaCerts(): Promise<void> {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file || process.env.MV_BENCH_KEEP_CA_CERTS === '1') return;
  const without = { ...process.env };
  delete without.NODE_EXTRA_CA_CERTS;
  const row = await compareProcesses(
    `NODE_EXTRA_CA_CERTS=${file} is set: what it costs every Node start-up here`,
    [
      { name: 'node -e 0 without it', argv: [process.execPath, '-e', '0'], env: without },
      { name: 'node -e 0 with it', argv: [process.execPath, '-e', '0'], env: process.env },
    ],
    11,
  );
  console.log(formatRow(row));
  console.log('  every bench below runs its processes without it (MV_BENCH_KEEP_CA_CERTS=1 keeps it)');
  delete process.env.NODE_EXTRA_CA_CERTS;
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !benches[n]);
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await withoutExtraCaCerts();
  for (const name of names.length ? names : Object.keys(benches).filter((n) => !onlyWhenNamed.has(n))) {
    console.log(`\n== bench ${name} ==`);
    const result = await benches[name]();
    console.log(JSON.stringify({ bench: name, ...result }));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
