/**
 * The repositories of the workspace, their state for the welcome views, and the watchers that refresh
 * the tree when HEAD, refs or the index change. Runs git only in a trusted workspace.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ModelRepository, RepoError, conflictedModels, type BranchGroup, type BranchShow, type ModelEntry, type ModelHistory } from '../../core/repo';
import { log } from '../log';

export type WorkspaceState = 'loading' | 'untrusted' | 'noFolder' | 'noGit' | 'noRepo' | 'noLfs' | 'noModels' | 'ready';

export interface RepoSnapshot {
  repo: ModelRepository;
  branch?: string;
  models: ModelEntry[];
  histories: Map<string, ModelHistory>;
  /** the models with a merge conflict (unmerged in the index: a merge, rebase or cherry-pick stopped on them) */
  conflicts?: Set<string>;
  /** the other branches the setting asks for, with their versions the current branch lacks (issue #17) */
  branches?: BranchGroup[];
  /** reading the repository failed (models and histories are empty, but the repository may not be): why */
  error?: Error;
}

/** 'ready' when a repository shows something in the tree (models, or why it could not be read); else 'noModels'. */
export function stateOf(snaps: readonly RepoSnapshot[]): 'ready' | 'noModels' {
  return snaps.some((s) => s.models.length || s.error) ? 'ready' : 'noModels';
}

/** `modelVersions.branches.show` and `.patterns`: which other branches the tree shows. */
export function branchSetting(): { show: BranchShow; patterns: string[] } {
  const c = vscode.workspace.getConfiguration('modelVersions.branches');
  const show = c.get<string>('show');
  const patterns = c.get<string[]>('patterns');
  return {
    show: show === 'none' || show === 'local and remote' ? show : 'local',
    patterns: Array.isArray(patterns) ? patterns.filter((p) => typeof p === 'string' && p.trim()) : [],
  };
}

export function modelPatterns(): string[] {
  const p = vscode.workspace.getConfiguration('modelVersions').get<string[]>('modelPatterns');
  return Array.isArray(p) && p.length ? p : ['**/*.onnx', '**/*.h5', '**/*.keras'];
}

const MANAGE_TRUST = 'Manage Workspace Trust';

/**
 * True in a trusted workspace. Else says why nothing happens — in an untrusted workspace Model Versions
 * runs no git command (git hooks and config could run code) and starts no evaluation host — offers
 * "Manage Workspace Trust", and returns false. `action`: what the command would have done
 * ("initialize a repository"). package.json `capabilities.untrustedWorkspaces` promises it: the
 * commands that run git without a repository (git init) or start an evaluation host check this first;
 * the others reach git only through `repoFor`, which refuses, or through tree nodes, which an untrusted
 * workspace never has (no repository is discovered there).
 */
export function trustedTo(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showInformationMessage(
      `Model Versions: this workspace is not trusted, so Model Versions runs no git command and starts no evaluation host in it. Trust the workspace to ${action}.`,
      MANAGE_TRUST,
    )
    .then((a) => {
      if (a === MANAGE_TRUST) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}

/** trustedTo for the commands that show something: `what` is what the command would have shown. */
export function requireTrust(what: string): boolean {
  return trustedTo(`see ${what}`);
}

export class RepoManager implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after each refresh (debounced). */
  readonly onDidChange = this.changed.event;
  private repos: ModelRepository[] = [];
  private snapshots: Promise<RepoSnapshot[]> | undefined;
  private watchers: vscode.Disposable[] = [];
  /** what `watchers` watch (the repositories' folders and the model patterns; '' for none or another kind) */
  private watching = '';
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private discovering: Promise<void> | undefined;
  state: WorkspaceState = 'loading';
  lfsVersion: string | undefined;

  constructor() {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.discover()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.discover()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('modelVersions.modelPatterns')) void this.discover();
        else if (e.affectsConfiguration('modelVersions.branches')) this.refresh();
      }),
    );
  }

  get repositories(): readonly ModelRepository[] {
    return this.repos;
  }

  /** Find the repositories again (folders, trust or settings changed). */
  discover(): Promise<void> {
    this.discovering = this.doDiscover().finally(() => this.changed.fire());
    return this.discovering;
  }

  /** Resolves once the first discovery is done. */
  ready(): Promise<void> {
    return this.discovering ?? this.discover();
  }

  /** Bumped by each discovery: one that a newer discovery overtook installs nothing when it ends. */
  private generation = 0;

  private async doDiscover(): Promise<void> {
    const gen = ++this.generation;
    const overtaken = () => gen !== this.generation;
    log().debug('discovering the repositories');
    // The repositories found before stay in place (a refresh meanwhile — a watcher's, the view asking
    // for its rows — reads them) until this discovery has its answer, and are replaced in one step
    // (install). They used to be emptied here first: a refresh during the awaits below then read no
    // repository, cached that empty snapshot, and this discovery took it as its own (its snapshot()
    // found one cached), so the tree stayed empty until the next change (CI, about 1 run in 8).
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) {
      this.install([]);
      return this.setState('noFolder');
    }
    if (!vscode.workspace.isTrusted) {
      this.install([]);
      return this.setState('untrusted');
    }
    let repos: ModelRepository[];
    try {
      repos = await ModelRepository.discover(
        folders.map((f) => f.uri.fsPath),
        { patterns: modelPatterns(), depth: 1 },
      );
    } catch (e) {
      if (overtaken()) return;
      log().error('finding the git repositories failed', e);
      this.install([]);
      if (e instanceof RepoError && e.code === 'GIT_MISSING') return this.setState('noGit');
      return this.setState('noRepo');
    }
    if (overtaken()) return;
    if (!repos.length) {
      this.install([]);
      this.watchForNewRepository(folders);
      return this.setState('noRepo');
    }
    let lfsVersion: string | undefined;
    try {
      lfsVersion = await repos[0].lfsVersion();
    } catch (e) {
      log().warn(`git-lfs: ${(e as Error).message}`);
    }
    if (overtaken()) return;
    this.lfsVersion = lfsVersion;
    // the same repositories and patterns as before (Refresh): their watchers stay. New watchers start late
    // in code-server (a model file created within a second of a Refresh went unseen until the next change)
    const key = JSON.stringify([repos.map((r) => [r.root, r.gitDir, r.commonDir]), modelPatterns()]);
    const keep = key === this.watching;
    this.install(repos, keep);
    if (!keep) {
      for (const r of repos) this.watch(r);
      this.watching = key;
    }
    log().info(`repositories: ${repos.map((r) => r.root).join(', ')}${lfsVersion ? ` (${lfsVersion})` : ' (git-lfs missing)'}`);
    if (!lfsVersion) return this.setState('noLfs');
    const snaps = await this.snapshot();
    if (overtaken()) return;
    await this.setState(stateOf(snaps));
  }

  /** Makes `repos` the workspace's repositories: the old ones' watchers go (unless kept), and the next snapshot reads the new ones. */
  private install(repos: ModelRepository[], keepWatchers = false): void {
    if (!keepWatchers) {
      for (const w of this.watchers) w.dispose();
      this.watchers = [];
      this.watching = '';
    }
    this.repos = repos;
    this.snapshots = undefined;
  }

  private async setState(s: WorkspaceState): Promise<void> {
    this.state = s;
    await vscode.commands.executeCommand('setContext', 'modelVersions.state', s);
  }

  /** `git init` run elsewhere (a terminal) makes a folder a repository: discover it then. */
  private watchForNewRepository(folders: readonly vscode.WorkspaceFolder[]): void {
    for (const f of folders) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(f, '{.git,.git/HEAD,*/.git,*/.git/HEAD}'), false, true, true);
      this.watchers.push(w, w.onDidCreate(() => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.discover(), 400);
      }));
    }
    // A file watcher can miss the creation (code-server's starts after activation; network drives): while
    // there is no repository, look for a .git in the folders and their subfolders every 2 s, discovering
    // again when what is found changes. Stops when the watchers are disposed (discover() or dispose()).
    const scan = () => folders.flatMap((f) => gitDirsIn(f.uri.fsPath)).join('\n');
    let seen = scan(); // what is there now was just discovered (a .git that is no repository is not retried)
    const poll = setInterval(() => {
      const found = scan();
      if (found === seen) return;
      seen = found;
      if (found) void this.discover();
    }, 2000);
    this.watchers.push({ dispose: () => clearInterval(poll) });
  }

  private watch(repo: ModelRepository): void {
    const soon = () => this.refreshSoon();
    // HEAD, the index and refs: commits, checkouts, tags, aliases, notes, fetches
    const git = new vscode.RelativePattern(vscode.Uri.file(repo.gitDir), '{HEAD,index,packed-refs,FETCH_HEAD,refs/**}');
    const gw = vscode.workspace.createFileSystemWatcher(git);
    const common = repo.commonDir !== repo.gitDir
      ? vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(repo.commonDir), '{packed-refs,refs/**}'))
      : undefined;
    for (const w of [gw, common]) {
      if (w) this.watchers.push(w, w.onDidCreate(soon), w.onDidDelete(soon), w.onDidChange(soon));
    }
    // the work tree: model files appearing or disappearing, and folders — the file watcher reports a
    // folder copied or moved in, or deleted, as that folder alone, not the model files in it. A new
    // folder (a sharded model, a copied models/ tree) or a deleted one that held a model refreshes.
    const exts = new Set(modelPatterns().map((p) => /\*\.([A-Za-z0-9_]+)$/.exec(p)?.[1]).filter(Boolean));
    const inTree = (u: vscode.Uri): string | undefined => {
      const rel = path.relative(repo.root, u.fsPath).split(path.sep).join('/');
      return !rel || rel.startsWith('..') || rel === '.git' || rel.startsWith('.git/') ? undefined : rel;
    };
    const isModelFile = (rel: string) => exts.has(path.posix.extname(rel).slice(1));
    const tw = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(repo.root), '**/*'), false, true, false);
    this.watchers.push(
      tw,
      tw.onDidCreate((u) => {
        const rel = inTree(u);
        if (!rel) return;
        if (isModelFile(rel)) return soon();
        fs.promises.stat(u.fsPath).then((st) => st.isDirectory() && soon(), () => undefined);
      }),
      tw.onDidDelete((u) => {
        const rel = inTree(u);
        if (!rel) return;
        if (isModelFile(rel)) return soon();
        void this.snapshots?.then((snaps) => {
          const models = snaps.find((x) => x.repo.root === repo.root)?.models ?? [];
          if (models.some((m) => m.path === rel || m.path.startsWith(`${rel}/`))) soon();
        }, () => undefined);
      }),
    );
  }

  /** Refresh now (the Refresh button). */
  refresh(): void {
    log().debug(`refresh (${this.repos.length} repositories)`);
    this.snapshots = undefined;
    const snapshot = this.snapshot();
    void snapshot.then(async (snaps) => {
      // (a discovery or another refresh since then has the newer answer: it sets the state)
      if (snapshot === this.snapshots && (this.state === 'ready' || this.state === 'noModels')) await this.setState(stateOf(snaps));
      this.changed.fire();
    });
  }

  /** Debounced refresh for bursts of file events (a commit touches HEAD, index and refs). */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 400);
  }

  /** Models and histories of every repository (computed once per refresh). */
  snapshot(): Promise<RepoSnapshot[]> {
    this.snapshots ??= Promise.all(
      this.repos.map(async (repo) => {
        try {
          const [models, histories, branch, conflicts] = await Promise.all([
            repo.listModels(),
            repo.histories(),
            repo.currentBranch(),
            conflictedModels(repo).catch((e: unknown) => {
              log().warn(`listing the merge conflicts of ${repo.root}: ${(e as Error).message}`);
              return [];
            }),
          ]);
          // the other branches: one for-each-ref; a git log pass only for a branch with commits HEAD lacks
          const branches = await repo.branchGroups(branchSetting()).catch((e: unknown) => {
            log().error(`reading the branches of ${repo.root} failed`, e);
            return [];
          });
          return { repo, models, histories, branch, branches, conflicts: new Set(conflicts.map((c) => c.path)) };
        } catch (e) {
          // not an empty repository: the tree shows the error in its place (with Refresh to try again)
          log().error(`reading ${repo.root} failed`, e);
          const error = e instanceof Error ? e : new Error(String(e));
          return { repo, models: [], histories: new Map<string, ModelHistory>(), error };
        }
      }),
    ).then((snaps) => {
      log().debug(`read ${snaps.length ? snaps.map((s) => `${s.repo.root}: ${s.error ? 'failed' : `${s.models.length} models`}`).join(', ') : 'no repository'}`);
      // the folder models (sharded safetensors folders), for the Explorer's context menu on folders
      const folders = snaps.flatMap((s) => s.models.filter((m) => m.folder).map((m) => m.absPath));
      void vscode.commands.executeCommand('setContext', 'modelVersions.folderModels', folders);
      return snaps;
    });
    return this.snapshots;
  }

  /** The repository holding a file, among the workspace's (or opened on demand). */
  async repoFor(file: string): Promise<ModelRepository> {
    await this.ready();
    if (!vscode.workspace.isTrusted) {
      throw new RepoError('NOT_A_REPO', 'This workspace is not trusted: Model Versions runs no git command in it. Trust the workspace to manage model versions.');
    }
    const abs = path.resolve(file);
    const known = [...this.repos].sort((a, b) => b.root.length - a.root.length).find((r) => abs === r.root || abs.startsWith(r.root + path.sep));
    if (known) return known;
    return ModelRepository.open(abs, { patterns: modelPatterns() });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** `<folder>/.git` and `<folder>/<child>/.git` where they exist (what a new repository's `git init` makes). */
function gitDirsIn(folder: string): string[] {
  const out: string[] = [];
  if (fs.existsSync(path.join(folder, '.git'))) out.push(path.join(folder, '.git'));
  let children: fs.Dirent[] = [];
  try {
    children = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const c of children) if (c.isDirectory() && fs.existsSync(path.join(folder, c.name, '.git'))) out.push(path.join(folder, c.name, '.git'));
  return out;
}
