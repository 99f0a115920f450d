/**
 * The evaluation host (issue #5): a separate Node process that runs ONNX models with onnxruntime-node
 * so the extension host never loads it. Bundled to dist/evalHost.js.
 *
 *   node dist/evalHost.js [--provider auto|cuda|webgpu|cpu] [--threads N] [--cache-dir DIR]
 *       JSON-RPC over stdin/stdout (the extension spawns it), Content-Length framing with binary
 *       attachments (src/evalHost/wsTransport.ts). Nothing else may write to stdout.
 *   node dist/evalHost.js --listen [HOST:]PORT --token-file FILE [--max-message-mb N] ...
 *       JSON-RPC over WebSocket, one message per frame (text, or binary with attachments); clients send
 *       `Authorization: Bearer TOKEN`.
 *       Binds to 127.0.0.1 unless HOST is given. Prints `eval host listening on ws://HOST:PORT` on stderr.
 *
 * The blob cache (--cache-dir) defaults to a per-user folder (defaultCacheDir), created 0700; a folder
 * that belongs to another user or that other users can write is refused (issue #10: a blob planted
 * there could stand in for a model). Blobs are checked against their hash when used (blobStore.ts).
 * Both transports answer `ping` (Methods.ping) at once: the client's liveness probe.
 *
 * `startEvalHost(argv)` is the entry the `modelver eval-host` CLI calls.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import type * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { createMessageConnection } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { ProviderChoice } from '../shared/evalProtocol';
import { Methods, PROVIDER_CHOICES } from '../shared/evalProtocol';
import { removeStaleSessionFolders } from './runtime';
import { EvalService } from './service';
import { serverStreamTransport, serverWebSocketTransport } from './wsTransport';
import { AuthThrottle, admitUpgrade, tokenProblem } from './authGuard';

export interface EvalHostOptions {
  provider: ProviderChoice;
  threads: number;
  cacheDir: string;
  /** [host, port] */
  listen?: { host: string; port: number };
  tokenFile?: string;
  maxMessageBytes: number;
  maxBlobBytes: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The per-user blob cache: $XDG_CACHE_HOME (when absolute) or ~/.cache on Linux and the BSDs,
 * ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows; then model-versions/eval-host.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir(), platform: NodeJS.Platform = process.platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  let base: string;
  if (platform === 'win32') base = env.LOCALAPPDATA && p.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : p.join(home, 'AppData', 'Local');
  else if (platform === 'darwin') base = p.join(home, 'Library', 'Caches');
  else base = env.XDG_CACHE_HOME && p.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : p.join(home, '.cache');
  return p.join(base, 'model-versions', 'eval-host');
}

export const DEFAULT_CACHE_DIR = defaultCacheDir();

/**
 * Creates the cache folder (0700, parents too) and checks that nobody else can put files in it: it must
 * belong to this user and not be writable by the group or others. Throws UsageError saying what to do.
 * (Windows: folders under the profile are private by their ACLs; only existence is checked.)
 */
export function prepareCacheDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new UsageError(`cannot create the cache folder ${dir}: ${(e as Error).message}`);
  }
  const st = fs.statSync(dir);
  if (!st.isDirectory()) throw new UsageError(`the cache folder ${dir} is not a folder; choose another --cache-dir`);
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const uid = process.getuid();
  if (st.uid !== uid) {
    throw new UsageError(
      `the cache folder ${dir} belongs to another user (uid ${st.uid}, this host runs as uid ${uid}): blobs there could be planted. Choose another --cache-dir (the default is per user: ${DEFAULT_CACHE_DIR})`,
    );
  }
  if (st.mode & 0o022) {
    throw new UsageError(
      `the cache folder ${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): anyone could plant models there. Run \`chmod 700 ${dir}\` or choose another --cache-dir`,
    );
  }
}
const MB = 1024 * 1024;

export const USAGE = `usage: evalHost [--provider auto|cuda|webgpu|cpu] [--threads N] [--cache-dir DIR]
                [--listen [HOST:]PORT --token-file FILE] [--max-message-mb N] [--max-blob-mb N]`;

/** Parses the host's flags (`--flag value` or `--flag=value`). Throws UsageError. */
export function parseEvalHostArgs(argv: string[]): EvalHostOptions {
  const o: EvalHostOptions = { provider: 'auto', threads: 0, cacheDir: DEFAULT_CACHE_DIR, maxMessageBytes: 64 * MB, maxBlobBytes: 4096 * MB };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = (): string => {
      if (v !== undefined) return v;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${a} needs a value`);
      return next;
    };
    const num = (min: number): number => {
      const s = value();
      const n = Number(s);
      if (!/^\d+(\.\d+)?$/.test(s) || !(n >= min)) throw new UsageError(`${a}: expected a number ≥ ${min}, got ${s}`);
      return n;
    };
    switch (a) {
      case '--provider': {
        const p = value();
        if (!PROVIDER_CHOICES.includes(p as ProviderChoice)) throw new UsageError(`--provider must be one of ${PROVIDER_CHOICES.join(', ')}, got ${p}`);
        o.provider = p as ProviderChoice;
        break;
      }
      case '--threads':
        o.threads = Math.floor(num(0));
        break;
      case '--cache-dir':
        o.cacheDir = path.resolve(value());
        break;
      case '--listen':
        o.listen = parseListen(value());
        break;
      case '--token-file':
        o.tokenFile = path.resolve(value());
        break;
      case '--max-message-mb':
        o.maxMessageBytes = Math.floor(num(0.001) * MB);
        break;
      case '--max-blob-mb':
        o.maxBlobBytes = Math.floor(num(0.001) * MB);
        break;
      case '--stdio':
        break;
      default:
        throw new UsageError(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (o.listen && !o.tokenFile) throw new UsageError('--listen needs --token-file (clients must present that token)');
  return o;
}

/** "PORT", "HOST:PORT" or "[V6]:PORT"; the host defaults to 127.0.0.1 (loopback only). */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(s);
  if (!m) throw new UsageError(`--listen expects [HOST:]PORT, got ${s}`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} out of range`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export interface EvalHostHandle {
  /** remote: the bound port and url */
  port?: number;
  url?: string;
  close(): Promise<void>;
}

/**
 * Runs the host with these flags. Stdio mode: serves stdin/stdout until stdin ends or `shutdown`, then
 * exits the process. Listen mode: resolves once the server is listening; runs until close().
 */
export async function startEvalHost(argv: string[]): Promise<EvalHostHandle> {
  const o = parseEvalHostArgs(argv);
  prepareCacheDir(o.cacheDir);
  removeStaleSessionFolders(path.join(o.cacheDir, 'sessions'));
  return o.listen ? listen(o) : serveStdio(o);
}

function serviceOptions(o: EvalHostOptions, onShutdown: () => void, remote: boolean) {
  return {
    provider: o.provider,
    intraOpNumThreads: o.threads,
    cacheDir: o.cacheDir,
    maxBlobBytes: o.maxBlobBytes,
    // leave room for base64 (4/3) and the JSON envelope
    chunkBytes: remote ? Math.max(1024, Math.min(4 * MB, Math.floor((o.maxMessageBytes - 4096) * 0.7))) : 4 * MB,
    // binary attachments: no base64 growth, only the small JSON envelope and frame header
    binaryChunkBytes: remote ? Math.max(1024, Math.min(16 * MB, o.maxMessageBytes - 64 * 1024)) : 16 * MB,
    maxMessageBytes: remote ? o.maxMessageBytes : undefined,
    // stdio: the client started this process on its own machine, so its paths are ours (ONNX external data, issue #15)
    modelPaths: !remote,
    onShutdown,
  };
}

function serveStdio(o: EvalHostOptions): EvalHostHandle {
  // stdout is the JSON-RPC channel: send every console write to stderr.
  const toErr = (...args: unknown[]): void => void process.stderr.write(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ') + '\n');
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  const { reader, writer } = serverStreamTransport(process.stdin, process.stdout);
  const conn = createMessageConnection(reader, writer);
  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await service.dispose().catch(() => undefined);
    // let the last reply (e.g. shutdown's) reach the pipe before exiting
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    conn.dispose();
    process.exit(0);
  };
  const service = new EvalService(conn, serviceOptions(o, () => void close(), false));
  conn.onRequest(Methods.ping, () => null);
  conn.onClose(() => void close());
  conn.onError(([e]) => process.stderr.write(`eval host: ${e.message}\n`));
  conn.listen();
  // the client that spawned this host is about to initialize it: onnxruntime loads meanwhile
  service.warmUp();
  return { close };
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison of the presented token with the expected one (equal-length digests). */
export function tokenMatches(presented: string | undefined, expectedDigest: Buffer): boolean {
  if (presented === undefined || presented === '') return false;
  return crypto.timingSafeEqual(digest(presented), expectedDigest);
}

function bearer(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1] : undefined;
}

async function listen(o: EvalHostOptions): Promise<EvalHostHandle> {
  let token: string;
  try {
    token = fs.readFileSync(o.tokenFile!, 'utf8').trim();
  } catch (e) {
    throw new UsageError(`cannot read the token file ${o.tokenFile}: ${(e as Error).message}`);
  }
  const weak = tokenProblem(token);
  if (weak) throw new UsageError(`the token file ${o.tokenFile} ${weak}`);
  const expected = digest(token);

  // http and ws load here, for --listen only: a host on stdio (every local evaluation) starts without them
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createServer } = require('http') as typeof import('http');
  const { WebSocketServer } = require('ws') as typeof import('ws');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes });
  const connections = new Set<{ conn: MessageConnection; service: EvalService; socket: import('ws').WebSocket }>();

  const throttle = new AuthThrottle();
  const log = (line: string): void => void process.stderr.write(`eval host: ${line}\n`);
  server.on('upgrade', (req, socket, head) => {
    if (!admitUpgrade(throttle, req, socket, () => tokenMatches(bearer(req), expected), log)) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const { reader, writer } = serverWebSocketTransport(ws, { log: (l) => log(`connection from ${req.socket.remoteAddress}: ${l}`) });
      const conn = createMessageConnection(reader, writer);
      const entry = {
        conn,
        socket: ws,
        service: new EvalService(conn, serviceOptions(o, () => ws.close(1000, 'shutdown'), true)),
      };
      conn.onRequest(Methods.ping, () => null);
      connections.add(entry);
      ws.on('close', () => {
        connections.delete(entry);
        void entry.service.dispose().catch(() => undefined);
        conn.dispose();
      });
      conn.listen();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen!.port, o.listen!.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `ws://${hostPart}:${addr.port}`;
  process.stderr.write(`eval host listening on ${url}\n`);
  return {
    port: addr.port,
    url,
    close: async () => {
      for (const c of connections) c.socket.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

if (require.main === module) {
  startEvalHost(process.argv.slice(2)).then(
    (h) => {
      if (h.url) {
        const stop = (): void => void h.close().then(() => process.exit(0));
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      }
    },
    (e: unknown) => {
      process.stderr.write(`eval host: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
