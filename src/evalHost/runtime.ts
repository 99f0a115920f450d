/**
 * onnxruntime-node inside the eval host: loaded lazily (first initialize), execution-provider choice
 * (auto: cuda → webgpu → cpu, each tried with a tiny probe model) and a small session cache.
 * Nothing here writes to stdout: ORT's own log goes to stderr at logSeverityLevel 3 (errors only).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as OrtModule from 'onnxruntime-node';
import type { ProviderChoice, ProviderName, SkippedProvider } from '../shared/evalProtocol';
import { AUTO_PROVIDER_ORDER } from '../shared/evalProtocol';
import type { EvalEngine } from '../shared/evalProtocol';
import { isHdf5, isZip } from '../core/formats/sniff';
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
  // eslint-disable-next-line no-control-regex
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

export interface RuntimeOptions {
  provider: ProviderChoice;
  intraOpNumThreads: number;
}

export class Runtime {
  private chosen: ProviderName | undefined;
  private skipped: SkippedProvider[] = [];
  private readonly sessions = new Map<string, Session>();
  private static readonly MAX_SESSIONS = 4;

  constructor(readonly opts: RuntimeOptions) {}

  get ort(): Ort {
    return loadOrt();
  }

  sessionOptions(provider: ProviderName): OrtModule.InferenceSession.SessionOptions {
    const o: OrtModule.InferenceSession.SessionOptions = { executionProviders: [provider], logSeverityLevel: 3 };
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
   * A session for the model at `file` (cached by hash). Under `auto`, a provider that fails to create a
   * session for this model falls back to the next one (reported in skipped).
   */
  async session(hash: string, file: string): Promise<{ session: Session; provider: ProviderName; skipped: SkippedProvider[]; ms: number; engine: EvalEngine }> {
    if (await isKerasFile(file)) return this.kerasSession(hash, file);
    const { provider, skipped: chooseSkipped } = await this.choose();
    const key = `${hash}:${provider}`;
    const cached = this.sessions.get(key);
    if (cached) {
      this.sessions.delete(key);
      this.sessions.set(key, cached);
      return { session: cached, provider, skipped: chooseSkipped, ms: 0, engine: 'onnxruntime' };
    }
    const order = this.candidates();
    const tryList = this.opts.provider === 'auto' ? order.slice(order.indexOf(provider)) : [provider];
    const skipped = [...chooseSkipped];
    const bytes = await fs.promises.readFile(file);
    const t0 = performance.now();
    let lastErr: unknown;
    for (const p of tryList) {
      try {
        const session = await this.ort.InferenceSession.create(bytes, this.sessionOptions(p));
        const ms = performance.now() - t0;
        this.remember(`${hash}:${p}`, session);
        return { session, provider: p, skipped, ms, engine: 'onnxruntime' };
      } catch (e) {
        lastErr = e;
        if (p !== tryList[tryList.length - 1]) skipped.push({ provider: p, reason: shortenError(e) });
      }
    }
    throw lastErr;
  }

  private remember(key: string, session: Session): void {
    this.sessions.set(key, session);
    while (this.sessions.size > Runtime.MAX_SESSIONS) {
      const [oldKey, old] = this.sessions.entries().next().value as [string, Session];
      this.sessions.delete(oldKey);
      void old.release().catch(() => undefined);
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KerasSession } = require('./keras/runner') as typeof import('./keras/runner');
    const session = await KerasSession.create(file, 'the Keras model');
    this.remember(key, session);
    return { session, provider: 'cpu', skipped: [], ms: performance.now() - t0, engine: 'tfjs-cpu' };
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.release().catch(() => undefined)));
  }
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
