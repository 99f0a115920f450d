/** Helpers shared by the commands that read committed versions (open, compare, details). */
import { nodeCrypto } from '../core/util/lazyNode';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelRepository, ModelVersion } from '../core/repo';

const inFlight = new Map<string, Promise<string>>();

/**
 * A read-only copy of a version's bytes in the extension's storage, named by content. Concurrent
 * callers for the same bytes (the diff panel and Version Details) share one read.
 * @param opts.quiet progress in the status bar instead of a notification (for views that follow the selection)
 */
export function versionFile(
  context: vscode.ExtensionContext,
  repo: ModelRepository,
  model: string,
  v: ModelVersion,
  opts: { quiet?: boolean } = {},
): Promise<string> {
  // a folder model's version is a folder of its files, named by its content id (files:<sha256>)
  const id = v.oid ?? (v.files ? v.contentId.slice(v.contentId.indexOf(':') + 1) : v.blob);
  const dir = path.join(context.globalStorageUri.fsPath, 'versions', id.slice(0, 2));
  const file = path.join(dir, v.files ? `${id}.folder` : `${id}${path.posix.extname(model)}`);
  if (fs.existsSync(file)) return Promise.resolve(file);
  let p = inFlight.get(file);
  if (!p) {
    p = (async () => {
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${file}.part-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
      try {
        await vscode.window.withProgress(
          { location: opts.quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title: `Reading ${model} v${v.version}…` },
          (pr) => repo.readVersion(v, { out: tmp, onProgress: progressReporter(pr) }),
        );
        if (v.files) for (const f of fs.readdirSync(tmp)) fs.chmodSync(path.join(tmp, f), 0o444);
        fs.chmodSync(tmp, v.files ? 0o555 : 0o444);
        fs.renameSync(tmp, file);
      } finally {
        fs.rmSync(tmp, { force: true, recursive: true });
      }
      return file;
    })().finally(() => inFlight.delete(file));
    inFlight.set(file, p);
  }
  return p;
}

/**
 * What names this exact version to the repository's commands: its number on the current branch, or
 * — another branch's version (issue #17), whose number counts on that branch — its commit id.
 */
export function specOf(v: ModelVersion): number | string {
  return v.outsideHistory ? v.commit : v.version;
}

/** "v4", or "v4 of experiment" for another branch's version. */
export function versionName(v: ModelVersion): string {
  return v.outsideHistory && v.branch ? `v${v.version} of ${v.branch}` : `v${v.version}`;
}

/** Turns the core's byte progress into a vscode.Progress (percent increments, MiB message). */
export function progressReporter(p: vscode.Progress<{ message?: string; increment?: number }>) {
  let last = 0;
  return (x: { bytes: number; total: number; message?: string }) => {
    const pct = x.total ? (100 * x.bytes) / x.total : 0;
    p.report({ message: x.message ?? `${(x.bytes / 1048576).toFixed(1)} / ${(x.total / 1048576).toFixed(1)} MiB`, increment: pct - last });
    last = pct;
  };
}
