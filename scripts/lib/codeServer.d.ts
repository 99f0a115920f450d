// Types for codeServer.js (plain JS, so scripts run without a build); used by test/ui/helpers.ts.
import type { Browser, BrowserContext, Page } from 'playwright-core';

export declare const REPO_ROOT: string;
export declare const CODE_SERVER_VERSION: string;
export declare const DEFAULT_SETTINGS: Record<string, unknown>;

export declare class PrerequisiteError extends Error {}

export declare function codeServerBin(): string;
export declare function chromiumBin(): string;
export declare function freePort(): Promise<number>;
export declare function exitOnSignals(): void;
export declare function sleep(ms: number): Promise<void>;
export declare function prepareProfile(opts: {
  userDataDir: string;
  extensionsDir: string;
  settings?: Record<string, unknown>;
}): void;

export interface CodeServer {
  port: number;
  baseUrl: string;
  pid: number;
  logFile: string;
  tmpDir: string;
  userDataDir: string;
  extensionsDir: string;
  remoteUri(p: string): string;
  stop(graceMs?: number): Promise<void>;
}

export declare function startCodeServer(opts?: {
  userDataDir?: string;
  extensionsDir?: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  logFile?: string;
  startTimeoutMs?: number;
}): Promise<CodeServer>;

export declare function workbenchUrl(
  server: CodeServer,
  opts?: { folder?: string; extensionDevelopmentPaths?: string[]; extensionTestsPath?: string },
): string;

export interface LaunchedChromium {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export declare function launchChromium(opts?: {
  viewport?: { width: number; height: number };
  timeoutMs?: number;
}): Promise<LaunchedChromium>;

export interface LaunchedBrowser {
  browser: Browser;
  /** A page in a fresh browser context of its own (close() closes the context). */
  newPage(opts?: { viewport?: { width: number; height: number } }): Promise<LaunchedChromium>;
  close(): Promise<void>;
}

export declare function launchBrowser(opts?: { timeoutMs?: number }): Promise<LaunchedBrowser>;
