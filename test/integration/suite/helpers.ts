/** Shared pieces of the extension tests (not a test file: index.ts loads only *.test.js). */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ModelVersionsApi, TreeNodeInfo } from '../../../src/extension/extension';

export type { ModelVersionsApi, TreeNodeInfo };

export const EXTENSION_ID = 'model-versions.model-versions';
export const VIEW_ID = 'modelVersions.models';
export const MODEL = 'hello_deepa.onnx';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; fails with `what` (and the last value seen) after timeoutMs. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 20000,
  describeLast?: () => string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const last = describeLast ? `; last seen: ${describeLast()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}${last}`);
    }
    await sleep(100);
  }
}

export function extension(): vscode.Extension<ModelVersionsApi> {
  const ext = vscode.extensions.getExtension<ModelVersionsApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in the test instance`);
  return ext;
}

/** The test API, once the extension has activated by itself (workspaceContains). */
export async function activeApi(): Promise<ModelVersionsApi> {
  const ext = extension();
  await waitFor(`${EXTENSION_ID} to become active`, () => ext.isActive, 30000);
  assert.ok(ext.exports?.modelsView, 'activate() should return the test API { modelsView, ready, refresh }');
  return ext.exports;
}

/** The workspace folder's path. */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return folder.uri.fsPath;
}

/** A tree node and its children as one line, for failure messages. */
export function showTree(nodes: TreeNodeInfo[] | undefined): string {
  return JSON.stringify(nodes ?? [], (k, v) => (k === 'resourceUri' && v ? String(v.path ?? v) : v));
}

/** An error a command reported (src/extension/commands/register.ts). */
export type CommandErrorReport = ReturnType<ModelVersionsApi['commands']['errors']>[number];

/**
 * Runs a command that must fail: it returns undefined (a command never rejects), and reports exactly
 * one error (one notification, or its panel). Returns that report.
 */
export async function commandError(command: string, ...args: unknown[]): Promise<CommandErrorReport> {
  const api = await activeApi();
  const before = api.commands.errors().length;
  const result = await vscode.commands.executeCommand<unknown>(command, ...args);
  assert.strictEqual(result, undefined, `${command} returned ${JSON.stringify(result)} instead of failing`);
  const reported = api.commands.errors().slice(before);
  assert.strictEqual(reported.length, 1, `${command} reported ${reported.length} errors: ${JSON.stringify(reported)}`);
  assert.strictEqual(reported[0].command, command);
  return reported[0];
}
