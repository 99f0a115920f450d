/**
 * onnxruntime-node inside the eval host: loaded lazily (first initialize), execution-provider choice
 * (auto: cuda → webgpu → cpu, each tried with a tiny probe model) and a small session cache.
 * Nothing here writes to stdout: ORT's own log goes to stderr at logSeverityLevel 3 (errors only).
 *
 * ONNX sessions are created from a file in a private per-session folder (0700, under the blob store's
 * work folder) that holds the model and the external-data files the client sent, laid out where the
 * model names them (hard links to the verified blobs, or copies). So external data resolves beside the
 * model and nowhere else (issue #10): never against the host's working folder (ORT resolves a model
 * loaded from bytes against the cwd), and a location outside the folder is refused (by the check below
 * and by ORT itself). The folder goes when the session is released.
 *
 * A local host (stdio, on the client's machine) also opens a model with external data by its own path
 * (sessionAt, issue #15): the data files stay where they are, however large, and resolve in the model's
 * folder; their locations are checked the same way first.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type * as OrtModule from 'onnxruntime-node';
import type { ProviderChoice, ProviderName, SkippedProvider } from '../shared/evalProtocol';
import { AUTO_PROVIDER_ORDER } from '../shared/evalProtocol';
import type { EvalEngine } from '../shared/evalProtocol';
import { isHdf5, isZip } from '../core/formats/sniff';
import { ModelFormatError } from '../core/formats/errors';
import { readOnnxSummary } from '../core/formats/onnx';
import type { ModelFiles } from './blobStore';
import type { KerasSession } from './keras/runner';

export type Ort = typeof OrtModule;
/** an onnxruntime session, or a Keras model run by TensorFlow.js behind the same run/release surface */
type Session = OrtModule.InferenceSession | KerasSession;

let ortModule: Ort | undefined;

export function loadOrt(): Ort {
  if (!ortModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as Ort;
    ortModule.env.logLevel = 'error';
  }
  return ortModule;
}

/** Relu on float32[1]: 65 bytes, built with onnx-proto (IR 8, opset 17). Used to probe a provider. */
const PROBE_MODEL = Buffer.from('CAg6NwoMCgF4EgF5IgRSZWx1EgVwcm9iZVoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE=', 'base64');

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly skipped: SkippedProvider[],
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** ORT's messages carry source paths and colour codes; keep the useful tail, one line, bounded. */
export function shortenError(e: unknown, max = 300): string {
  let s = e instanceof Error ? e.message : String(e);
  s = s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
  s = s.replace(/\/onnxruntime_src\/[^\s:]+:\d+ /g, '');
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** Directory of onnxruntime_binding.node (where the CUDA provider libraries must be). */
export function bindingDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** The CUDA provider's shared libraries that are missing next to the binding (empty: all present). */
export function missingCudaLibraries(dir = bindingDir()): string[] {
  const names =
    process.platform === 'win32'
      ? ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll']
      : ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
  return names.filter((n) => !fs.existsSync(path.join(dir, n)));
}

export const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Whether the dynamic loader can find the Vulkan loader library, as dlopen would look for it: the folders
 * of LD_LIBRARY_PATH, the onnxruntime binding's folder, /etc/ld.so.cache (which names every library it
 * indexes) and the default folders. On Linux, onnxruntime's WebGPU provider (Dawn) runs on Vulkan.
 */
export function vulkanLoaderFound(
  env: NodeJS.ProcessEnv = process.env,
  exists: (file: string) => boolean = fs.existsSync,
  readCache: () => Buffer | undefined = () => {
    try {
      return fs.readFileSync('/etc/ld.so.cache');
    } catch {
      return undefined;
    }
  },
): boolean {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  try {
    dirs.push(bindingDir());
  } catch {
    /* no binding: the provider is not listed anyway */
  }
  dirs.push('/lib', '/usr/lib', '/lib64', '/usr/lib64', `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`);
  if (dirs.some((d) => exists(path.join(d, VULKAN_LOADER)))) return true;
  return readCache()?.includes(VULKAN_LOADER) ?? false;
}

/** onnxruntime session config entries (SessionOptions.extra): intra-op threads do not spin while idle. */
export const SESSION_CONFIG = { session: { intra_op: { allow_spinning: '0' } } } as const;

export interface RuntimeOptions {
  provider: ProviderChoice;
  intraOpNumThreads: number;
}

/** An external-data problem the client can fix (sent as a bad-input error). */
export class ExternalDataError extends Error {
  override name = 'ExternalDataError';
}

const MODEL_NAME = 'model.onnx';

/**
 * Lays out the model and its external data in a new private folder under `workDir`: hard links to the
 * blobs (copies where links are not possible). Returns the folder and the model's path in it.
 */
export function layOutModel(file: string, files: ModelFiles): { dir: string; model: string } {
  const dir = fs.mkdtempSync(path.join(files.workDir, `s-${process.pid}-`));
  try {
    const place = (src: string, rel: string): string => {
      const dst = path.join(dir, ...rel.split('/'));
      if (path.relative(dir, dst).startsWith('..')) throw new ExternalDataError(`external data location "${rel}" leads out of the model's folder`);
      fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
      }
      return dst;
    };
    const model = place(file, MODEL_NAME);
    for (const x of files.external) {
      if (x.location === MODEL_NAME) throw new ExternalDataError(`external data location "${x.location}" is the model's own name in the host's folder; rename the data file`);
      place(x.file, x.location);
    }
    return { dir, model };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Before onnxruntime sees the model: every external-data location it names must lie inside its folder
 * and be one of the files the client sent. Throws ExternalDataError with what to do. A model our reader
 * cannot parse is left to onnxruntime (it then loads from the private folder, which holds nothing else).
 */
export async function checkExternalData(model: string, files: ModelFiles): Promise<void> {
  let summary;
  try {
    summary = await readOnnxSummary(model);
  } catch (e) {
    if (e instanceof ModelFormatError && e.code === 'EXTERNAL_DATA_ESCAPES') {
      throw new ExternalDataError(e.message.replace(`${MODEL_NAME}: `, 'the model: ').replace(/Model Versions only reads/, 'The evaluation host only reads'));
    }
    return;
  }
  const dir = path.dirname(model);
  const sent = new Set(files.external.map((x) => x.location));
  for (const t of summary.tensors) {
    if (t.location.kind !== 'external') continue;
    const rel = path.relative(dir, t.location.file).split(path.sep).join('/');
    if (!sent.has(rel)) {
      throw new ExternalDataError(
        `the model keeps the data of tensor "${t.name}" in the external data file "${rel}", which was not sent with it. ` +
          'The evaluation host reads external data only from the files the client sends beside the model; keep the file next to the model (as onnx.save_model(..., save_as_external_data=True) writes it) and evaluate again.',
      );
    }
  }
}

/**
 * A model opened by path (a local host, EvaluateParams.modelPath): the external-data files it names,
 * each checked to lie inside its folder and to exist (ExternalDataError naming the file and what to do).
 * A model our reader cannot parse is left to onnxruntime. Returns the files, for the session cache.
 */
export async function externalDataAt(model: string): Promise<string[]> {
  let summary;
  try {
    summary = await readOnnxSummary(model);
  } catch (e) {
    if (e instanceof ModelFormatError && e.code === 'EXTERNAL_DATA_ESCAPES') throw new ExternalDataError(e.message.replace(/Model Versions only reads/, 'The evaluation host only reads'));
    return [];
  }
  const dir = path.dirname(model);
  const files = new Set<string>();
  for (const t of summary.tensors) {
    if (t.location.kind !== 'external' || files.has(t.location.file)) continue;
    const file = t.location.file;
    const rel = path.relative(dir, file).split(path.sep).join('/');
    if (rel.startsWith('../') || path.isAbsolute(rel)) throw new ExternalDataError(`${path.basename(model)}: the external data location "${rel}" of tensor "${t.name}" leads out of the model's folder`);
    if (!fs.existsSync(file)) {
      throw new ExternalDataError(
        `${path.basename(model)}: the external data file "${rel}" of tensor "${t.name}" is missing (looked for ${file}). Put it next to the model, where the model names it, and evaluate again.`,
      );
    }
    files.add(file);
  }
  return [...files];
}

/** What tells a changed file: device, inode, size and times; '-' for a file that is gone. */
function statSignature(files: string[]): string {
  return files
    .map((f) => {
      try {
        const st = fs.statSync(f);
        return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

/** Key of one model with its external data (sessions are cached by it). */
export function modelKey(hash: string, files?: ModelFiles): string {
  if (!files || files.external.length === 0) return hash;
  const ext = files.external.map((x) => `${x.location}\u0000${x.hash}`).sort().join('\u0000');
  return `${hash}+${crypto.createHash('sha256').update(ext).digest('hex').slice(0, 32)}`;
}

/** Removes session folders left by host processes that are gone (killed before they could clean up). */
export function removeStaleSessionFolders(workDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(workDir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^s-(\d+)-/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) fs.rmSync(path.join(workDir, n), { recursive: true, force: true });
  }
}

export class Runtime {
  private chosen: ProviderName | undefined;
  private skipped: SkippedProvider[] = [];
  private readonly sessions = new Map<string, Session>();
  /** each ONNX session's private folder (removed on release) */
  private readonly folders = new Map<Session, string>();
  private static readonly MAX_SESSIONS = 4;

  constructor(readonly opts: RuntimeOptions) {}

  get ort(): Ort {
    return loadOrt();
  }

  /**
   * The session options: the provider, the thread count, and threads that sleep while they wait for work
   * (SESSION_CONFIG). onnxruntime's default lets them spin; next to the client that parses the rows it
   * sends (a local host, issue #12) and other programs, the spinning takes the cores they need: on 2 busy
   * cores a 100k-row MLP run took 2–3× the CPU and wall time spinning as sleeping.
   */
  sessionOptions(provider: ProviderName): OrtModule.InferenceSession.SessionOptions {
    const o: OrtModule.InferenceSession.SessionOptions = { executionProviders: [provider], logSeverityLevel: 3, extra: SESSION_CONFIG };
    if (this.opts.intraOpNumThreads > 0) o.intraOpNumThreads = this.opts.intraOpNumThreads;
    return o;
  }

  /** Providers to try, in order, for the current preference. */
  candidates(): ProviderName[] {
    return this.opts.provider === 'auto' ? [...AUTO_PROVIDER_ORDER] : [this.opts.provider];
  }

  /** Why `p` cannot even be tried (missing library, not in this binding), or undefined. */
  precheck(p: ProviderName): string | undefined {
    if (p === 'cpu') return undefined;
    const listed = this.ort.listSupportedBackends().find((b) => b.name === p);
    if (!listed) return `this onnxruntime-node build has no ${p} execution provider`;
    if (p === 'cuda') {
      const missing = missingCudaLibraries();
      if (missing.length) {
        return `${missing.join(' and ')} not found in ${bindingDir()} (reinstall onnxruntime-node with --onnxruntime-node-install-cuda)`;
      }
    }
    if (p === 'webgpu' && process.platform === 'linux' && !vulkanLoaderFound()) {
      // trying would start Dawn only to fail: tens of milliseconds of every host start
      return `${VULKAN_LOADER} (the Vulkan loader, which WebGPU needs on Linux) is not installed`;
    }
    return undefined;
  }

  /** Picks the provider: tries each candidate with the probe model. Throws ProviderError when none works. */
  async choose(): Promise<{ provider: ProviderName; skipped: SkippedProvider[] }> {
    if (this.chosen) return { provider: this.chosen, skipped: this.skipped };
    const skipped: SkippedProvider[] = [];
    for (const p of this.candidates()) {
      const why = this.precheck(p);
      if (why) {
        skipped.push({ provider: p, reason: why });
        continue;
      }
      try {
        const s = await this.ort.InferenceSession.create(PROBE_MODEL, this.sessionOptions(p));
        await s.release();
        this.chosen = p;
        this.skipped = skipped;
        return { provider: p, skipped };
      } catch (e) {
        skipped.push({ provider: p, reason: shortenError(e) });
      }
    }
    const detail = skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
    throw new ProviderError(`execution provider ${this.opts.provider} is not available: ${detail}`, skipped);
  }

  /**
   * A session for the model at `file` (cached by hash and external data). Under `auto`, a provider that
   * fails to create a session for this model falls back to the next one (reported in skipped). ONNX
   * models are loaded from a private folder holding the model and `files.external` (see the top).
   */
  async session(
    hash: string,
    file: string,
    files: ModelFiles,
  ): Promise<{ session: Session; provider: ProviderName; skipped: SkippedProvider[]; ms: number; engine: EvalEngine }> {
    if (await isKerasFile(file)) {
      if (files.external.length) throw new ExternalDataError('external data files were sent with a Keras model; only ONNX models have external data');
      return this.kerasSession(hash, file);
    }
    const { provider, skipped: chooseSkipped } = await this.choose();
    const id = modelKey(hash, files);
    const key = `${id}:${provider}`;
    const cached = this.sessions.get(key);
    if (cached) {
      this.sessions.delete(key);
      this.sessions.set(key, cached);
      return { session: cached, provider, skipped: chooseSkipped, ms: 0, engine: 'onnxruntime' };
    }
    const order = this.candidates();
    const tryList = this.opts.provider === 'auto' ? order.slice(order.indexOf(provider)) : [provider];
    const skipped = [...chooseSkipped];
    const t0 = performance.now();
    let lastErr: unknown;
    for (const p of tryList) {
      const { dir, model } = layOutModel(file, files);
      try {
        await checkExternalData(model, files);
        const session = await this.ort.InferenceSession.create(model, this.sessionOptions(p));
        const ms = performance.now() - t0;
        this.folders.set(session, dir);
        this.remember(`${id}:${p}`, session);
        return { session, provider: p, skipped, ms, engine: 'onnxruntime' };
      } catch (e) {
        fs.rmSync(dir, { recursive: true, force: true });
        if (e instanceof ExternalDataError) throw e;
        lastErr = e;
        if (p !== tryList[tryList.length - 1]) skipped.push({ provider: p, reason: shortenError(e) });
      }
    }
    throw lastErr;
  }

  /** sessions of models opened by path: the files they were made from, with their stat signature then */
  private readonly pathFiles = new Map<Session, { files: string[]; signature: string }>();

  /**
   * A session for the ONNX (or Keras) model at `model`, a path on this machine (a local host,
   * EvaluateParams.modelPath): onnxruntime opens the file itself, so external data resolves in the
   * model's folder, where it lies; nothing is copied (a model's data may be many GB). The locations are
   * checked first (externalDataAt). Cached by hash and path; a cached session is used again only while
   * the model and its data files are unchanged (same stat signatures).
   */
  async sessionAt(hash: string, model: string): Promise<{ session: Session; provider: ProviderName; skipped: SkippedProvider[]; ms: number; engine: EvalEngine }> {
    if (await isKerasFile(model)) return this.kerasSession(hash, model);
    const { provider, skipped: chooseSkipped } = await this.choose();
    const id = `path:${hash}:${model}`;
    const cachedKey = `${id}:${provider}`;
    const cached = this.sessions.get(cachedKey);
    if (cached) {
      const was = this.pathFiles.get(cached);
      if (was && statSignature(was.files) === was.signature) {
        this.sessions.delete(cachedKey);
        this.sessions.set(cachedKey, cached);
        return { session: cached, provider, skipped: chooseSkipped, ms: 0, engine: 'onnxruntime' };
      }
      this.sessions.delete(cachedKey);
      this.release(cached);
    }
    const t0 = performance.now();
    const files = [model, ...(await externalDataAt(model))];
    const signature = statSignature(files);
    const order = this.candidates();
    const tryList = this.opts.provider === 'auto' ? order.slice(order.indexOf(provider)) : [provider];
    const skipped = [...chooseSkipped];
    let lastErr: unknown;
    for (const p of tryList) {
      try {
        const session = await this.ort.InferenceSession.create(model, this.sessionOptions(p));
        this.pathFiles.set(session, { files, signature });
        this.remember(`${id}:${p}`, session);
        return { session, provider: p, skipped, ms: performance.now() - t0, engine: 'onnxruntime' };
      } catch (e) {
        lastErr = e;
        if (p !== tryList[tryList.length - 1]) skipped.push({ provider: p, reason: shortenError(e) });
      }
    }
    throw lastErr;
  }

  private release(session: Session): void {
    this.pathFiles.delete(session);
    const dir = this.folders.get(session);
    this.folders.delete(session);
    void session
      .release()
      .catch(() => undefined)
      .finally(() => dir && fs.rmSync(dir, { recursive: true, force: true }));
  }

  private remember(key: string, session: Session): void {
    this.sessions.set(key, session);
    while (this.sessions.size > Runtime.MAX_SESSIONS) {
      const [oldKey, old] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldKey);
      this.release(old);
    }
  }

  /**
   * A Keras model (HDF5 or .keras): TensorFlow.js on the CPU, whatever provider onnxruntime uses
   * (reported as provider 'cpu', engine 'tfjs-cpu'). tfjs is loaded on the first Keras model only.
   */
  private async kerasSession(hash: string, file: string): Promise<{ session: Session; provider: ProviderName; skipped: SkippedProvider[]; ms: number; engine: EvalEngine }> {
    const key = `${hash}:tfjs-cpu`;
    const cached = this.sessions.get(key);
    if (cached) {
      this.sessions.delete(key);
      this.sessions.set(key, cached);
      return { session: cached, provider: 'cpu', skipped: [], ms: 0, engine: 'tfjs-cpu' };
    }
    const t0 = performance.now();
    const { KerasSession } = kerasRunner();
    const session = await KerasSession.create(file, 'the Keras model');
    this.remember(key, session);
    return { session, provider: 'cpu', skipped: [], ms: performance.now() - t0, engine: 'tfjs-cpu' };
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      all.map(async (s) => {
        await s.release().catch(() => undefined);
        this.pathFiles.delete(s);
        const dir = this.folders.get(s);
        this.folders.delete(s);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      }),
    );
  }
}

/** The bundle of the Keras runner, beside the host's bundle (esbuild.js builds both into dist/). */
export const KERAS_RUNNER_BUNDLE = 'evalHostKeras.js';

/**
 * The Keras runner (./keras/runner.ts with TensorFlow.js, about 2.3 MB of JavaScript): its own bundle
 * beside this one, loaded on the first Keras model, so a host that runs ONNX models never reads or
 * compiles it (issue #12: the host starts in parallel with the client's parsing, and its start counts);
 * the module itself when the host runs from tsc output (tests).
 */
function kerasRunner(): typeof import('./keras/runner') {
  const bundled = path.join(__dirname, KERAS_RUNNER_BUNDLE);
  // a specifier in a variable: the bundler leaves this require to run time instead of inlining the runner
  const specifier = fs.existsSync(bundled) ? bundled : './keras/runner';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(specifier) as typeof import('./keras/runner');
}

/** HDF5 (\x89HDF) or zip (a Keras 3 .keras archive): a Keras model, run by TensorFlow.js. */
export async function isKerasFile(file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(4096); // the HDF5 signature may follow a user block (512, 1024, 2048)
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const h = head.subarray(0, bytesRead);
    return isHdf5(h) || isZip(h);
  } finally {
    await fh.close();
  }
}
