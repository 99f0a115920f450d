/**
 * Drives a real VS Code 1.100 workbench (code-server) in headless Debian Chromium with playwright-core,
 * with this extension loaded from its development folder (the repository, or $MV_EXTENSION_DEV_PATH).
 * Shared server/browser plumbing: scripts/lib/codeServer.js.
 *
 * Every wait has a timeout. The extension's contributions reach the workbench about a second after the
 * Explorer first renders (once the remote extension host has scanned the extensions): start() waits
 * for them by polling the command palette, and the Explorer context menu is right-clicked again until
 * the extension's entry shows. There are no other retries.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Frame, Locator, Page } from 'playwright-core';
import type * as CodeServerLib from '../../scripts/lib/codeServer';
import { extensionDevelopmentPath } from '../support/extension';
import { ARTIFACTS, REPO_ROOT } from '../support/paths';

// Plain JS shared with scripts/code-server-test-shim.js; required at run time by absolute path
// because out/test/ui/ and scripts/lib/ are not siblings the way test/ui/ and scripts/lib/ are.
const cs: typeof CodeServerLib = require(path.join(REPO_ROOT, 'scripts', 'lib', 'codeServer.js'));

export const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');

const DEFAULT_TIMEOUT = 30000;
/** Wait after a context menu opens before clicking an entry or taking a screenshot (see pickContextMenuItem). */
const MENU_ARM_MS = 250;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (s: string) => new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);

export interface WorkbenchOptions {
  /** Names the log files (.test-artifacts/logs/ui-<name>-*.log). */
  name?: string;
  /** Extension folder to load; default $MV_EXTENSION_DEV_PATH or the repository. */
  extensionDevelopmentPath?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /**
   * A palette title of one of the extension's commands; start() waits until the palette offers it,
   * i.e. until the workbench has the extension's contributions (default 'Model Versions: Refresh').
   */
  readyCommandTitle?: string;
}

export class Workbench {
  private server?: CodeServerLib.CodeServer;
  private browser?: CodeServerLib.LaunchedChromium;
  private readonly consoleLines: string[] = [];
  readonly name: string;

  constructor(private readonly options: WorkbenchOptions = {}) {
    this.name = options.name ?? 'ui';
  }

  /** The Playwright page (after start()). */
  get page(): Page {
    if (!this.browser) throw new Error('Workbench.start() was not called (or failed)');
    return this.browser.page;
  }

  /** Starts code-server and Chromium and opens `workspaceFolder` with the extension loaded. */
  async start(workspaceFolder: string, timeoutMs = 90000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    cs.exitOnSignals(); // Ctrl+C still stops code-server and Chromium
    const devPath = path.resolve(this.options.extensionDevelopmentPath ?? extensionDevelopmentPath());
    this.server = await cs.startCodeServer({
      logFile: path.join(ARTIFACTS, 'logs', `ui-${this.name}-code-server.log`),
      settings: this.options.settings,
      startTimeoutMs: left(),
    });
    this.browser = await cs.launchChromium({ timeoutMs: left() });
    const page = this.browser.page;
    page.setDefaultTimeout(DEFAULT_TIMEOUT);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.consoleLines.push(`[${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => this.consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(
      cs.workbenchUrl(this.server, { folder: workspaceFolder, extensionDevelopmentPaths: [devPath] }),
      { timeout: left() },
    );
    // The Explorer shows the folder's files once the workbench and the remote connection are up.
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: left() });
    await this.waitForContributions(this.options.readyCommandTitle ?? 'Model Versions: Refresh', left());
  }

  /**
   * The extension's contributions (commands, menus, views) reach the workbench only after the remote
   * extension host has scanned the extensions, about a second after the Explorer renders. The command
   * palette computes its list when it opens, so this reopens it until it offers `title`.
   */
  async waitForContributions(title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    const row = this.paletteRow(title);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        await page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 10000 });
        await input.fill(`>${title}`);
        const found = await row.waitFor({ state: 'visible', timeout: 1500 }).then(
          () => true,
          () => false,
        );
        await page.keyboard.press('Escape');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 });
        if (found) return;
        if (Date.now() > deadline) throw new Error(`the command palette never offered '${title}' (${timeoutMs} ms)`);
        await sleep(500);
      }
    } catch (e) {
      throw new Error(`the extension's contributions did not load: ${(e as Error).message}`);
    }
  }

  private paletteRow(title: string): Locator {
    const page = this.page;
    return page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exactly(title) }) })
      .first();
  }

  /** Closes Chromium, kills code-server's process group, writes the browser console log. */
  async stop(): Promise<void> {
    try {
      if (this.consoleLines.length) {
        const log = path.join(ARTIFACTS, 'logs', `ui-${this.name}-browser-console.log`);
        fs.mkdirSync(path.dirname(log), { recursive: true });
        fs.writeFileSync(log, this.consoleLines.join('\n') + '\n');
      }
    } finally {
      await this.browser?.close();
      await this.server?.stop();
      this.browser = undefined;
      this.server = undefined;
    }
  }

  /** Runs a command from the palette (F1) by its full title, e.g. 'Source Control: Focus on Model Versions View'. */
  async runPaletteCommand(title: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${title}`);
    const row = this.paletteRow(title);
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Shows the Source Control side bar (Ctrl+Shift+G). */
  async openSourceControlView(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+G');
    await this.page
      .locator('.sidebar .composite.title', { hasText: /source control/i })
      .waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Focuses the Model Versions view (in Source Control) through its generated focus command. */
  async focusModelVersionsView(timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
    await this.runPaletteCommand('Source Control: Focus on Model Versions View', timeoutMs);
    const pane = this.viewPane('Model Versions');
    await pane.waitFor({ state: 'visible', timeout: timeoutMs });
    return pane;
  }

  /** The side-bar pane of a view, by its title. */
  viewPane(viewName: string): Locator {
    const page = this.page;
    return page
      .locator('.part.sidebar .pane')
      .filter({ has: page.locator('.pane-header .title', { hasText: exactly(viewName) }) })
      .first();
  }

  /**
   * The labels of a view's visible tree rows. With `waitFor`, waits (up to timeoutMs) until a row
   * with that label shows; without, until any row shows.
   */
  async readTree(viewName: string, opts: { waitFor?: string; timeoutMs?: number } = {}): Promise<string[]> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const pane = this.viewPane(viewName);
    await pane.waitFor({ state: 'visible', timeout: timeoutMs });
    const rows = pane.locator('.pane-body .monaco-list-row');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const labels = await this.rowLabels(rows);
      const ready = opts.waitFor ? labels.includes(opts.waitFor) : labels.length > 0;
      if (ready || Date.now() > deadline) return labels;
      await sleep(200);
    }
  }

  private async rowLabels(rows: Locator): Promise<string[]> {
    return rows.evaluateAll((els) =>
      els.map((el) => {
        const name = el.querySelector('.label-name');
        const text = (name ?? el).textContent ?? '';
        return text.trim();
      }),
    );
  }

  /** An Explorer row by file name (the workspace root's children are expanded by default). */
  explorerItem(name: string): Locator {
    const page = this.page;
    return page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exactly(name) }) })
      .first();
  }

  /** The labels of the open context menu (separators left out). */
  async contextMenuLabels(): Promise<string[]> {
    const menu = this.page.locator('.context-view .monaco-menu').last();
    await menu.waitFor({ state: 'visible', timeout: 5000 });
    const labels = await menu
      .locator('.action-item .action-label:not(.separator)')
      .allTextContents();
    return labels.map((l) => l.trim()).filter((l) => l.length > 0);
  }

  /**
   * Right-clicks an Explorer item and returns the context menu's labels; the menu stays open
   * (closeMenu() closes it). With `waitForItem`, right-clicks again (Escape, 250 ms, retry) until
   * the menu has that entry or timeoutMs passes, then returns what the last menu showed.
   */
  async rightClickExplorerItem(
    name: string,
    opts: { waitForItem?: string; timeoutMs?: number } = {},
  ): Promise<string[]> {
    const timeoutMs = opts.timeoutMs ?? 15000;
    const item = this.explorerItem(name);
    await item.waitFor({ state: 'visible', timeout: DEFAULT_TIMEOUT });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await item.click({ button: 'right' });
      const labels = await this.contextMenuLabels();
      if (!opts.waitForItem || labels.includes(opts.waitForItem) || Date.now() > deadline) {
        // Let the menu finish fading in (screenshots) and arm its entries (see pickContextMenuItem).
        await sleep(MENU_ARM_MS);
        return labels;
      }
      await this.closeMenu();
      await sleep(250);
    }
  }

  /** Right-clicks an Explorer item and picks a context-menu entry (retrying until it shows). */
  async pickContextMenuItem(fileName: string, itemLabel: string, timeoutMs = 15000): Promise<void> {
    const labels = await this.rightClickExplorerItem(fileName, { waitForItem: itemLabel, timeoutMs });
    if (!labels.includes(itemLabel)) {
      await this.closeMenu();
      throw new Error(`the context menu of ${fileName} has no '${itemLabel}' after ${timeoutMs} ms: ${labels.join(' | ')}`);
    }
    const menu = this.page.locator('.context-view .monaco-menu').last();
    const entry = menu.locator('.action-item a.action-menu-item', { hasText: exactly(itemLabel) }).first();
    // VS Code's menu items start listening for mouse-up only 100 ms after they render (Menu's
    // runOnceToEnableMouseUp), so a click right after the menu opens is ignored and the menu stays;
    // rightClickExplorerItem has waited MENU_ARM_MS.
    await entry.hover();
    for (let attempt = 1; ; attempt++) {
      await entry.click();
      try {
        await menu.waitFor({ state: 'hidden', timeout: 3000 });
        return;
      } catch (e) {
        // Under heavy load the 100 ms timer can fire late; the menu is still open, so click again once.
        if (attempt >= 2) throw e;
      }
    }
  }

  async closeMenu(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page
      .locator('.context-view .monaco-menu')
      .last()
      .waitFor({ state: 'hidden', timeout: 5000 })
      .catch(() => undefined);
  }

  /**
   * The text of the first element matching `selector` inside any webview. Webview content lives in
   * nested iframes (an outer host frame and the inner content frame), so every frame is searched.
   */
  async readWebviewText(selector: string, timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        const text = await this.textIn(frame, selector);
        if (text !== undefined) return text;
      }
      if (Date.now() > deadline) {
        throw new Error(`no webview element matches ${selector} after ${timeoutMs} ms`);
      }
      await sleep(250);
    }
  }

  private async textIn(frame: Frame, selector: string): Promise<string | undefined> {
    try {
      const el = frame.locator(selector).first();
      if ((await el.count()) === 0) return undefined;
      return await el.innerText({ timeout: 2000 });
    } catch {
      return undefined; // frame detached or navigating
    }
  }

  /** For afterEach hooks: a screenshot named FAILED-<test title>, when the page is still up; never throws. */
  async screenshotOnFailure(testTitle: string): Promise<void> {
    if (!this.browser || this.browser.page.isClosed()) return;
    const name = `FAILED-${testTitle.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)}`;
    await this.screenshot(name).then(
      (file) => console.log(`      screenshot: ${path.relative(process.cwd(), file)}`),
      () => undefined,
    );
  }

  /** Saves a screenshot of the whole window as .test-artifacts/screenshots/<name>.png. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(SCREENSHOTS, `${name}.png`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: file, timeout: 15000 });
    return file;
  }
}
