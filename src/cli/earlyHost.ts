/**
 * The local evaluation host of `modelver eval`, started before the command's code is loaded (issue #12).
 *
 * Without --host, an evaluation of a model runs in a local host unless the outputs cache answers, and the
 * host takes longer to start (Node, then onnxruntime) than anything else the command does before it needs
 * it. `prestartEvalHost` (called by runCli before it loads the command) spawns it at once, synchronously,
 * when the arguments say one may be needed: they parse, name no --host and one model — a file that
 * exists, is not empty and whose name and first bytes are none of the formats evaluation refuses
 * (runnable.ts), nor a zip (a PyTorch one is told from a Keras one by its directory); or a committed
 * version, `file@version`, whose name is none of those (and whose working copy, where there is one, passes
 * the same check). A refused format starts no host, as without this. The command's `openClient` then
 * takes that process (`takePrestartedHost`) instead of spawning one, when it was spawned with the same
 * script and flags; otherwise, and whenever the command ends without taking it (an error before the host
 * was needed, or an outputs cache that answered), it is killed (`discardPrestartedHost`).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { EVAL_OPTIONS } from './commands/evalOptions';
import { splitVersionSpec } from './versionSpec';
import { notRunnableFormatByName } from '../core/eval/runnable';
import { isGguf, isLegacyTorch, isSafetensors, isTflite, isZip } from '../core/formats/sniff';

/** dist/evalHost.js beside the bundled CLI, or the compiled sources when run from out/ (serveEvalHost.ts's evalHostScript). */
function hostScript(): string | undefined {
  return [path.join(__dirname, 'evalHost.js'), path.join(__dirname, '..', 'evalHost', 'main.js')].find((p) => fs.existsSync(p));
}

interface Prestarted {
  child: ChildProcess;
  script: string;
  args: string[];
  failed: boolean;
}

let prestarted: Prestarted | undefined;

/** The host flags `modelver eval` gives a local host for these option values (openClient). */
export function localHostArgs(values: { provider?: string }): string[] {
  return values.provider ? ['--provider', values.provider] : [];
}

/**
 * Starts the local evaluation host for `modelver eval ARGS` now, when ARGS say one will surely be needed
 * (see the top). Returns the process started, if any.
 */
export function prestartEvalHost(args: string[]): ChildProcess | undefined {
  discardPrestartedHost();
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { ...EVAL_OPTIONS, record: { type: 'boolean' } }, allowPositionals: true, strict: true }));
  } catch {
    return undefined;
  }
  if (values.host !== undefined || positionals.length !== 1 || (values['no-cache'] === true && values['cache-dir'] !== undefined)) return undefined;
  if (values.provider !== undefined && !['auto', 'cuda', 'webgpu', 'cpu'].includes(values.provider as string)) return undefined;
  const script = hostScript();
  if (!script) return undefined;
  const base = path.resolve(typeof values.C === 'string' ? values.C : '.');
  const hostArgs = localHostArgs(values as { provider?: string });
  if (!runnableModelArg(positionals[0], base)) return undefined;
  const child = spawn(process.execPath, [script, ...hostArgs], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env }, windowsHide: true });
  const p: Prestarted = { child, script, args: hostArgs, failed: false };
  child.once('error', () => (p.failed = true));
  child.stdin!.on('error', () => undefined);
  prestarted = p;
  return child;
}

/**
 * The model argument names a file that plainModelFile accepts, or a committed version (`file@version`, as
 * the command resolves it) of a file whose name is none of the refused formats and whose working copy, if
 * there is one, plainModelFile accepts.
 */
function runnableModelArg(arg: string, base: string): boolean {
  const abs = path.resolve(base, arg);
  if (fs.existsSync(abs)) return plainModelFile(abs);
  const [file, spec] = splitVersionSpec(arg, base);
  if (!spec) return false;
  const model = path.resolve(base, file);
  if (refusedByName(model)) return false;
  return fs.existsSync(model) ? plainModelFile(model) : true;
}

function refusedByName(file: string): boolean {
  return notRunnableFormatByName(file) !== undefined || /\.safetensors(\.index\.json)?$/i.test(file);
}

/** A file (not empty) whose name and first bytes are none of the formats evaluation refuses, nor a zip. */
function plainModelFile(file: string): boolean {
  if (refusedByName(file)) return false;
  let fd: number | undefined;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size === 0) return false;
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(Math.min(512, st.size));
    const got = fs.readSync(fd, head, 0, head.length, 0);
    const h = head.subarray(0, got);
    return !(isGguf(h) || isTflite(h) || isSafetensors(h) || isLegacyTorch(h) || isZip(h));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The prestarted host process when it was spawned as `node script ...args` and is still running (it is
 * the caller's from then on); undefined otherwise (one that does not fit is killed).
 */
export function takePrestartedHost(script: string, args: string[]): ChildProcess | undefined {
  const p = prestarted;
  prestarted = undefined;
  if (!p) return undefined;
  const fits = !p.failed && p.child.exitCode === null && p.child.signalCode === null && p.script === path.resolve(script) && p.args.join('\0') === args.join('\0');
  if (fits) return p.child;
  kill(p.child);
  return undefined;
}

/** Kills a prestarted host no command took. */
export function discardPrestartedHost(): void {
  const p = prestarted;
  prestarted = undefined;
  if (p) kill(p.child);
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill();
}
