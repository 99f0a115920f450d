import * as fs from 'fs';
import * as path from 'path';
import { CliError, UsageError } from '../errors';

const usage = `usage: modelver eval-host [--listen [HOST:]PORT --token-file FILE] [--provider auto|cuda|webgpu|cpu]
                         [--threads N] [--cache-dir DIR] [--max-message-mb N] [--max-blob-mb N]

Run the evaluation host (onnxruntime-node) in this process, spoken to with JSON-RPC. Without
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

type EvalHostModule = typeof import('../../evalHost/main');

export const evalHostCommand = {
  summary: 'run the evaluation host (locally over stdio, or for remote clients with --listen)',
  usage,
  async run(args: string[]): Promise<number> {
    // In this process, not a child (issue #10): a child outlives a SIGKILLed parent and keeps listening.
    // The host is loaded from its own bundle at run time; onnxruntime-node loads only when a client
    // initializes (Runtime is lazy), and in stdio mode the host owns stdin/stdout from here on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const host = require(evalHostScript()) as EvalHostModule;
    let handle: Awaited<ReturnType<EvalHostModule['startEvalHost']>>;
    try {
      handle = await host.startEvalHost(args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // the host's own usage line gives way to this command's usage
      if (e instanceof Error && e.name === 'UsageError') throw new UsageError(msg.split('\nusage: evalHost')[0]);
      throw new CliError(`cannot start the evaluation host: ${msg}`);
    }
    // stdio: the host serves until stdin ends or `shutdown`, then exits the process itself
    if (!handle.url) return new Promise<number>(() => undefined);
    return new Promise<number>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void handle.close().then(
          () => resolve(0),
          () => resolve(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
