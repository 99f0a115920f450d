/**
 * The A/B Test panel (issue #13): the decision first, the variants, the cumulative lift over time with
 * its 95 % band, the sample-ratio check, and the action that follows — move the production alias to
 * the winner (or keep it) — and recording the result in the version's notes like an evaluation. The
 * log is read by the CLI in a child process (./cliProcess.ts), never in the extension host.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { ModelRepository } from '../../core/repo';
import type { AbTestHostMessage, AbTestReportJson, AbTestView, AbTestWebviewMessage } from '../../shared/abtestProtocol';
import { log } from '../log';
import type { ModelsTreeProvider } from '../models/modelsTree';
import type { RepoManager } from '../repos/repoManager';
import type { RequestHandlers } from '../webview/channel';
import { PanelRegistry, WebviewPanelHost } from '../webview/panel';
import { aliasState, moveAlias } from './aliasActions';
import { winnerOf } from './alerts';
import { cliScript, runCliJson } from './cliProcess';

export interface AbTestInput {
  repo: ModelRepository;
  model: string;
  log: string;
  outcomes?: string;
  /** the declared split (v2=50,v3=50) */
  split?: string;
}

const versionNumber = (label: string | undefined) => (label && /^v\d+$/.test(label) ? Number(label.slice(1)) : undefined);

export class AbTestPanel extends WebviewPanelHost<AbTestHostMessage, AbTestWebviewMessage> {
  private static readonly registry = new PanelRegistry<AbTestPanel>({ viewType: 'modelVersions.abTest', script: 'abtest.js', styles: ['production.css'], retainContextWhenHidden: true });
  view: AbTestView | undefined;

  static async show(context: vscode.ExtensionContext, repos: RepoManager, models: ModelsTreeProvider, input: AbTestInput): Promise<AbTestView | undefined> {
    const title = `A/B Test: ${path.posix.basename(input.model)}`;
    const key = [input.repo.root, input.model, input.log, input.outcomes ?? ''].join('\u0000');
    const { host } = AbTestPanel.registry.open(key, context.extensionUri, { title }, (panel) => new AbTestPanel(panel, context, repos, models, input, title));
    return host.load();
  }

  static panels(): AbTestPanel[] {
    return AbTestPanel.registry.all();
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly repos: RepoManager,
    private readonly models: ModelsTreeProvider,
    private readonly input: AbTestInput,
    private readonly title: string,
  ) {
    super(panel, context.extensionUri, AbTestPanel.registry.kind);
  }

  private get alias(): string {
    return vscode.workspace.getConfiguration('modelVersions.monitor').get<string>('alias') || 'production';
  }

  private get source(): string {
    return [this.input.log, this.input.outcomes].filter(Boolean).map((f) => path.basename(f!)).join(' + ');
  }

  protected handlers(): RequestHandlers<AbTestWebviewMessage, AbTestHostMessage> {
    return {
      refresh: async () => {
        await this.load();
      },
      setAlias: async (m) => {
        const n = versionNumber(m.version);
        if (n === undefined || !this.view) return;
        const done = await moveAlias(this.repos, this.models, this.input.repo, this.input.model, this.alias, n, `A/B test: ${this.view.report.decision}`);
        if (!done) return;
        await this.load();
        return { type: 'done', message: `Done: ${done}.` };
      },
      recordNotes: async () => {
        const v = this.view;
        const n = versionNumber(v?.recordTo);
        if (!v || n === undefined) return;
        const r = v.report;
        const key = `${path.basename(this.input.log)} ${r.from} … ${r.to}`;
        await this.input.repo.addMetadata(this.input.model, n, {
          abtests: {
            [key]: {
              log: path.basename(this.input.log),
              ...(this.input.outcomes ? { outcomes: path.basename(this.input.outcomes) } : {}),
              metric: r.metric,
              from: r.from,
              to: r.to,
              decision: r.decision,
              variants: r.variants.map((x) => ({ version: x.label, exposures: x.exposures, withOutcome: x.withOutcome, mean: x.mean })),
              comparisons: r.comparisons.map((c) => ({ control: c.control, treatment: c.treatment, diff: c.diff, ci95: c.diffCI, p: c.p, alwaysValidP: c.alwaysValidP, test: c.test })),
              srm: { p: r.srm.p, mismatch: r.srm.mismatch, text: r.srm.text },
              date: new Date().toISOString(),
            },
          },
        });
        this.repos.refresh();
        return { type: 'done', message: `Recorded in the notes of ${this.input.model} v${n}.` };
      },
    };
  }

  /** Runs `modelver abtest --json` and shows its report. */
  async load(): Promise<AbTestView | undefined> {
    if (!this.view) this.post({ type: 'loading', title: this.title, source: this.source });
    const base = ['abtest', '--json', '--log', this.input.log, ...(this.input.outcomes ? ['--outcomes', this.input.outcomes] : []), ...(this.input.split ? ['--split', this.input.split] : []), '-C', this.input.repo.root];
    const script = cliScript(this.context.extensionPath);
    try {
      let report: AbTestReportJson;
      try {
        report = await runCliJson<AbTestReportJson>(script, base, this.input.repo.root);
      } catch (e) {
        // a log of several models: the one this panel is for
        if (!/--model/.test((e as Error).message)) throw e;
        report = await runCliJson<AbTestReportJson>(script, [...base, '--model', this.input.model], this.input.repo.root);
      }
      const alias = this.alias;
      const state = await aliasState(this.input.repo, this.input.model, alias).catch(() => ({ current: undefined }));
      const winner = winnerOf(report);
      const view: AbTestView = {
        title: this.title,
        source: this.source,
        report,
        action: { alias, ...(state.current !== undefined ? { current: `v${state.current}` } : {}), ...(winner ? { winner } : {}) },
        ...((winner ?? report.comparisons[0]?.treatment) && versionNumber(winner ?? report.comparisons[0]?.treatment) !== undefined ? { recordTo: winner ?? report.comparisons[0]?.treatment } : {}),
      };
      this.view = view;
      this.post({ type: 'report', view });
      log().info(`A/B test ${this.input.model}: ${report.decision}`);
      return view;
    } catch (e) {
      const message = (e as Error).message;
      log().error(`A/B test ${this.input.model}: ${message}`);
      this.view = undefined;
      this.post({ type: 'error', title: this.title, message, hint: 'The log schema is in docs/production.md (timestamp, model, version, request_id, outcome, …). Output › Model Versions has the command that ran.' });
      return undefined;
    }
  }
}
