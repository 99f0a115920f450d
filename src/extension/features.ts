/**
 * The commands whose code loads when one of them first runs (issue #12: activating the extension must
 * stay cheap). Each feature's module — its commands, panels and the core code behind them (readers,
 * diff, evaluation, metrics, lineage) — is imported here with `import()`, which esbuild.js turns into a
 * file of its own in dist/ that Node requires on first use; activation loads only the tree, the Version
 * Details view, the model viewer and the registrations. The ids each module serves are listed here, so
 * that the commands are registered (Command Palette, menus) before their module is loaded;
 * registerLazyCommands checks that the module registers exactly these.
 */
import type * as vscode from 'vscode';
import { COMMAND } from './commands/ids';
import { registerLazyCommands } from './commands/register';
import type { DiffTestHook } from './diff/diffPanel';
import type { EvaluateTestHook } from './evaluate/evaluateCommands';
import type { ModelsTreeNode, ModelsTreeProvider } from './models/modelsTree';
import type { RepoManager } from './repos/repoManager';

/** Each feature module's commands. */
export const FEATURE_COMMANDS = {
  models: [
    COMMAND.commitModel,
    COMMAND.tagModel,
    COMMAND.setAlias,
    COMMAND.removeAlias,
    COMMAND.openVersion,
    COMMAND.restoreVersion,
    COMMAND.revertToVersion,
    COMMAND.promoteVersion,
    COMMAND.copyCommitId,
    COMMAND.copyOid,
    COMMAND.push,
    COMMAND.fetch,
    COMMAND.initRepository,
    COMMAND.showLfsHelp,
  ],
  diff: [COMMAND.compareWithPrevious, COMMAND.compareWith, COMMAND.compareSelected, COMMAND.openModelChanges, COMMAND.openTimelineChanges, COMMAND.compareFiles],
  evaluate: [COMMAND.compareModels, COMMAND.exportComparison, COMMAND.evaluateVersion, COMMAND.crossValidate],
  lineage: [COMMAND.showLineage],
  history: [COMMAND.showMetricHistory],
  merge: [COMMAND.openModelMerge],
  find: [COMMAND.findVersions, COMMAND.clearFilter],
  share: [COMMAND.copyPermalink, COMMAND.exportModelCard, COMMAND.exportVersion],
  production: [COMMAND.abTest, COMMAND.monitorVersions],
} as const;

/** The test hooks of the lazily loaded features: answer "nothing yet" until their module is loaded. */
export interface FeatureTestHooks {
  diff: DiffTestHook;
  evaluate: EvaluateTestHook;
}

export function registerFeatures(
  context: vscode.ExtensionContext,
  repos: RepoManager,
  view: vscode.TreeView<ModelsTreeNode>,
  models: ModelsTreeProvider,
): FeatureTestHooks {
  let diff: DiffTestHook | undefined;
  let evaluate: EvaluateTestHook | undefined;
  registerLazyCommands(context, FEATURE_COMMANDS.models, async () => {
    const m = await import('./commands/modelCommands.js');
    return (command) => m.modelCommands(command, context, repos);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.diff, async () => {
    const m = await import('./diff/diffPanel.js');
    return (command) => (diff = m.diffCommands(command, context, repos, view));
  });
  registerLazyCommands(context, FEATURE_COMMANDS.evaluate, async () => {
    const m = await import('./evaluate/evaluateCommands.js');
    return (command) => (evaluate = m.evaluateCommands(command, context, repos, view));
  });
  registerLazyCommands(context, FEATURE_COMMANDS.lineage, async () => {
    const m = await import('./lineage/lineagePanel.js');
    return (command) => m.lineageCommands(command, context, repos, view);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.history, async () => {
    const m = await import('./history/historyPanel.js');
    return (command) => m.historyCommands(command, context, repos, view, models);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.merge, async () => {
    const m = await import('./merge/mergePanel.js');
    return (command) => m.mergeCommands(command, context, repos, view);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.find, async () => {
    const m = await import('./find/findCommands.js');
    return (command) => m.findCommands(command, context, repos, view, models);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.share, async () => {
    const m = await import('./share/shareCommands.js');
    return (command) => m.shareCommands(command, context, repos);
  });
  registerLazyCommands(context, FEATURE_COMMANDS.production, async () => {
    const m = await import('./production/productionCommands.js');
    return (command) => m.productionCommands(command, context, repos, models);
  });
  return {
    diff: { panelsOpened: () => diff?.panelsOpened() ?? 0 },
    evaluate: {
      hostPids: () => evaluate?.hostPids() ?? [],
      rowsDone: () => evaluate?.rowsDone() ?? 0,
      errors: () => evaluate?.errors() ?? [],
    },
  };
}
