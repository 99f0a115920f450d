/** Shared plumbing of the repository commands (log, commit, tag, alias, restore, show, push, fetch). */
import * as path from 'path';
import { parseArgs, type ParseArgsConfig } from 'util';
import { formatBytes } from '../../core/formats/describe';
import { ModelRepository, RepoError, type ModelVersion, type TransferProgress } from '../../core/repo';
import { CliError, UsageError } from '../errors';
import type { CliIO } from '../main';

/** Options every repository command takes. */
export const REPO_OPTIONS = {
  C: { type: 'string', short: 'C' },
  repo: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const REPO_OPTIONS_HELP = `  -C DIR, --repo DIR   run as if started in DIR (the repository containing it)`;

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The folder the command runs in (-C / --repo, else the current directory). */
export function baseDir(values: { C?: string; repo?: string }): string {
  return path.resolve(values.C ?? values.repo ?? '.');
}

/** A file argument, resolved against -C the way `git -C` does. */
export function fileArg(values: { C?: string; repo?: string }, file: string): string {
  return path.resolve(baseDir(values), file);
}

export async function openRepo(values: { C?: string; repo?: string }, file?: string): Promise<ModelRepository> {
  return ModelRepository.open(file ? fileArg(values, file) : baseDir(values));
}

/** Turn RepoErrors into CliErrors (exit code 1, message only). */
export async function repoErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RepoError) throw new CliError(e.message, 1);
    throw e;
  }
}

/** One line per version, for people. */
export function versionLine(v: ModelVersion): string {
  const marks = [...v.tags.map((t) => `tag:${t.name}`), ...v.aliases.map((a) => `@${a}`)];
  const id = v.oid ? `sha256:${v.oid.slice(0, 12)}` : v.files ? `${v.files.length} files ${v.contentId.slice(0, 18)}` : `git:${v.blob.slice(0, 12)}`;
  return [
    `v${v.version}`.padEnd(4),
    v.shortCommit,
    v.date.slice(0, 10),
    id,
    formatBytes(v.size).padStart(9),
    v.subject + (marks.length ? `  (${marks.join(', ')})` : '') + (v.path !== v.model ? `  [as ${v.path}]` : ''),
  ].join('  ');
}

/** JSON shape of a version for --json output (stable, documented in docs/storage.md). */
export function versionJson(v: ModelVersion): Record<string, unknown> {
  return {
    model: v.model,
    path: v.path,
    version: v.version,
    commit: v.commit,
    shortCommit: v.shortCommit,
    author: v.author,
    date: v.date,
    subject: v.subject,
    message: v.message,
    oid: v.oid ?? null,
    contentId: v.contentId,
    size: v.size,
    lfs: v.lfs,
    change: v.change,
    previousPath: v.previousPath ?? null,
    tags: v.tags.map((t) => t.name),
    aliases: v.aliases,
    trailers: v.trailers,
    metadata: v.metadata ?? null,
    // a version of another branch (log --all, <model>@<branch>): the branch, and its number counts there
    ...(v.branch ? { branch: v.branch } : {}),
    // a folder model (a sharded safetensors model's folder): its files in this version
    ...(v.files ? { files: v.files.map((f) => ({ name: f.name, blob: f.blob, lfs: f.lfs, oid: f.oid ?? null, size: f.size })) } : {}),
  };
}

export type RepoCliIO = CliIO & {
  /** where `show` writes bytes; default process.stdout */
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
};

export function needPositionals(positionals: string[], min: number, max: number, what: string): void {
  if (positionals.length < min) throw new UsageError(`missing ${what}`);
  if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}'`);
}

/**
 * git's push/fetch progress on a terminal ("Writing objects 45% (9/20)", redrawn in place); nothing
 * on a pipe or with --json. Call the returned `done` at the end.
 */
export function transferProgress(io: CliIO, json: boolean | undefined): { onProgress?: (p: TransferProgress) => void; done: () => void } {
  const tty = io.errStream?.isTTY && !json ? io.errStream : undefined;
  if (!tty) return { done: () => undefined };
  let drawn = false;
  return {
    onProgress: (p) => {
      tty.write(`\r${p.remote ? 'remote: ' : ''}${p.label} ${p.percent}% (${p.processed}/${p.total})\x1b[K`);
      drawn = true;
    },
    done: () => {
      if (drawn) tty.write('\r\x1b[K');
    },
  };
}
