/**
 * Find Versions… (view title and Command Palette) and Clear Filter: the query of `modelver find`
 * (src/core/query) typed into a quick input with suggestions (metric names with their datasets, tags,
 * aliases, datasets, formats, the filter keys), applied to the Model Versions tree as a filter: the
 * versions that do not match are hidden (or dimmed: `modelVersions.find.nonMatching`), those that match
 * highlighted, a model without any says "no matching versions", the view's description shows the filter
 * and a title-bar button (context key `modelVersions.filterActive`) clears it. Matching runs on the
 * histories the tree already holds; each repository snapshot's index is built once.
 */
import * as vscode from 'vscode';
import {
  buildFindIndex,
  findVersions,
  findVocabulary,
  FindQueryError,
  formatQuery,
  isEmptyQuery,
  parseQueryText,
  type FindIndex,
  type FindQuery,
} from '../../core/query';
import type { ModelHistory } from '../../core/repo';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';
import { log } from '../log';
import { DIMMED_SCHEME, filterKey, VIEW_ID, type ModelsTreeNode, type ModelsTreeProvider, type TreeFilter } from '../models/modelsTree';
import { requireTrust, type RepoManager, type RepoSnapshot } from '../repos/repoManager';

export const FILTER_CONTEXT = 'modelVersions.filterActive';
const SETTING = 'modelVersions.find.nonMatching';

/** One index per loaded history (a refresh makes a new histories map, hence a new index). */
const indexes = new WeakMap<ReadonlyMap<string, ModelHistory>, FindIndex>();
function indexOf(snap: RepoSnapshot): FindIndex {
  let i = indexes.get(snap.histories);
  if (!i) indexes.set(snap.histories, (i = buildFindIndex(snap.histories.values())));
  return i;
}

/** What a query gives in each repository: the matching keys, or why it does not apply there. */
function run(query: FindQuery, snap: RepoSnapshot): { keys: Set<string>; error?: FindQueryError } {
  try {
    return { keys: new Set(findVersions(indexOf(snap), query).map((m) => filterKey(m.version))) };
  } catch (e) {
    if (e instanceof FindQueryError) return { keys: new Set(), error: e };
    throw e;
  }
}

/** The query checked against the repositories: the number of matches; throws the error when every repository refuses it. */
function check(query: FindQuery, snaps: RepoSnapshot[]): number {
  const withModels = snaps.filter((s) => s.histories.size);
  const results = withModels.map((s) => run(query, s));
  const refused = results.filter((r) => r.error);
  if (withModels.length && refused.length === withModels.length) throw refused[0].error;
  return results.reduce((n, r) => n + r.keys.size, 0);
}

function makeFilter(query: FindQuery, dim: boolean): TreeFilter {
  const cache = new WeakMap<ReadonlyMap<string, ModelHistory>, ReadonlySet<string>>();
  return {
    text: formatQuery(query),
    dim,
    matches(snap) {
      let keys = cache.get(snap.histories);
      if (!keys) {
        const r = run(query, snap);
        if (r.error) log().info(`Find Versions in ${snap.repo.root}: ${r.error.message}`);
        cache.set(snap.histories, (keys = r.keys));
      }
      return keys;
    },
  };
}

interface Suggestion extends vscode.QuickPickItem {
  insert: string;
}

/** The suggestions for the word being typed (the text after the last space), from what the repositories hold. */
function suggestions(snaps: RepoSnapshot[], word: string): Suggestion[] {
  const all: Suggestion[] = [];
  const add = (insert: string, description: string) => all.push({ label: insert, description, insert, alwaysShow: true });
  const metrics = new Map<string, Set<string>>();
  const vocab = snaps.filter((s) => s.histories.size).map((s) => findVocabulary(indexOf(s)));
  for (const v of vocab) {
    for (const m of v.metrics) {
      const set = metrics.get(m.name) ?? new Set<string>();
      m.sources.forEach((x) => set.add(x));
      metrics.set(m.name, set);
    }
  }
  for (const [name, sources] of [...metrics].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (sources.size === 1) add(`${name}>=`, `metric (${[...sources][0] === 'commit' ? 'commit trailer' : `evaluated on ${[...sources][0]}`})`);
    else for (const s of [...sources].sort()) add(`${s}:${name}>=`, `metric ${s === 'commit' ? 'from the commit trailer' : s === 'notes' ? 'from the notes' : `evaluated on ${s}`}`);
  }
  const uniq = (f: (v: (typeof vocab)[number]) => string[]) => [...new Set(vocab.flatMap(f))].sort((a, b) => a.localeCompare(b));
  for (const t of uniq((v) => v.tags)) add(`tag:${t}`, 'tag');
  for (const a of uniq((v) => v.aliases)) add(`alias:${a}`, 'alias');
  for (const d of uniq((v) => v.datasets)) add(`dataset:${d}`, 'trained or evaluated on');
  for (const f of uniq((v) => v.formats)) add(`format:${f.replace(/^keras-.*/, 'keras')}`, 'format');
  add('breaking', 'the interface changed incompatibly');
  add(`since:${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}`, 'on or after a date (YYYY-MM-DD or ISO 8601)');
  add(`until:${new Date().toISOString().slice(0, 10)}`, 'on or before a date');
  add('author:', 'name or e-mail contains');
  add('text:', 'words in the message');
  for (const m of uniq((v) => v.models)) add(`derived-from:${m}@`, 'derived from a version of (lineage)');
  for (const m of uniq((v) => v.models)) add(`model:${m}`, 'only this model');
  const seen = new Set<string>();
  const w = word.toLowerCase();
  return all.filter((s) => {
    if (seen.has(s.insert)) return false;
    seen.add(s.insert);
    const l = s.insert.toLowerCase();
    return !w || l.startsWith(w) || l.includes(`:${w}`);
  });
}

/** The text with its last word (after the last space) replaced by `insert` (a space after, unless the filter still needs its value). */
function complete(text: string, insert: string): string {
  const cut = text.search(/\S*$/);
  return text.slice(0, cut) + insert + (/[:=<>@]$/.test(insert) ? '' : ' ');
}

export function findCommands(
  command: CommandRegistrar,
  context: vscode.ExtensionContext,
  repos: RepoManager,
  view: vscode.TreeView<ModelsTreeNode>,
  models: ModelsTreeProvider,
): void {
  let dimRegistered = false;
  let query: FindQuery | undefined;
  const dimSetting = () => vscode.workspace.getConfiguration().get<string>(SETTING) === 'dim';

  const show = async (q: FindQuery | undefined): Promise<void> => {
    query = q && (!isEmptyQuery(q) || q.model !== undefined) ? q : undefined;
    if (query && dimSetting() && !dimRegistered) {
      dimRegistered = true;
      const grey = new vscode.FileDecoration(undefined, 'does not match the filter', new vscode.ThemeColor('disabledForeground'));
      context.subscriptions.push(vscode.window.registerFileDecorationProvider({ provideFileDecoration: (uri) => (uri.scheme === DIMMED_SCHEME ? grey : undefined) }));
    }
    models.setFilter(query && makeFilter(query, dimSetting()));
    view.description = query ? `Filter: ${formatQuery(query)}` : undefined;
    // the description is cut when the side bar is narrow and the header's buttons show: the message above the tree always shows
    view.message = query ? `Versions matching: ${formatQuery(query)}` : undefined;
    await vscode.commands.executeCommand('setContext', FILTER_CONTEXT, !!query);
  };

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTING) && query) void show(query);
    }),
    { dispose: () => void vscode.commands.executeCommand('setContext', FILTER_CONTEXT, false) },
  );

  /** Applies the filter text; resolves with the number of matching versions. Throws FindQueryError. */
  const apply = async (text: string): Promise<number> => {
    const q = parseQueryText(text);
    const n = check(q, await repos.snapshot());
    await show(q);
    return n;
  };

  command(COMMAND.findVersions, async (text?: unknown) => {
    if (!requireTrust('the versions of its models')) return undefined;
    // shown where the filter acts (from the Command Palette the view may be hidden); before the quick
    // input opens, whose focus this would take away
    if (!view.visible) await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    if (typeof text === 'string') return { matches: await apply(text), filter: query ? formatQuery(query) : '' };
    const snaps = await repos.snapshot();
    return new Promise<{ matches: number; filter: string } | undefined>((resolve) => {
      const qp = vscode.window.createQuickPick<Suggestion>();
      qp.title = 'Find Versions';
      qp.placeholder = 'e.g. accuracy>=0.88 tag:v2 alias:production dataset:data/test.csv since:2026-11-01 breaking — Enter applies';
      qp.value = query ? formatQuery(query) + ' ' : '';
      qp.matchOnDescription = false;
      let done = false;
      const applyItem: Suggestion = { label: '', insert: '', alwaysShow: true };
      const refresh = () => {
        const text = qp.value;
        try {
          const q = parseQueryText(text);
          if (isEmptyQuery(q) && q.model === undefined) {
            applyItem.label = '$(clear-all) Show every version';
            applyItem.detail = query ? 'Enter clears the filter' : 'Type filters, or pick one below';
          } else {
            const n = check(q, snaps);
            applyItem.label = `$(filter) Filter: ${formatQuery(q)}`;
            applyItem.detail = `${n} version${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} — Enter applies`;
          }
        } catch (e) {
          applyItem.label = '$(error) Not a filter yet';
          applyItem.detail = e instanceof Error ? e.message : String(e);
        }
        const word = /\S*$/.exec(text)?.[0] ?? '';
        qp.items = [applyItem, ...suggestions(snaps, word).slice(0, 60)];
        qp.activeItems = [applyItem];
      };
      qp.onDidChangeValue(refresh);
      qp.onDidAccept(async () => {
        const picked = qp.activeItems[0];
        if (picked && picked !== applyItem) {
          qp.value = complete(qp.value, picked.insert);
          refresh();
          return;
        }
        try {
          const matches = await apply(qp.value);
          done = true;
          qp.hide();
          resolve({ matches, filter: query ? formatQuery(query) : '' });
        } catch (e) {
          if (e instanceof FindQueryError) refresh(); // the error shows as the first item; the input stays open
          else {
            log().error(`Find Versions: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
            void vscode.window.showErrorMessage(`Model Versions: Find Versions failed: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      });
      qp.onDidHide(() => {
        qp.dispose();
        if (!done) resolve(undefined);
      });
      refresh();
      qp.show();
    });
  });

  command(COMMAND.clearFilter, async () => {
    await show(undefined);
  });
}
