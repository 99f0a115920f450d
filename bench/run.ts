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

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !benches[n]);
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
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
