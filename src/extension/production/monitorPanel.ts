/**
 * The Monitor panel (issue #13): follows a growing prediction log through `modelver monitor --follow
 * --json` in a child process (killed when the panel closes) and shows each report: per version the
 * traffic, latency and accuracy, the feature drift of the latest window and of the whole log against
 * the thresholds of the settings (modelVersions.monitor.*), and the alerts. A new alert puts a warning
 * in the status bar and a notification that offers to roll the production alias back to the version
 * it pointed at before (the alias log), after a confirmation.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelRepository } from '../../core/repo';
import type { MonitorHostMessage, MonitorReportJson, MonitorView, MonitorWebviewMessage } from '../../shared/monitorProtocol';
import { COMMAND } from '../commands/ids';
import { log } from '../log';
import type { ModelsTreeProvider } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { aliasState, moveAlias } from './aliasActions';
import { currentAlerts } from './alerts';
import { cliScript, followCli, type Follower } from './cliProcess';

export interface MonitorInput {
  repo: ModelRepository;
  model: string;
  log: string;
  outcomes?: string;
  /** the reference data file; default: each version's training data from its lineage */
  reference?: string;
}

export class MonitorPanel extends WebviewPanelHost<MonitorHostMessage, MonitorWebviewMessage> {
  private static readonly registry = new PanelRegistry<MonitorPanel>({ viewType: 'modelVersions.monitor', script: 'monitor.js', styles: ['production.css'], retainContextWhenHidden: true });
  private follower: Follower | undefined;
  private readonly seen = new Set<string>();
  private readonly status: vscode.StatusBarItem;
  private updates = 0;
  private withModel = false;
  view: MonitorView | undefined;
  private rollback: MonitorView['rollback'];

  static show(context: vscode.ExtensionContext, repos: RepoManager, models: ModelsTreeProvider, input: MonitorInput): MonitorPanel {
    const title = `Monitor: ${path.posix.basename(input.model)}`;
    const key = [input.repo.root, input.model, input.log].join('\u0000');
    const { host, created } = MonitorPanel.registry.open(key, context.extensionUri, { title }, (panel) => new MonitorPanel(panel, context, repos, models, input, title));
    if (created) host.start();
    return host;
  }

  static panels(): MonitorPanel[] {
    return MonitorPanel.registry.all();
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly repos: RepoManager,
    private readonly models: ModelsTreeProvider,
    private readonly input: MonitorInput,
    private readonly title: string,
  ) {
    super(panel, context.extensionUri, MonitorPanel.registry.kind);
    this.status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
    this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.own(this.status, { dispose: () => this.stop() }, repos.onDidChange(() => void this.refreshRollback()));
  }

  /** The follower's pid (tests). */
  get pid(): number | undefined {
    return this.follower?.pid;
  }

  private get settings() {
    const c = vscode.workspace.getConfiguration('modelVersions.monitor');
    return {
      psi: c.get<number>('psiThreshold', 0.2),
      ks: c.get<number>('ksThreshold', 0.1),
      minAccuracy: c.get<number>('minAccuracy', 0),
      window: c.get<string>('window', '1h'),
      alias: c.get<string>('alias', 'production') || 'production',
    };
  }

  private get source(): string {
    return [this.input.log, this.input.outcomes].filter(Boolean).map((f) => path.basename(f!)).join(' + ');
  }

  protected handlers(): RequestHandlers<MonitorWebviewMessage, MonitorHostMessage> {
    return {
      restart: () => {
        this.stop();
        this.start();
      },
      rollback: async () => {
        const done = await this.rollBack();
        if (done) return { type: 'done', message: `Done: ${done}.` };
      },
    };
  }

  private stop(): void {
    this.follower?.stop();
    this.follower = undefined;
  }

  /** Starts following the log (the settings are read now). */
  start(): void {
    const s = this.settings;
    this.post({ type: 'waiting', title: this.title, source: this.source, message: `Reading ${this.source}; new records show here as they are appended.` });
    const args = [
      'monitor', '--follow', '--json', '--log', this.input.log,
      ...(this.input.outcomes ? ['--outcomes', this.input.outcomes] : []),
      ...(this.input.reference ? ['--reference', this.input.reference] : []),
      '--window', s.window, '--psi', String(s.psi), '--ks-d', String(s.ks),
      ...(this.withModel ? ['--model', this.input.model] : []),
      '-C', this.input.repo.root,
    ];
    void this.refreshRollback();
    this.follower = followCli<MonitorReportJson>(cliScript(this.context.extensionPath), args, this.input.repo.root, (r) => this.onReport(r), (error) => {
      this.follower = undefined;
      if (!this.withModel && /--model/.test(error)) {
        this.withModel = true; // a log of several models: the one this panel is for
        this.start();
        return;
      }
      log().error(`monitor ${this.input.model}: ${error}`);
      this.post({ type: 'error', title: this.title, message: error, hint: 'The log schema is in docs/production.md. Fix the log or the settings, then Restart.' });
    });
  }

  /** Bumped by each read of the alias log: a read that a newer one overtook sets nothing. */
  private rollbackReads = 0;

  /**
   * Reads where the alias points and where it pointed before. The read runs beside the follower's
   * first report, and the alias can move while the panel is open (the tree, the A/B panel, a
   * terminal): the report on show is drawn again when the roll-back it offers changed.
   */
  private async refreshRollback(): Promise<void> {
    const read = ++this.rollbackReads;
    const alias = this.settings.alias;
    const st = await aliasState(this.input.repo, this.input.model, alias).catch(() => ({ current: undefined, previous: undefined }));
    if (read !== this.rollbackReads) return;
    const rollback =
      st.current !== undefined && st.previous !== undefined && st.previous !== st.current
        ? { alias, current: `v${st.current}`, previous: `v${st.previous}`, label: `${st.previous < st.current ? 'Roll back' : 'Move'} ${alias}${st.previous < st.current ? '' : ' back'} → v${st.previous}` }
        : undefined;
    const same = JSON.stringify(rollback) === JSON.stringify(this.rollback);
    this.rollback = rollback;
    if (same || !this.view) return;
    const view: MonitorView = { ...this.view };
    delete view.rollback;
    this.view = { ...view, ...(rollback ? { rollback } : {}) };
    log().debug(`monitor ${this.input.model}: ${rollback ? `roll back ${rollback.alias} → ${rollback.previous} (on ${rollback.current})` : `no roll back of ${alias}`}`);
    this.post({ type: 'report', view: this.view });
  }

  private onReport(report: MonitorReportJson): void {
    const s = this.settings;
    this.updates++;
    const view: MonitorView = { title: this.title, source: this.source, report, alerts: currentAlerts(report, s.minAccuracy).map((a) => a.text), minAccuracy: s.minAccuracy, ...(this.rollback ? { rollback: this.rollback } : {}), receivedAt: new Date().toISOString(), updates: this.updates };
    this.view = view;
    this.post({ type: 'report', view });
    const alerts = view.alerts;
    const fresh = currentAlerts(report, s.minAccuracy).filter((a) => !this.seen.has(a.key));
    for (const a of fresh) this.seen.add(a.key);
    if (!alerts.length) {
      this.status.hide();
      return;
    }
    this.status.text = `$(warning) ${path.posix.basename(this.input.model)}: ${alerts.length} alert${alerts.length === 1 ? '' : 's'}`;
    this.status.tooltip = alerts.join('\n');
    this.status.command = { title: 'Show Monitor', command: COMMAND.monitorVersions, arguments: [undefined, { log: this.input.log, outcomes: this.input.outcomes ?? '', reference: this.input.reference ?? '', target: { root: this.input.repo.root, model: this.input.model } }] };
    this.status.show();
    if (!fresh.length) return;
    log().warn(`monitor ${this.input.model}: ${fresh.map((a) => a.text).join('; ')}`);
    const rb = this.rollback;
    const action = rb?.label;
    void vscode.window.showWarningMessage(`Model Versions: ${path.posix.basename(this.input.model)}: ${fresh[0].text}${fresh.length > 1 ? ` (and ${fresh.length - 1} more)` : ''}`, ...(action ? [action] : []), 'Show Monitor').then((picked) => {
      if (picked === action) void this.rollBack();
      else if (picked === 'Show Monitor') this.reveal();
    });
  }

  /** Asks, then moves the alias back to the version it pointed at before. */
  async rollBack(): Promise<string | undefined> {
    await this.refreshRollback();
    const rb = this.rollback;
    if (!rb) {
      void vscode.window.showInformationMessage(`Model Versions: the alias '${this.settings.alias}' of ${this.input.model} has no earlier version to roll back to.`);
      return undefined;
    }
    const done = await moveAlias(this.repos, this.models, this.input.repo, this.input.model, rb.alias, Number(rb.previous.slice(1)), `Monitor: ${this.view?.alerts[0] ?? 'roll back'}`);
    await this.refreshRollback();
    return done;
  }
}
