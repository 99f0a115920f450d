/**
 * The lineage steps of *Commit Model Version…*: the message box has a button "Add Lineage…" (Enter
 * still commits at once, so the steps cost nothing when skipped). The button opens a menu to pick
 * the version it was derived from, the datasets (among the repository's files), a parameters file
 * and the code commit; then the message box comes back with what will be recorded.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { readParamsFile, type LineageInput } from '../../core/lineage';
import type { ModelRepository } from '../../core/repo';

const ROLES = ['train', 'validation', 'test', 'data'];

/** One line saying what will be recorded ('' when nothing). */
export function lineageSummary(l: LineageInput): string {
  const parts: string[] = [];
  if (l.derivedFrom) parts.push(`derived from ${path.posix.basename(l.derivedFrom.model)} ${/^\d+$/.test(String(l.derivedFrom.version)) ? `v${l.derivedFrom.version}` : l.derivedFrom.version}`);
  if (l.datasets?.length) parts.push(l.datasets.map((d) => `${d.role ?? 'data'}: ${path.posix.basename(d.path)}`).join(', '));
  if (l.params) parts.push(`${Object.keys(l.params).length} parameter${Object.keys(l.params).length === 1 ? '' : 's'}`);
  if (l.codeCommit) parts.push(`code ${l.codeCommit}`);
  return parts.join(' · ');
}

/**
 * Ask for the commit message, with the optional lineage steps behind the box's button.
 * Resolves undefined when cancelled.
 */
export async function askCommitMessage(repo: ModelRepository, rel: string): Promise<{ message: string; lineage?: LineageInput } | undefined> {
  const lineage: LineageInput = {};
  let value = '';
  for (;;) {
    const r = await messageBox(rel, value, lineageSummary(lineage));
    if (!r) return undefined;
    value = r.value;
    if (r.accepted) {
      const any = lineage.derivedFrom || lineage.datasets?.length || lineage.params || lineage.codeCommit;
      return { message: r.value, ...(any ? { lineage } : {}) };
    }
    await lineageMenu(repo, rel, lineage);
  }
}

function messageBox(rel: string, value: string, summary: string): Promise<{ value: string; accepted: boolean } | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = `Commit Model Version: ${rel}`;
    box.prompt =
      'Describe this version (what changed, how it was trained). Only this model file is committed; your other staged changes stay staged.' +
      (summary ? ` Lineage: ${summary}.` : ' Optional: record its lineage (data, parameters, base model) with the button above.');
    box.placeholder = 'e.g. Retrained on November data, dropout 0.2';
    box.value = value;
    box.ignoreFocusOut = true;
    box.buttons = [{ iconPath: new vscode.ThemeIcon('type-hierarchy'), tooltip: 'Add Lineage… (datasets, parameters, derived from, code commit)' }];
    let done = false;
    const finish = (r: { value: string; accepted: boolean } | undefined) => {
      if (done) return;
      done = true;
      resolve(r);
      box.dispose();
    };
    box.onDidChangeValue(() => (box.validationMessage = undefined));
    box.onDidAccept(() => {
      if (!box.value.trim()) {
        box.validationMessage = 'A message is required.';
        return;
      }
      finish({ value: box.value.trim(), accepted: true });
    });
    box.onDidTriggerButton(() => finish({ value: box.value, accepted: false }));
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

type Item = vscode.QuickPickItem & { step?: 'derived' | 'datasets' | 'params' | 'code' | 'done' };

async function lineageMenu(repo: ModelRepository, rel: string, l: LineageInput): Promise<void> {
  for (;;) {
    const items: Item[] = [
      { label: '$(arrow-left) Back to the message', description: lineageSummary(l) || 'nothing recorded yet', step: 'done' },
      { label: '$(type-hierarchy) Derived from…', description: l.derivedFrom ? `${l.derivedFrom.model} ${l.derivedFrom.version}` : 'the version it was fine-tuned from', step: 'derived' },
      { label: '$(database) Datasets…', description: l.datasets?.length ? l.datasets.map((d) => `${d.role}: ${d.path}`).join(', ') : 'data used, recorded with its sha256', step: 'datasets' },
      { label: '$(settings) Training Parameters…', description: l.params ? JSON.stringify(l.params).slice(0, 80) : 'a JSON or YAML file', step: 'params' },
      { label: '$(git-commit) Code Commit…', description: l.codeCommit ?? 'HEAD (default)', step: 'code' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `Lineage of ${rel}`, placeHolder: 'Pick what to record; every step is optional', ignoreFocusOut: true });
    if (!pick || pick.step === 'done') return;
    if (pick.step === 'derived') await pickDerivedFrom(repo, rel, l);
    else if (pick.step === 'datasets') await pickDatasets(repo, rel, l);
    else if (pick.step === 'params') await pickParams(repo, l);
    else if (pick.step === 'code') {
      const v = await vscode.window.showInputBox({
        title: 'Code commit',
        prompt: 'The commit the model was produced from (an id, branch or tag); empty = HEAD',
        value: l.codeCommit ?? '',
        ignoreFocusOut: true,
        validateInput: async (s) => {
          if (!s.trim()) return undefined;
          if (s.trim().startsWith('-')) return 'Not a revision.';
          const ok = await repo.git.ok(['rev-parse', '-q', '--verify', '--end-of-options', `${s.trim()}^{commit}`]);
          return ok ? undefined : `'${s.trim()}' is not a commit in this repository.`;
        },
      });
      if (v !== undefined) l.codeCommit = v.trim() || undefined;
    }
  }
}

async function pickDerivedFrom(repo: ModelRepository, rel: string, l: LineageInput): Promise<void> {
  const all = await repo.versions();
  type VItem = vscode.QuickPickItem & { model?: string; version?: number; clear?: boolean };
  const items: VItem[] = [
    ...(l.derivedFrom ? [{ label: '$(close) Not derived from another version', clear: true }] : []),
    ...all
      .filter((v) => v.model !== rel)
      .reverse()
      .map((v) => ({
        label: `${v.model} v${v.version}`,
        description: [...v.aliases.map((a) => `⟨${a}⟩`), ...v.tags.map((t) => `#${t.name}`), v.subject, v.shortCommit].filter(Boolean).join(' · '),
        model: v.model,
        version: v.version,
      })),
  ];
  if (!items.length) {
    void vscode.window.showInformationMessage('Model Versions: no other model has a committed version to derive from yet.');
    return;
  }
  const pick = await vscode.window.showQuickPick(items, { title: `${rel} was derived (fine-tuned) from…`, matchOnDescription: true, ignoreFocusOut: true });
  if (!pick) return;
  l.derivedFrom = pick.clear ? undefined : { model: pick.model!, version: pick.version! };
}

async function pickDatasets(repo: ModelRepository, rel: string, l: LineageInput): Promise<void> {
  const out = (await repo.git.run(['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).stdout.toString('utf8');
  const files = [...new Set(out.split('\0').filter((p) => p && p !== rel && !repo.matcher.matches(p) && !p.startsWith('.git')))].sort();
  const dataLike = /\.(csv|tsv|jsonl?|npy|npz|parquet|arrow|feather|h5|hdf5|txt|tfrecord|zip|tar|gz)$/i;
  files.sort((a, b) => Number(!dataLike.test(a)) - Number(!dataLike.test(b)) || a.localeCompare(b));
  const current = new Set((l.datasets ?? []).map((d) => d.path));
  const items = files.slice(0, 5000).map((p) => ({ label: path.posix.basename(p), description: path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p), path: p, picked: current.has(p) }));
  const picks = await vscode.window.showQuickPick(items, { title: `Datasets used for ${rel}`, placeHolder: 'Pick the data files (their sha256 is recorded)', canPickMany: true, matchOnDescription: true, ignoreFocusOut: true });
  if (!picks) return;
  const next: NonNullable<LineageInput['datasets']> = [];
  for (const p of picks) {
    const was = l.datasets?.find((d) => d.path === p.path)?.role;
    const guess = was ?? (/train/i.test(p.path) ? 'train' : /val/i.test(p.path) ? 'validation' : /test/i.test(p.path) ? 'test' : 'data');
    const role = await vscode.window.showQuickPick([guess, ...ROLES.filter((r) => r !== guess)], { title: `Role of ${p.path}`, ignoreFocusOut: true });
    if (role === undefined) return;
    next.push({ path: p.path, role });
  }
  l.datasets = next;
}

async function pickParams(repo: ModelRepository, l: LineageInput): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Training parameters (JSON or YAML)',
    defaultUri: vscode.Uri.file(repo.root),
    canSelectMany: false,
    filters: { 'Parameters': ['json', 'yaml', 'yml'], 'All files': ['*'] },
    openLabel: 'Record',
  });
  if (!picked?.[0]) return;
  try {
    l.params = readParamsFile(picked[0].fsPath);
  } catch (e) {
    void vscode.window.showErrorMessage(`Model Versions: ${(e as Error).message}`);
  }
}
