/**
 * Several answers from git in one process each: objects by name (`cat-file --batch`), configuration
 * values by pattern (`config --get-regexp`), index entries of several paths (`ls-files -s`), and
 * whether a program is on PATH (no process). The commit path asks these once instead of one git
 * process per value.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RepoError } from './errors';
import type { Git } from './git';
import { MAX_POINTER_SIZE } from './lfs';

export interface BatchObject {
  /** the name asked for */
  name: string;
  /** absent when git has no such object */
  sha?: string;
  type?: string;
  size?: number;
  /** the object's bytes when it has at most `maxContent` of them */
  content?: Buffer;
}

/**
 * Look objects up by name (`HEAD^{commit}`, `HEAD:path`, `:0:path`, a blob id…) with one
 * `git cat-file --batch`, answers in the order asked. Contents larger than `maxContent` bytes are
 * skipped as they stream by, never held. Names must not contain line breaks.
 */
export function catFileBatch(git: Git, names: string[], opts: { env?: NodeJS.ProcessEnv; maxContent?: number } = {}): Promise<BatchObject[]> {
  const max = opts.maxContent ?? MAX_POINTER_SIZE;
  for (const n of names) if (/[\n\r]/.test(n)) throw new RepoError('INVALID_NAME', `An object name with a line break cannot be looked up: ${JSON.stringify(n)}.`);
  if (!names.length) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const proc = git.spawn(['cat-file', '--batch'], opts.env);
    const out: BatchObject[] = [];
    let pending: Buffer | undefined;
    /** bytes of the current object still to come (content + its LF); -1: a header is next */
    let remaining = -1;
    let current: { obj: BatchObject; keep: boolean; parts: Buffer[] } | undefined;
    let stderr = '';
    proc.stdin.on('error', () => undefined);
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    proc.stdout.on('data', (chunk: Buffer) => {
      const b = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let pos = 0;
      while (pos < b.length) {
        if (remaining < 0) {
          const nl = b.indexOf(10, pos);
          if (nl < 0) break;
          const header = b.toString('utf8', pos, nl);
          pos = nl + 1;
          const name = names[out.length] ?? '';
          const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
          if (!m) {
            // "<name> missing" or "<name> ambiguous"
            out.push({ name });
            continue;
          }
          const obj: BatchObject = { name, sha: m[1], type: m[2], size: Number(m[3]) };
          out.push(obj);
          current = { obj, keep: obj.size! <= max, parts: [] };
          remaining = obj.size! + 1;
        } else {
          const take = Math.min(remaining, b.length - pos);
          if (current!.keep) current!.parts.push(Buffer.from(b.subarray(pos, pos + take)));
          pos += take;
          remaining -= take;
          if (remaining === 0) {
            if (current!.keep) current!.obj.content = Buffer.concat(current!.parts).subarray(0, current!.obj.size);
            current = undefined;
            remaining = -1;
          }
        }
      }
      if (pos < b.length) pending = Buffer.from(b.subarray(pos));
    });
    proc.on('error', (e) => reject(new RepoError('GIT_MISSING', `Cannot run git: ${e.message}`)));
    proc.on('close', (code) => {
      if (code !== 0) reject(new RepoError('GIT_FAILED', `git cat-file --batch failed: ${stderr.trim() || `exit code ${code}`}`, stderr));
      else if (out.length !== names.length) reject(new RepoError('GIT_FAILED', `git cat-file --batch answered ${out.length} of ${names.length} names.`, stderr));
      else resolve(out);
    });
    proc.stdin.end(names.join('\n') + '\n');
  });
}

/**
 * Configuration values whose names match `regexp` (git's extended regular expression, matched
 * against the lower-cased section and key), all scopes and includes as git reads them: name → values.
 */
export async function configValues(git: Git, regexp: string, env?: NodeJS.ProcessEnv): Promise<Map<string, string[]>> {
  const r = await git.run(['config', '-z', '--get-regexp', regexp], { env, allowFail: true });
  const res = new Map<string, string[]>();
  if (r.code === 1) return res; // none set
  if (r.code !== 0) throw new RepoError('GIT_FAILED', `\`git config --get-regexp\` failed: ${r.stderr.trim()}`, r.stderr);
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    const nl = rec.indexOf('\n');
    const key = nl < 0 ? rec : rec.slice(0, nl);
    const value = nl < 0 ? '' : rec.slice(nl + 1);
    const l = res.get(key);
    if (l) l.push(value);
    else res.set(key, [value]);
  }
  return res;
}

export interface IndexEntry {
  mode: string;
  blob: string;
  /** 0, or 1–3 for the sides of an unresolved merge conflict */
  stage: number;
  path: string;
}

/** The index entries of some paths (each taken literally), every stage, with one `git ls-files -s`. */
export async function indexEntries(git: Git, paths: string[], env?: NodeJS.ProcessEnv): Promise<IndexEntry[]> {
  const out = (await git.run(['ls-files', '-s', '-z', '--', ...paths.map((p) => `:(literal)${p}`)], { env })).stdout.toString('utf8');
  const res: IndexEntry[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, blob, stage] = rec.slice(0, tab).split(' ');
    res.push({ mode, blob, stage: Number(stage), path: rec.slice(tab + 1) });
  }
  return res;
}

/** Whether an executable named `name` is in one of the PATH folders (with PATHEXT on Windows); no process is started. */
export function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  const pathVar = env.PATH ?? env.Path ?? env.path ?? '';
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const f = path.join(dir, name + ext);
      try {
        const st = fs.statSync(f);
        if (!st.isFile()) continue;
        if (process.platform !== 'win32') fs.accessSync(f, fs.constants.X_OK);
        return true;
      } catch {
        /* not here */
      }
    }
  }
  return false;
}
