/** Local files for models behind non-`file:` URIs (the `git:` side of an SCM or timeline diff). */
import { nodeCrypto } from '../../core/util/lazyNode';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RepoManager } from './repoManager';

export async function materializeUri(context: vscode.ExtensionContext, repos: RepoManager, uri: vscode.Uri): Promise<{ file: string; label: string }> {
  const name = path.basename(uri.path);
  const dir = path.join(context.globalStorageUri.fsPath, 'revisions');
  fs.mkdirSync(dir, { recursive: true });
  if (uri.scheme === 'git') {
    // the git extension's URIs: { path, ref } in the query; ref '' or '~' is the index
    const q = JSON.parse(uri.query || '{}') as { path?: string; ref?: string };
    const file = q.path ?? uri.fsPath;
    const ref = !q.ref || q.ref === '~' ? '' : q.ref;
    const repo = await repos.repoFor(file);
    const out = path.join(dir, `${nodeCrypto().createHash('sha256').update(`${repo.root}\0${ref}\0${file}`).digest('hex').slice(0, 24)}${path.extname(name)}`);
    await repo.readAtRevision(ref, file, out);
    return { file: out, label: `${vscode.workspace.asRelativePath(file)} @ ${ref || 'index'} (read-only)` };
  }
  const bytes = await vscode.workspace.fs.readFile(uri);
  const out = path.join(dir, `${nodeCrypto().createHash('sha256').update(bytes).digest('hex').slice(0, 24)}${path.extname(name)}`);
  fs.writeFileSync(out, bytes);
  return { file: out, label: `${uri.toString(true)} (read-only)` };
}
