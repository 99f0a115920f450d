/**
 * Sharing a version (issue #16): Copy Permalink (the URL of the version's file at its commit on the
 * remote's web UI, core/repo/permalink.ts), Export Model Card… (a Markdown card in the Hugging Face
 * layout, core/lineage/modelCard.ts) and Export Version… (a folder with the model's bytes, the card as
 * README.md and evaluations.json). Loaded on first use (../features.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { RepoError, type ModelRepository, type ModelVersion } from '../../core/repo';
import { permalinkFor } from '../../core/repo/permalink';
import { EXPORT_CARD, EXPORT_EVALUATIONS, buildModelCard, exportVersion } from '../../core/lineage/modelCard';
import { log } from '../log';
import { VersionNode } from '../models/modelsTree';
import { requireTrust, type RepoManager } from '../repos/repoManager';
import { progressReporter } from '../versions';
import { COMMAND } from '../commands/ids';
import type { CommandRegistrar } from '../commands/register';

/** What tests (and other callers) can pass instead of answering the dialogs. */
export interface ShareAnswers {
  /** Export Model Card…: the file to write */
  file?: string;
  /** Export Version…: the folder to write to */
  folder?: string;
  /** Export Version…: replace the exported files in a folder that is not empty */
  force?: boolean;
}

/** The setting mapping a self-hosted host name to its kind of web UI. */
export const PERMALINK_HOSTS_SETTING = 'permalinkHosts';

export function shareCommands(command: CommandRegistrar, _context: vscode.ExtensionContext, repos: RepoManager): void {
  command(COMMAND.copyPermalink, async (arg?: VersionNode) => {
    const { repo, version } = await versionOf(repos, arg);
    const hosts = vscode.workspace.getConfiguration('modelVersions').get<Record<string, string>>(PERMALINK_HOSTS_SETTING) ?? {};
    let link;
    try {
      link = await permalinkFor(repo.git, version.commit, version.path, hosts);
    } catch (e) {
      if (e instanceof RepoError && (e.code === 'NO_WEB_UI' || e.code === 'NO_REMOTE')) {
        // not a failure of Model Versions: say what is missing, without the Show Log noise
        void vscode.window.showWarningMessage(`Model Versions: no permalink for ${version.model} v${version.version}. ${e.message}`);
        return undefined;
      }
      throw e;
    }
    await vscode.env.clipboard.writeText(link.url);
    log().info(`permalink of ${version.model} v${version.version}: ${link.url}`);
    const note = link.notPushed ? ` Commit ${version.shortCommit} is not on ${link.remote} yet: push it (Push Model Versions) before sharing the link.` : '';
    const show = link.notPushed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Copied the permalink of ${version.model} v${version.version} (${link.remote}).${note}`);
    return link;
  });

  command(COMMAND.exportModelCard, async (arg?: VersionNode, answers?: ShareAnswers) => {
    const { repo, version } = await versionOf(repos, arg);
    const base = `${path.posix.basename(version.model).replace(/\.[^.]+$/, '')}-v${version.version}-card.md`;
    const file =
      answers?.file ??
      (await vscode.window.showSaveDialog({
        title: `Export the model card of ${version.model} v${version.version}`,
        defaultUri: vscode.Uri.file(path.join(repo.root, base)),
        filters: { Markdown: ['md'] },
      }))?.fsPath;
    if (!file) return undefined;
    const card = await buildModelCard(repo, version.model, specOf(version));
    fs.writeFileSync(file, card.markdown);
    log().info(`model card of ${version.model} v${version.version} written to ${file}`);
    if (!answers) {
      const open = await vscode.window.showInformationMessage(`Wrote the model card of ${version.model} v${version.version} to ${path.basename(file)}.`, 'Open');
      if (open === 'Open') await vscode.window.showTextDocument(vscode.Uri.file(file));
    }
    return file;
  });

  command(COMMAND.exportVersion, async (arg?: VersionNode, answers?: ShareAnswers) => {
    const { repo, version } = await versionOf(repos, arg);
    let folder = answers?.folder;
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        title: `Export ${version.model} v${version.version}: its bytes, ${EXPORT_CARD} (model card) and ${EXPORT_EVALUATIONS}`,
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Export Here',
      });
      folder = picked?.[0]?.fsPath;
    }
    if (!folder) return undefined;
    let force = answers?.force ?? false;
    if (!force && fs.existsSync(folder) && fs.statSync(folder).isDirectory() && fs.readdirSync(folder).length) {
      if (answers) throw new RepoError('DIR_NOT_EMPTY', `${folder} is not empty: choose a new or empty folder.`);
      const ok = await vscode.window.showWarningMessage(
        `${path.basename(folder)} is not empty.`,
        { modal: true, detail: `Replace ${path.posix.basename(version.path)}, ${EXPORT_CARD} and ${EXPORT_EVALUATIONS} in it (other files are kept)?` },
        'Replace',
      );
      if (ok !== 'Replace') return undefined;
      force = true;
    }
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting ${version.model} v${version.version}…` },
      (p) => exportVersion(repo, version.model, specOf(version), folder, { force, onProgress: progressReporter(p) }),
    );
    log().info(`exported ${version.model} v${version.version} to ${r.dir}: ${r.files.map((f) => `${f.name} sha256:${f.sha256}`).join(', ')}`);
    if (!answers) {
      const reveal = await vscode.window.showInformationMessage(`Exported ${version.model} v${version.version} to ${r.dir}.`, 'Reveal');
      if (reveal === 'Reveal') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path.join(r.dir, EXPORT_CARD)));
    }
    return r;
  });
}

/** A version in this branch's history by its number; one outside it by its commit. */
function specOf(v: ModelVersion): string | number {
  return v.outsideHistory ? v.commit : v.version;
}

async function versionOf(repos: RepoManager, arg: unknown): Promise<{ repo: ModelRepository; version: ModelVersion }> {
  if (arg instanceof VersionNode) return { repo: arg.repo, version: arg.version };
  if (!requireTrust('the versions of a model')) throw new vscode.CancellationError();
  // the Command Palette: the active model's latest version
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme !== 'file') throw new RepoError('NOT_FOUND', 'Pick a version in the Model Versions view (right-click it), or open a model file first.');
  const repo = await repos.repoFor(uri.fsPath);
  return { repo, version: await repo.resolveVersion(repo.rel(uri.fsPath), 'latest') };
}
