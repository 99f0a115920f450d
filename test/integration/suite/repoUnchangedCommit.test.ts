/**
 * The commit command checks the file before it asks anything: a model whose bytes are those of its
 * last version gets an information message ("matches vN"), no prompt and no commit. Metrics typed at
 * commit show in Version Details ("recorded at commit"), and the message's "Note: …" line stays.
 *
 * Runs after the other repo tests (file order) on a model of its own (commit-flow/purchase_model.onnx),
 * so their model keeps the versions they expect.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CommitResult } from '../../../src/core/repo';
import type { DetailsContent } from '../../../src/shared/detailsProtocol';
import { fixture } from '../../support/paths';
import { git } from '../../support/workspace';
import { activeApi, showTree, sleep, waitFor, workspaceRoot, type ModelVersionsApi, type TreeNodeInfo } from './helpers';

const REL = 'commit-flow/purchase_model.onnx';

const exec = <T>(command: string, ...args: unknown[]): Promise<T> =>
  Promise.resolve(vscode.commands.executeCommand<T>(`modelVersions.${command}`, ...args));

type Win = Record<string, (...args: unknown[]) => unknown>;

/**
 * Replaces vscode.window's prompts and notifications while `fn` runs; returns what was called. A
 * prompt is answered with Escape (a custom input box or quick pick is hidden as soon as it is shown).
 */
async function spyOnWindow<T>(fn: () => Promise<T>): Promise<{ result: T; calls: { name: string; text: string }[] }> {
  const names = ['showInputBox', 'showQuickPick', 'showOpenDialog', 'showInformationMessage', 'showWarningMessage', 'showErrorMessage'];
  const widgets = ['createInputBox', 'createQuickPick'];
  const win = vscode.window as unknown as Win;
  const saved = [...names, ...widgets].map((n) => win[n]);
  const calls: { name: string; text: string }[] = [];
  for (const n of names) {
    win[n] = (...args: unknown[]) => {
      const first = args[0] as { title?: string; prompt?: string } | string | undefined;
      calls.push({ name: n, text: typeof first === 'string' ? first : (first?.title ?? first?.prompt ?? JSON.stringify(first)) });
      return Promise.resolve(undefined);
    };
  }
  for (const [i, n] of widgets.entries()) {
    const create = saved[names.length + i];
    win[n] = () => {
      const w = create.call(vscode.window) as { show(): void; hide(): void; title?: string };
      const show = w.show.bind(w);
      w.show = () => {
        calls.push({ name: n, text: w.title ?? '' });
        show();
        w.hide();
      };
      return w;
    };
  }
  try {
    return { result: await fn(), calls };
  } finally {
    [...names, ...widgets].forEach((n, i) => (win[n] = saved[i]));
  }
}

describe('Model Versions: the commit command checks for changes before it asks', function () {
  this.timeout(60000);
  let api: ModelVersionsApi;
  let root: string;
  let file: string;

  before(async () => {
    api = await activeApi();
    root = workspaceRoot();
    file = path.join(root, REL);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(fixture('onnx', 'namaste_deepa.onnx'), file);
    // the details view loads its page while the model is committed
    await vscode.commands.executeCommand('modelVersions.details.focus');
    await api.refresh();
  });

  it('metrics typed at commit show in Version Details (recorded at commit), with the whole message', async () => {
    const r = await exec<CommitResult>('commitModel', vscode.Uri.file(file), {
      message: 'Retrain on March data\n\nNote: learning rate halved.',
      metrics: { accuracy: 0.93, f1: 0.9 },
    });
    assert.strictEqual(r?.version, 1, JSON.stringify(r));
    let last: TreeNodeInfo[] = [];
    const shown = (): DetailsContent | undefined => {
      const x = api.details.current()?.content;
      return x?.kind === 'version' && x.version.model === REL ? x : undefined;
    };
    // select v1 as a click does. The tree view draws the new version after the commit's refresh; a
    // reveal before that selects nothing, so it is made again, with the tree's nodes of that moment,
    // until the details show v1 (each try waits for the details to settle first). A reveal of what the
    // tree holds selected already changes nothing (no selection event), so a try after a failed one
    // selects the model first, as a user would click elsewhere and back.
    let tries = 0;
    const c = await waitFor(`the details of ${REL} v1`, async () => {
      last = await api.modelsView.getChildren();
      const model = last.find((n) => n.resourceUri?.fsPath === file);
      const v1 = model?.children?.find((n) => n.label === 'v1');
      if (!model || !v1) return undefined;
      if (tries++ > 0) {
        await api.select(model.node);
        await api.details.settled();
      }
      await api.select(v1.node);
      await api.details.settled();
      if (!shown()) await sleep(1000);
      return shown();
    }, 30000, () => `${JSON.stringify(api.details.current()?.content)?.slice(0, 300) ?? 'nothing'}; tree: ${showTree(last)}`);
    if (c.kind !== 'version') throw new Error('unreachable');
    assert.deepStrictEqual(c.version.commitMetrics, [{ label: 'accuracy', value: '0.9300' }, { label: 'f1', value: '0.9000' }]);
    assert.strictEqual(c.version.subject, 'Retrain on March data');
    assert.strictEqual(c.version.body, 'Note: learning rate halved.');
  });

  it('committing the unchanged file asks nothing, commits nothing and shows an information message', async () => {
    const head = git(root, 'rev-parse', 'HEAD').trim();
    // no answers: had it prompted, the spy would see it (and answer Escape)
    const { result, calls } = await spyOnWindow(() => exec<{ unchanged?: boolean; version?: number; message?: string }>('commitModel', vscode.Uri.file(file)));
    assert.deepStrictEqual(calls.filter((c) => c.name !== 'showInformationMessage'), [], 'nothing asked, no warning or error');
    const infos = calls.filter((c) => c.name === 'showInformationMessage').map((c) => c.text);
    assert.strictEqual(infos.length, 1, JSON.stringify(calls));
    assert.match(infos[0], /^commit-flow\/purchase_model\.onnx matches v1 \([0-9a-f]{7}\): nothing to commit/);
    assert.deepStrictEqual([result?.unchanged, result?.version, result?.message], [true, 1, infos[0]]);
    assert.strictEqual(git(root, 'rev-parse', 'HEAD').trim(), head, 'no commit was made');
  });
});
