import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { CliIO } from '../main';
import { CliError } from '../errors';

const usage = `usage: modelver eval-host [--listen [HOST:]PORT --token-file FILE] [--provider auto|cuda|webgpu|cpu]
                         [--threads N] [--cache-dir DIR] [--max-message-mb N] [--max-blob-mb N]

Run the evaluation host: onnxruntime-node in its own process, spoken to with JSON-RPC. Without
--listen it serves stdin/stdout (how the extension starts it). With --listen it serves WebSocket
clients that present the token in FILE (e.g. on a GPU machine: bind 127.0.0.1 and tunnel over ssh;
the connection is not encrypted). --provider auto tries CUDA, then WebGPU, then CPU and reports why
it skipped one.`;

/** dist/evalHost.js beside the bundled CLI, or the compiled sources when run from out/. */
export function evalHostScript(): string {
  const candidates = [path.join(__dirname, 'evalHost.js'), path.join(__dirname, '..', '..', 'evalHost', 'main.js')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new CliError(`the evaluation host is not built (looked for ${candidates.join(', ')}): run \`npm run build\``);
  return found;
}

export const evalHostCommand = {
  summary: 'run the evaluation host (locally over stdio, or for remote clients with --listen)',
  usage,
  async run(args: string[], _io: CliIO): Promise<number> {
    // a child process, so that onnxruntime-node loads only there and stdio passes straight through
    const child = spawn(process.execPath, [evalHostScript(), ...args], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  },
};
