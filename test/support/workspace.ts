/** Throwaway workspace folders for the integration and UI tests. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixture } from './paths';

/** File contents: text, bytes, or `{ copy: absolutePath }`. */
export type FileSpec = string | Buffer | { copy: string };

/** Workspaces not yet removed; deleted when the process exits (also after Ctrl+C, see exitOnSignals). */
const live = new Set<string>();
process.on('exit', () => {
  for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a new folder under the OS temp dir with the given files (relative paths). */
export function makeWorkspace(prefix: string, files: Record<string, FileSpec>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `mv-${prefix}-`));
  live.add(root);
  for (const [rel, spec] of Object.entries(files)) {
    const dest = path.join(root, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (typeof spec === 'object' && !Buffer.isBuffer(spec)) {
      if (!fs.existsSync(spec.copy)) {
        throw new Error(`fixture ${spec.copy} is missing (fixtures live in ../shared/fixtures, or set MV_FIXTURES)`);
      }
      fs.copyFileSync(spec.copy, dest);
    } else {
      fs.writeFileSync(dest, spec);
    }
  }
  return root;
}

/** The small model the end-to-end tests use. */
export const HELLO_MODEL = 'hello_deepa.onnx';

/** A workspace with one ONNX model and a README.md (which is not a model). */
export function modelWorkspace(prefix: string): string {
  return makeWorkspace(prefix, {
    [HELLO_MODEL]: { copy: fixture('onnx', HELLO_MODEL) },
    'README.md': '# Test workspace\n\nOne model: hello_deepa.onnx.\n',
  });
}

export function removeWorkspace(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}
