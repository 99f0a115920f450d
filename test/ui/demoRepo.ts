/** The demo repository of `npm start`, made by the real generator (dist/demo.js, src/demo/generate.ts). */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/paths';
import { makeWorkspace } from '../support/workspace';

const DEMO_JS = path.join(REPO_ROOT, 'dist', 'demo.js');

/** Makes the demo repository in a new temporary folder named model-versions-demo; returns its path. */
export function makeDemoRepository(prefix: string): string {
  if (!fs.existsSync(DEMO_JS)) throw new Error(`${DEMO_JS} is missing: run npm run build first (it bundles the demo generator).`);
  // the folder's name shows in the window title and the Lineage panel's heading
  const root = path.join(makeWorkspace(prefix, {}), 'model-versions-demo');
  try {
    execFileSync(process.execPath, [DEMO_JS, root, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`node dist/demo.js ${root} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  return root;
}
