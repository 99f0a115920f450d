/**
 * Permalinks: the URL of one commit's file on the web UI of the repository's remote (GitHub, GitLab,
 * Gitea/Forgejo/Codeberg, Bitbucket, Azure DevOps). The remote is that of the current branch's
 * upstream, else `origin`, else the only remote. Pure string work (parseRemoteUrl, webUrl) plus one
 * git config read (permalinkFor); nothing is fetched from the network.
 */
import type { Git } from './git';
import { RepoError } from './errors';

export type WebKind = 'github' | 'gitlab' | 'gitea' | 'bitbucket' | 'azure';
export const WEB_KINDS: readonly WebKind[] = ['github', 'gitlab', 'gitea', 'bitbucket', 'azure'];

/** A remote URL taken apart; `local` for a path or file:// remote (no web UI). */
export type RemoteUrl =
  | { local: false; host: string; /** a port to keep in the web URL (http/https remotes only) */ port?: string; /** path segments, `.git` dropped */ segments: string[]; web: 'https' | 'http' }
  | { local: true; path: string };

/**
 * Parse a git remote URL: `https://[user@]host[:port]/a/b(.git)`, `http://…`, `ssh://[user@]host[:port]/a/b.git`,
 * `git://host/a/b.git`, scp-like `[user@]host:a/b.git`, `file://…` and local paths. Credentials in the
 * URL are dropped. Throws NO_WEB_UI for what is not a URL.
 */
export function parseRemoteUrl(url: string): RemoteUrl {
  const u = url.trim();
  if (!u) throw new RepoError('NO_WEB_UI', 'The remote has no URL.');
  if (/^file:/i.test(u)) return { local: true, path: u.replace(/^file:\/\//i, '') };
  const full = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d*))?(\/[^?#]*)?/i.exec(u);
  if (full) {
    const scheme = full[1].toLowerCase();
    if (!['https', 'http', 'ssh', 'git', 'git+ssh', 'ssh+git'].includes(scheme)) {
      throw new RepoError('NO_WEB_UI', `The remote URL ${u} uses ${scheme}://, which has no web UI to link to.`);
    }
    const web = scheme === 'http' ? 'http' : 'https';
    const port = (scheme === 'https' || scheme === 'http') && full[3] ? full[3] : undefined;
    return { local: false, host: full[2].toLowerCase(), ...(port ? { port } : {}), segments: segmentsOf(full[4] ?? ''), web };
  }
  // scp-like: [user@]host:path — but not a Windows drive (C:\…, C:/…) nor a path with a slash before the colon
  const scp = /^(?:[^@/]+@)?([^:/\\]+):(?!\/\/)(.*)$/.exec(u);
  if (scp && !/^[A-Za-z]$/.test(scp[1])) return { local: false, host: scp[1].toLowerCase(), segments: segmentsOf(scp[2]), web: 'https' };
  return { local: true, path: u };
}

function segmentsOf(p: string): string[] {
  const segs = p.split('/').filter(Boolean);
  if (segs.length) segs[segs.length - 1] = segs[segs.length - 1].replace(/\.git$/i, '');
  return segs.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/** The kind of web UI a host serves: `hostKinds` (setting: host → kind) first, then the well-known hosts and names. */
export function webKindOf(host: string, hostKinds: Record<string, string> = {}): WebKind | undefined {
  const h = host.toLowerCase();
  for (const [k, v] of Object.entries(hostKinds)) {
    if (k.toLowerCase() === h && (WEB_KINDS as readonly string[]).includes(v)) return v as WebKind;
  }
  if (h === 'github.com' || h === 'ssh.github.com' || /(^|\.)github\./.test(h)) return 'github';
  if (h === 'dev.azure.com' || h === 'ssh.dev.azure.com' || h.endsWith('.visualstudio.com')) return 'azure';
  if (h === 'bitbucket.org' || h === 'altssh.bitbucket.org') return 'bitbucket';
  if (h === 'codeberg.org' || /(^|[.-])(gitea|forgejo)([.-]|$)/.test(h)) return 'gitea';
  if (h === 'gitlab.com' || h === 'altssh.gitlab.com' || /(^|[.-])gitlab([.-]|$)/.test(h)) return 'gitlab';
  return undefined;
}

const enc = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

/**
 * The web URL of `path` (repository-relative, forward slashes) at `commit` on the remote at `remoteUrl`.
 * Throws NO_WEB_UI (a local remote, an unknown host) saying what to do.
 */
export function webUrl(remoteUrl: string, commit: string, path: string, hostKinds: Record<string, string> = {}): { url: string; kind: WebKind } {
  const r = parseRemoteUrl(remoteUrl);
  if (r.local) {
    throw new RepoError('NO_WEB_UI', `The remote is a local repository (${r.path}): it has no web UI to link to. Push to a hosted remote (GitHub, GitLab, Gitea, Bitbucket, Azure DevOps) first.`);
  }
  const kind = webKindOf(r.host, hostKinds);
  if (!kind) {
    throw new RepoError(
      'NO_WEB_UI',
      `No known web UI for the host ${r.host}: map it in the setting modelVersions.permalinkHosts (e.g. {"${r.host}": "gitlab"}; kinds: ${WEB_KINDS.join(', ')}).`,
    );
  }
  let segs = r.segments;
  const host = r.port ? `${r.host}:${r.port}` : r.host;
  if (kind === 'azure') return { kind, url: azureUrl(r.host, segs, commit, path, remoteUrl) };
  // ssh hosts that differ from the web host
  const webHost = host.replace(/^ssh\.github\.com$/, 'github.com').replace(/^altssh\.(gitlab\.com|bitbucket\.org)$/, '$1');
  if (segs.length < 2) throw new RepoError('NO_WEB_UI', `The remote URL ${remoteUrl} names no owner/repository path to link to.`);
  if (kind !== 'gitlab') segs = segs.slice(-2); // a GitLab project may sit in nested groups; the others are owner/repo
  const base = `${r.web}://${webHost}/${segs.map(encodeURIComponent).join('/')}`;
  switch (kind) {
    case 'github':
      return { kind, url: `${base}/blob/${commit}/${enc(path)}` };
    case 'gitlab':
      return { kind, url: `${base}/-/blob/${commit}/${enc(path)}` };
    case 'gitea':
      return { kind, url: `${base}/src/commit/${commit}/${enc(path)}` };
    case 'bitbucket':
      return { kind, url: `${base}/src/${commit}/${enc(path)}` };
  }
}

/**
 * Azure DevOps: https://dev.azure.com/{org}/{project}/_git/{repo}, {org}.visualstudio.com/{project}/_git/{repo},
 * ssh git@ssh.dev.azure.com:v3/{org}/{project}/{repo} → https://dev.azure.com/{org}/{project}/_git/{repo}?path=/…&version=GC{commit}
 */
function azureUrl(host: string, segs: string[], commit: string, path: string, remoteUrl: string): string {
  let org: string | undefined;
  let project: string | undefined;
  let repo: string | undefined;
  if (segs[0] === 'v3' && segs.length >= 4) [, org, project, repo] = segs;
  else {
    const g = segs.indexOf('_git');
    if (g >= 0 && g + 1 < segs.length) {
      repo = segs[g + 1];
      const before = segs.slice(0, g).filter((s) => s !== 'DefaultCollection');
      if (host.endsWith('.visualstudio.com')) {
        org = host.slice(0, -'.visualstudio.com'.length);
        project = before[0] ?? repo;
      } else {
        org = before[0];
        project = before[1] ?? repo;
      }
    }
  }
  if (!org || !project || !repo) throw new RepoError('NO_WEB_UI', `Cannot read the organization, project and repository of the Azure DevOps remote ${remoteUrl}.`);
  const e = encodeURIComponent;
  return `https://dev.azure.com/${e(org)}/${e(project)}/_git/${e(repo)}?path=/${enc(path)}&version=GC${commit}`;
}

/** The remote to link to: the current branch's upstream remote, else `origin`, else the only remote. */
export async function permalinkRemote(git: Git): Promise<{ name: string; url: string }> {
  const remotes = (await git.run(['remote'])).stdout.toString('utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  if (!remotes.length) throw new RepoError('NO_REMOTE', 'This repository has no remote: add one (`git remote add origin <url>`) and push, then copy the permalink.');
  const branch = (await git.run(['symbolic-ref', '-q', '--short', 'HEAD'], { allowFail: true })).stdout.toString('utf8').trim();
  let name: string | undefined;
  if (branch) {
    const up = (await git.run(['config', '--get', `branch.${branch}.remote`], { allowFail: true })).stdout.toString('utf8').trim();
    if (up && remotes.includes(up)) name = up;
  }
  name ??= remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined;
  if (!name) throw new RepoError('NO_REMOTE', `This branch has no upstream and there is no remote named origin (remotes: ${remotes.join(', ')}): set an upstream (\`git push -u <remote> <branch>\`).`);
  const url = (await git.run(['remote', 'get-url', name])).stdout.toString('utf8').trim();
  return { name, url };
}

export interface Permalink {
  url: string;
  kind: WebKind;
  remote: string;
  /** set when no remote-tracking branch of that remote holds the commit yet: the link works once it is pushed */
  notPushed?: boolean;
}

/** The permalink of `path` at `commit` (see webUrl); says whether the commit is on the remote yet. */
export async function permalinkFor(git: Git, commit: string, path: string, hostKinds: Record<string, string> = {}): Promise<Permalink> {
  const remote = await permalinkRemote(git);
  const { url, kind } = webUrl(remote.url, commit, path, hostKinds);
  const held = (await git.run(['for-each-ref', '--count=1', '--contains', commit, '--format=%(refname)', `refs/remotes/${remote.name}/`], { allowFail: true })).stdout
    .toString('utf8')
    .trim();
  return { url, kind, remote: remote.name, ...(held ? {} : { notPushed: true }) };
}
