/**
 * Drives a real VS Code 1.100 workbench (code-server) in headless Debian Chromium with playwright-core,
 * with this extension loaded from its development folder (the repository, or $MV_EXTENSION_DEV_PATH).
 * The suites share one code-server and one Chromium; each opens its own folder in a fresh browser
 * context (see `shared` below). Server/browser plumbing: scripts/lib/codeServer.js.
 *
 * Every wait has a timeout. The extension's contributions reach the workbench about a second after the
 * Explorer first renders (once the remote extension host has scanned the extensions): start() waits
 * for them by polling the command palette, and a context menu (Explorer or tree row) is right-clicked
 * again until the extension's entry shows. A context-menu entry is clicked a second time when the
 * first click came before the menu armed itself. There are no other retries; tree and input-box
 * waits poll the DOM until their condition holds or their timeout passes.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Frame, Locator, Page } from 'playwright-core';
import type * as CodeServerLib from '../../scripts/lib/codeServer';
import { extensionDevelopmentPath } from '../support/extension';
import { ARTIFACTS, REPO_ROOT } from '../support/paths';
import { removeWorkspace } from '../support/workspace';

// Plain JS shared with scripts/code-server-test-shim.js; required at run time by absolute path
// because out/test/ui/ and scripts/lib/ are not siblings the way test/ui/ and scripts/lib/ are.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cs: typeof CodeServerLib = require(path.join(REPO_ROOT, 'scripts', 'lib', 'codeServer.js'));

/** A TCP port on 127.0.0.1 that was free a moment ago (scripts/lib/codeServer.js). */
export const freePort = (): Promise<number> => cs.freePort();

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
  /** Extra user settings (the workbench then gets a code-server of its own: user settings are per server). */
  settings?: Record<string, unknown>;
  /**
   * Start a code-server of its own instead of sharing the run's one (sharedCodeServer). A server's
   * environment and user settings reach every window it serves: a suite that needs its own gets its own.
   */
  ownServer?: boolean;
  /**
   * A palette title of one of the extension's commands; start() waits until the palette offers it,
   * i.e. until the workbench has the extension's contributions (default 'Model Versions: Refresh').
   */
  readyCommandTitle?: string;
  /** The browser window's size (default: scripts/lib/codeServer.js launchBrowser's 1400×850). */
  viewport?: { width: number; height: number };
}

/**
 * The code-server and the Chromium that the run's workbenches share (start() opens each suite's folder
 * in a browser context of its own on them): one start of each instead of one per suite, about 20 s
 * apiece. A window's extension host is its own (the server starts one per connection and ends it when
 * the page unloads), and so are its workspace folder, its workspace settings and state; the browser
 * context keeps the page's storage to itself. stopShared() ends both (test/ui/run.ts, after the run).
 */
const shared: { server?: Promise<CodeServerLib.CodeServer>; browser?: Promise<CodeServerLib.LaunchedBrowser> } = {};

async function sharedServer(timeoutMs: number): Promise<CodeServerLib.CodeServer> {
  if (shared.server) {
    const server = await shared.server.catch(() => undefined);
    // it answers, or it is started again (a crash must not fail every suite after it)
    const up = server ? await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false) : false;
    if (server && up) return server;
    await server?.stop().catch(() => undefined);
    shared.server = undefined;
  }
  const starting = cs.startCodeServer({ logFile: path.join(ARTIFACTS, 'logs', 'ui-code-server.log'), startTimeoutMs: timeoutMs });
  shared.server = starting;
  starting.catch(() => {
    if (shared.server === starting) shared.server = undefined; // the next suite tries again
  });
  return starting;
}

async function sharedBrowser(timeoutMs: number): Promise<CodeServerLib.LaunchedBrowser> {
  if (shared.browser) {
    const b = await shared.browser.catch(() => undefined);
    if (b?.browser.isConnected()) return b;
    await b?.close().catch(() => undefined);
    shared.browser = undefined;
  }
  const launching = cs.launchBrowser({ timeoutMs });
  shared.browser = launching;
  launching.catch(() => {
    if (shared.browser === launching) shared.browser = undefined;
  });
  return launching;
}

/** Stops the shared code-server and Chromium (after the run; a later start() starts them again). */
export async function stopShared(): Promise<void> {
  const { server, browser } = shared;
  shared.server = undefined;
  shared.browser = undefined;
  await (await browser?.catch(() => undefined))?.close();
  await (await server?.catch(() => undefined))?.stop();
}

export class Workbench {
  /** the code-server this workbench started (stop() stops it); undefined on the shared one or another's */
  private server?: CodeServerLib.CodeServer;
  /** the server whose logs hold this window's extension log, and the sizes of those logs' files before the window opened */
  private logsOf?: { server: CodeServerLib.CodeServer; before: Map<string, number> };
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

  /**
   * Opens `workspaceFolder` with the extension loaded in a new window (a fresh browser context) on the
   * run's shared code-server, or on one of its own with `settings` or `ownServer` (started here).
   */
  async start(workspaceFolder: string, timeoutMs = 90000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    cs.exitOnSignals(); // Ctrl+C still stops code-server and Chromium
    const devPath = path.resolve(this.options.extensionDevelopmentPath ?? extensionDevelopmentPath());
    let server: CodeServerLib.CodeServer;
    if (this.options.settings || this.options.ownServer) {
      server = this.server = await cs.startCodeServer({
        logFile: path.join(ARTIFACTS, 'logs', `ui-${this.name}-code-server.log`),
        settings: this.options.settings,
        startTimeoutMs: left(),
      });
    } else {
      server = await sharedServer(left());
    }
    const logs = path.join(server.userDataDir, 'logs');
    this.logsOf = { server, before: new Map((fs.existsSync(logs) ? findFiles(logs, () => true) : []).map((f) => [f, fs.statSync(f).size])) };
    await this.open(cs.workbenchUrl(server, { folder: workspaceFolder, extensionDevelopmentPaths: [devPath] }), left());
    // how long each suite waited for its workbench (the first one also starts the shared server and browser)
    const took = timeoutMs - (deadline - Date.now());
    fs.mkdirSync(path.join(ARTIFACTS, 'logs'), { recursive: true });
    fs.appendFileSync(path.join(ARTIFACTS, 'logs', 'ui-workbench-start.log'), `${new Date().toISOString()} ${this.name}: ${took} ms${this.server ? ' (its own server)' : ''}\n`);
  }

  /**
   * Opens a workbench URL (served by start()'s code-server, or by someone else: e.g. `npm start`'s) in a
   * fresh browser context of the shared Chromium and waits until the Explorer shows the folder and the
   * extension's contributions are in. stop() then closes that context (and a server start() started).
   */
  async open(url: string, timeoutMs = 90000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    cs.exitOnSignals();
    const chromium = await sharedBrowser(left());
    this.browser = await chromium.newPage(this.options.viewport ? { viewport: this.options.viewport } : {});
    const page = this.browser.page;
    page.setDefaultTimeout(DEFAULT_TIMEOUT);
    page.on('console', (m) => {
      // errors, warnings, and what webview frames say about their service worker (a frame that waits
      // for it shows nothing)
      if (m.type() === 'error' || m.type() === 'warning' || /service worker/i.test(m.text())) {
        this.consoleLines.push(`${new Date().toISOString()} [${m.type()}] ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => this.consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(url, { timeout: left() });
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

  /**
   * Closes the window (its page unloads first, so that the server ends its extension host at once
   * rather than keep it for a reconnection) and its browser context, kills the code-server that
   * start() started for it alone, writes the browser console log and the extension's log.
   */
  async stop(): Promise<void> {
    try {
      if (this.consoleLines.length) {
        const log = path.join(ARTIFACTS, 'logs', `ui-${this.name}-browser-console.log`);
        fs.mkdirSync(path.dirname(log), { recursive: true });
        fs.writeFileSync(log, this.consoleLines.join('\n') + '\n');
      }
      const page = this.browser?.page;
      if (page && !page.isClosed()) {
        page.on('dialog', (d) => void d.accept().catch(() => undefined)); // a "leave the page?" question
        await page.goto('about:blank', { timeout: 10000 }).catch(() => undefined);
      }
      // the extension's own log (its output channel), kept beside the browser's: what was written
      // since this window opened (on the shared server, the earlier windows' lines are there too)
      const logs = this.logsOf ? path.join(this.logsOf.server.userDataDir, 'logs') : undefined;
      const before = this.logsOf?.before ?? new Map<string, number>();
      const ours = logs && fs.existsSync(logs) ? findFiles(logs, (f) => /Model Versions\.log$/.test(f)) : [];
      const text = ours.map((f) => fs.readFileSync(f).subarray(before.get(f) ?? 0).toString('utf8')).filter((t) => t.length > 0);
      if (text.length) {
        const log = path.join(ARTIFACTS, 'logs', `ui-${this.name}-extension.log`);
        fs.mkdirSync(path.dirname(log), { recursive: true });
        fs.writeFileSync(log, text.join('\n'));
      }
    } finally {
      await this.browser?.close();
      await this.server?.stop();
      this.browser = undefined;
      this.server = undefined;
      this.logsOf = undefined;
    }
  }

  /** Runs a command from the palette (F1) by its full title, e.g. 'Model Versions: Focus on Model Versions View'. */
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

  /**
   * Focuses the Model Versions view (in its own side-bar container, package.json
   * contributes.viewsContainers.activitybar) through its generated focus command.
   */
  async focusModelVersionsView(timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
    await this.runPaletteCommand('Model Versions: Focus on Model Versions View', timeoutMs);
    const pane = this.viewPane('Model Versions');
    await pane.waitFor({ state: 'visible', timeout: timeoutMs });
    return pane;
  }

  /** The activity-bar entry of the Model Versions container (its icon, media/model.svg). */
  modelVersionsActivityBarItem(): Locator {
    return this.page.locator('.part.activitybar .action-item a.action-label[aria-label^="Model Versions"]').first();
  }

  /**
   * Clicks the Model Versions icon in the activity bar, as a user does, and waits until the side bar
   * shows the container (its title) and the Model Versions pane. Returns the pane.
   */
  async openModelVersionsContainer(timeoutMs = DEFAULT_TIMEOUT): Promise<Locator> {
    const page = this.page;
    await page.keyboard.press('Escape');
    const title = page.locator('.part.sidebar .composite.title', { hasText: /model versions/i });
    const item = this.modelVersionsActivityBarItem();
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    // a click on the icon of the container that is showing hides the side bar
    if (!(await title.isVisible())) await item.click();
    await title.waitFor({ state: 'visible', timeout: timeoutMs });
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

  /** Shows the Explorer side bar (Ctrl+Shift+E). */
  async openExplorerView(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+E');
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** A row of a view's tree, by its label (exactly). */
  treeRow(viewName: string, label: string): Locator {
    const page = this.page;
    return this.viewPane(viewName)
      .locator('.pane-body .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exactly(label) }) })
      .first();
  }

  /** The description (the grey text after the label) of a visible tree row; '' when it has none. */
  async treeRowDescription(viewName: string, label: string): Promise<string> {
    const d = this.treeRow(viewName, label).locator('.label-description').first();
    return (await d.count()) ? ((await d.textContent()) ?? '').trim() : '';
  }

  /**
   * Waits until a row with `label` shows in the view's tree and, with `description`, until its
   * description matches; returns the description. The error says what the tree showed.
   */
  async waitForTreeRow(
    viewName: string,
    label: string,
    opts: { description?: RegExp | string; timeoutMs?: number } = {},
  ): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const want = opts.description;
    const matches = (d: string) => want === undefined || (typeof want === 'string' ? d.includes(want) : want.test(d));
    const row = this.treeRow(viewName, label);
    const deadline = Date.now() + timeoutMs;
    let desc = '';
    for (;;) {
      if (await row.isVisible()) {
        desc = await this.treeRowDescription(viewName, label).catch(() => '');
        if (matches(desc)) return desc;
      }
      if (Date.now() > deadline) {
        const rows = await this.readTree(viewName, { timeoutMs: 1 }).catch(() => [] as string[]);
        throw new Error(
          `no row '${label}'${want !== undefined ? ` with a description matching ${String(want)} (last: '${desc}')` : ''} ` +
            `in ${viewName} after ${timeoutMs} ms; rows: ${rows.join(' | ') || '(none)'}`,
        );
      }
      await sleep(200);
    }
  }

  /** Expands a collapsible tree row (no-op when it is already expanded) and waits until it is. */
  async expandTreeRow(viewName: string, label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const row = this.treeRow(viewName, label);
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const expanded = await row.getAttribute('aria-expanded');
      if (expanded === 'true') return;
      if (expanded === 'false') await row.locator('.monaco-tl-twistie').click();
      if (Date.now() > deadline) throw new Error(`could not expand '${label}' in ${viewName} (aria-expanded=${expanded})`);
      await sleep(200);
    }
  }

  /**
   * Right-clicks a tree row (a view's context menu: view/item/context) and returns the menu's
   * labels; the menu stays open. With `waitForItem`, retries until the menu has that entry.
   */
  async rightClickTreeRow(
    viewName: string,
    label: string,
    opts: { waitForItem?: string; timeoutMs?: number } = {},
  ): Promise<string[]> {
    return this.rightClick(this.treeRow(viewName, label), opts);
  }

  /** Right-clicks a tree row and picks a context-menu entry (retrying until it shows). */
  async pickTreeContextMenuItem(viewName: string, rowLabel: string, itemLabel: string, timeoutMs = 15000): Promise<void> {
    const labels = await this.rightClickTreeRow(viewName, rowLabel, { waitForItem: itemLabel, timeoutMs });
    if (!labels.includes(itemLabel)) {
      await this.closeMenu();
      throw new Error(`the context menu of '${rowLabel}' in ${viewName} has no '${itemLabel}': ${labels.join(' | ')}`);
    }
    await this.clickContextMenuItem(itemLabel);
  }

  /**
   * Answers an input box (vscode.window.showInputBox): waits until it shows (with a title matching
   * `title`, when given), replaces its value with `text` (undefined: keeps the proposed value) and
   * presses Enter; waits until that box is gone (hidden, or replaced by the next box with another
   * title). Returns the title and the value the box proposed.
   */
  async fillInputBox(
    text: string | undefined,
    opts: { title?: RegExp | string; timeoutMs?: number } = {},
  ): Promise<{ title: string; proposed: string }> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const page = this.page;
    const widget = page.locator('.quick-input-widget');
    const titleEl = widget.locator('.quick-input-title');
    const input = widget.locator('.quick-input-box input');
    const titleOk = (t: string) =>
      opts.title === undefined || (typeof opts.title === 'string' ? t.includes(opts.title) : opts.title.test(t));
    const deadline = Date.now() + timeoutMs;
    let title = '';
    for (;;) {
      if (await widget.isVisible()) {
        title = ((await titleEl.textContent().catch(() => '')) ?? '').trim();
        if (titleOk(title)) break;
      }
      if (Date.now() > deadline) throw new Error(`no input box${opts.title ? ` titled ${String(opts.title)}` : ''} after ${timeoutMs} ms (last title: '${title}')`);
      await sleep(100);
    }
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    const proposed = await input.inputValue();
    if (text !== undefined) await input.fill(text);
    await input.press('Enter');
    for (;;) {
      const visible = await widget.isVisible();
      const now = visible ? ((await titleEl.textContent().catch(() => '')) ?? '').trim() : '';
      if (!visible || now !== title) return { title, proposed };
      if (Date.now() > deadline) {
        const message = ((await widget.locator('.quick-input-message').textContent().catch(() => '')) ?? '').trim();
        throw new Error(`the input box '${title}' did not close after Enter${message ? `: ${message}` : ''}`);
      }
      await sleep(100);
    }
  }

  /** The open dialog (a modal showInformationMessage/showWarningMessage): its text. */
  async dialogText(timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: timeoutMs });
    return ((await dialog.locator('.dialog-message-row').textContent()) ?? '').trim();
  }

  /** Clicks a button of the open modal dialog by its label and waits until the dialog closes. */
  async clickDialogButton(label: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: timeoutMs });
    const button = dialog.locator('.dialog-buttons .monaco-button', { hasText: exactly(label) }).first();
    await button.click({ timeout: timeoutMs });
    await dialog.waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Waits until a notification toast whose message matches `text` shows; returns its message. */
  async waitForNotification(text: RegExp | string, timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast .notification-list-item-message', {
      hasText: text,
    });
    await toast.first().waitFor({ state: 'visible', timeout: timeoutMs });
    // Toasts fade in; for screenshots wait for the end of the animation (cosmetic: at most 2 s).
    await this.page
      .locator('.notifications-toasts .notification-toast-container.notification-fade-in-done', { hasText: text })
      .first()
      .waitFor({ state: 'visible', timeout: 2000 })
      .catch(() => undefined);
    return ((await toast.first().textContent()) ?? '').trim();
  }

  /** Collapses a side-bar pane by its title (no-op when it is collapsed already). */
  async collapseViewPane(viewName: string): Promise<void> {
    const header = this.viewPane(viewName).locator('.pane-header').first();
    await header.waitFor({ state: 'visible', timeout: DEFAULT_TIMEOUT });
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    await this.page.waitForFunction(
      (el) => el?.getAttribute('aria-expanded') === 'false',
      await header.elementHandle(),
      { timeout: 5000 },
    );
  }

  /**
   * Drags the side bar's edge `px` pixels to the right, so that tree rows show their whole
   * descriptions in screenshots. Cosmetic: returns the new width and never throws.
   */
  async widenSideBar(px: number): Promise<number | undefined> {
    const page = this.page;
    try {
      const box = await page.locator('.part.sidebar').boundingBox();
      if (!box) return undefined;
      const x = box.x + box.width;
      const y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + px / 2, y, { steps: 5 });
      await page.mouse.move(x + px, y, { steps: 5 });
      await page.mouse.up();
      return (await page.locator('.part.sidebar').boundingBox())?.width;
    } catch {
      return undefined;
    }
  }

  /** The text of a view's welcome content (viewsWelcome), or '' when none shows. */
  async viewWelcomeText(viewName: string, timeoutMs = DEFAULT_TIMEOUT): Promise<string> {
    const welcome = this.viewPane(viewName).locator('.pane-body .welcome-view-content');
    await welcome.waitFor({ state: 'visible', timeout: timeoutMs });
    return ((await welcome.innerText()) ?? '').trim();
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
    return this.rightClick(this.explorerItem(name), opts);
  }

  /** Right-clicks `target` (see rightClickExplorerItem); the menu stays open. */
  private async rightClick(target: Locator, opts: { waitForItem?: string; timeoutMs?: number } = {}): Promise<string[]> {
    const timeoutMs = opts.timeoutMs ?? 15000;
    await target.waitFor({ state: 'visible', timeout: DEFAULT_TIMEOUT });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await target.click({ button: 'right' });
      const labels = await this.contextMenuLabels();
      if (!opts.waitForItem || labels.includes(opts.waitForItem) || Date.now() > deadline) {
        // Let the menu finish fading in (screenshots) and arm its entries (see clickContextMenuItem).
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
    await this.clickContextMenuItem(itemLabel);
  }

  /** Clicks an entry of the open context menu (opened by rightClickExplorerItem / rightClickTreeRow). */
  async clickContextMenuItem(itemLabel: string): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu').last();
    const entry = menu.locator('.action-item a.action-menu-item', { hasText: exactly(itemLabel) }).first();
    // VS Code's menu items start listening for mouse-up only 100 ms after they render (Menu's
    // runOnceToEnableMouseUp), so a click right after the menu opens is ignored and the menu stays;
    // the right-click helpers have waited MENU_ARM_MS.
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
  /** The webview frame whose document has `selector` (polls). */
  async frameWith(selector: string, timeoutMs = 60000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
      }
      if (Date.now() > deadline) throw new Error(`no webview frame has ${selector} after ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /**
   * Drags the sash above a side-bar pane `px` pixels up, so that the pane gets the room (cosmetic:
   * for screenshots; never throws).
   */
  async growPaneUp(viewName: string, px: number): Promise<void> {
    try {
      await sleep(500);
      const header = await this.viewPane(viewName).locator('.pane-header').first().boundingBox();
      if (!header) return;
      for (const sash of await this.page.locator('.part.sidebar .monaco-sash.horizontal').all()) {
        const box = await sash.boundingBox();
        if (!box || Math.abs(box.y + box.height / 2 - header.y) > 6) continue;
        const x = header.x + header.width / 2;
        const y = box.y + box.height / 2;
        await this.page.mouse.move(x, y);
        await this.page.mouse.down();
        await this.page.mouse.move(x, y - px / 2, { steps: 5 });
        await this.page.mouse.move(x, y - px, { steps: 5 });
        await this.page.mouse.up();
        return;
      }
    } catch {
      // cosmetic
    }
  }

  /**
   * Answers a single-choice quick pick whose title matches `title`: types `filter` and clicks the
   * row whose label is exactly `label`; waits until that pick is gone.
   */
  async pickQuickPick(title: RegExp, filter: string, label: string, timeoutMs = 30000): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const titleEl = widget.locator('.quick-input-title');
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    for (;;) {
      if (await widget.isVisible()) {
        seen = ((await titleEl.textContent().catch(() => '')) ?? '').trim();
        if (title.test(seen)) break;
      }
      if (Date.now() > deadline) throw new Error(`no quick pick titled ${String(title)} after ${timeoutMs} ms (last title: '${seen}')`);
      await sleep(100);
    }
    await widget.locator('.quick-input-box input').fill(filter);
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    for (;;) {
      const labels = await rows.evaluateAll((els) => els.map((el) => (el.querySelector('.label-name') ?? el).textContent?.trim() ?? ''));
      const i = labels.indexOf(label);
      if (i >= 0) {
        await rows.nth(i).click();
        break;
      }
      if (Date.now() > deadline) throw new Error(`the quick pick '${seen}' has no row '${label}': ${labels.join(' | ')}`);
      await sleep(100);
    }
    for (;;) {
      const visible = await widget.isVisible();
      const now = visible ? ((await titleEl.textContent().catch(() => '')) ?? '').trim() : '';
      if (!visible || now !== seen) return;
      if (Date.now() > deadline) throw new Error(`the quick pick '${seen}' did not close`);
      await sleep(100);
    }
  }

  /** Marks every webview page open now, so that a page loaded later (unmarked) can be told apart. */
  async markWebviewPages(): Promise<void> {
    for (const f of this.page.frames()) {
      if (f !== this.page.mainFrame()) await f.evaluate(() => document.body?.setAttribute('data-test-old-page', '')).catch(() => undefined);
    }
  }

  /**
   * Waits for a webview page loaded since markWebviewPages() in which `selector` matches and returns its
   * text content (not innerText, which is empty for the screen-reader-only lists: Chromium leaves out
   * text clipped to a 1 px box); fails after `limitMs` from `since`, saying what the pages show (the loading line or an alert).
   */
  async textInNewWebviewPage(selector: string, since: number, limitMs: number): Promise<string> {
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        const text = await f
          .evaluate((sel) => (document.body && !document.body.hasAttribute('data-test-old-page') ? document.querySelector(sel)?.textContent?.trim() : undefined), selector)
          .catch(() => undefined);
        if (text) return text;
      }
      if (Date.now() - since > limitMs) {
        const shown = await this.readWebviewText('#mv-alert:not([hidden]), #mv-status', 1000).catch(() => 'nothing');
        throw new Error(`no reloaded page showed ${selector} within ${limitMs} ms (the pages show: ${shown})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

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

  /**
   * What the webview frames are doing, for failure messages: each webview host frame (pre/index.html)
   * with its id, the service worker that controls it, and whether it has made its content frame.
   */
  async webviewFrames(): Promise<string> {
    const lines: string[] = [];
    for (const frame of this.page.frames()) {
      const url = frame.url();
      if (!/\/pre\/index\.html/.test(url)) continue;
      const id = /[?&]id=([^&]+)/.exec(url)?.[1] ?? '?';
      const state = await frame
        .evaluate(() => {
          const c = navigator.serviceWorker?.controller?.scriptURL ?? 'none';
          const inner = document.querySelectorAll('iframe');
          return `controller ${/[?&]id=([^&]+)/.exec(c)?.[1] ?? c}; content frames ${inner.length}`;
        })
        .catch((e: Error) => `(${e.message.split('\n')[0]})`);
      lines.push(`${id}: ${state}`);
    }
    return lines.join('; ') || 'no webview frames';
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

/** The files under `dir` (recursively) whose path satisfies `ok`. */
function findFiles(dir: string, ok: (file: string) => boolean): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) found.push(...findFiles(p, ok));
    else if (ok(p)) found.push(p);
  }
  return found;
}

/** A UI suite's workbench and workspace, set by the hooks that `workbenchSuite` registers. */
export interface WorkbenchSuite {
  wb: Workbench;
  workspace: string;
}

/**
 * Registers the hooks every UI suite needs (call it inside `describe`): prepare a workspace folder,
 * start a workbench on it; a screenshot of each failing test; stop the workbench and remove the folder.
 */
export function workbenchSuite(
  name: string,
  prepare: () => string | Promise<string>,
  timeoutMs = 120000,
  options: Omit<WorkbenchOptions, 'name'> = {},
): WorkbenchSuite {
  const s = {} as WorkbenchSuite;
  before(async function () {
    this.timeout(timeoutMs);
    s.workspace = await prepare();
    s.wb = new Workbench({ ...options, name });
    await s.wb.start(s.workspace);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await s.wb?.screenshotOnFailure(this.currentTest.fullTitle());
  });
  after(async function () {
    this.timeout(30000);
    await s.wb?.stop();
    if (s.workspace) removeWorkspace(s.workspace);
  });
  return s;
}
