/**
 * Metrics recorded at commit time from the extension's "Commit Model Version…" (the CLI's
 * --metric/--metrics): the `Model-Metrics` trailer (docs/storage.md).
 *
 * Callers (tests, other extensions, tasks) pass `metrics` in the command's answers. Interactively the
 * command asks for them only when the model's previous version recorded metrics at commit, so the
 * plain one-prompt commit stays as it is for everyone else.
 */
import * as vscode from 'vscode';
import { formatMetricsTrailer, METRICS_TRAILER, parseMetricList, trailerMetrics } from '../../core/lineage/metricHistory';
import type { ModelRepository } from '../../core/repo';

/**
 * The trailers to record: from `given` (an object or 'accuracy=0.93, f1=0.9'), else by asking when
 * the previous version had metrics. Undefined = the user pressed Escape (do not commit).
 * Throws MetricInputError (with what to fix) on a bad name or value.
 */
export async function commitMetricTrailers(
  repo: ModelRepository,
  rel: string,
  given: Record<string, number> | string | undefined,
  interactive: boolean,
): Promise<Record<string, string> | undefined> {
  let metrics: Record<string, number> = {};
  if (given !== undefined) metrics = typeof given === 'string' ? parseMetricList(given) : given;
  else if (interactive) {
    const asked = await askMetrics(repo, rel);
    if (asked === undefined) return undefined;
    metrics = asked;
  }
  return Object.keys(metrics).length ? { [METRICS_TRAILER]: formatMetricsTrailer(metrics) } : {};
}

async function askMetrics(repo: ModelRepository, rel: string): Promise<Record<string, number> | undefined> {
  const prev = await repo
    .history(rel)
    .then((h) => h.versions[h.versions.length - 1])
    .catch(() => undefined);
  const before = prev ? trailerMetrics(prev.message, prev.trailers) : {};
  if (!prev || !Object.keys(before).length) return {};
  const text = await vscode.window.showInputBox({
    title: `Metrics of the new version of ${rel} (optional)`,
    prompt: `v${prev.version} recorded ${formatMetricsTrailer(before)}. Give this version's as name=value, separated by commas — or leave it empty to record none.`,
    placeHolder: Object.keys(before).map((k) => `${k}=…`).join(', '),
    validateInput: (s) => {
      try {
        parseMetricList(s);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
    ignoreFocusOut: true,
  });
  return text === undefined ? undefined : parseMetricList(text);
}
