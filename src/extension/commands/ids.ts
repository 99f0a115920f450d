/**
 * Every command the extension registers, by one name each: the one list. `registerCommand`
 * (./register.ts) takes only these ids, and test/unit/commandIds.test.ts checks that package.json's
 * `contributes.commands` lists exactly these and that every command its menus, keybindings and
 * welcome views name is one of them. No vscode import here, so that test can read it without VS Code.
 */
export const COMMAND = {
  // models and versions (./modelCommands.ts)
  commitModel: 'modelVersions.commitModel',
  tagModel: 'modelVersions.tagModel',
  setAlias: 'modelVersions.setAlias',
  removeAlias: 'modelVersions.removeAlias',
  openVersion: 'modelVersions.openVersion',
  restoreVersion: 'modelVersions.restoreVersion',
  revertToVersion: 'modelVersions.revertToVersion',
  promoteVersion: 'modelVersions.promoteVersion',
  copyCommitId: 'modelVersions.copyCommitId',
  copyOid: 'modelVersions.copyOid',
  push: 'modelVersions.push',
  fetch: 'modelVersions.fetch',
  initRepository: 'modelVersions.initRepository',
  showLfsHelp: 'modelVersions.showLfsHelp',
  // the tree and the model summary (../extension.ts)
  refresh: 'modelVersions.refresh',
  inspectModel: 'modelVersions.inspectModel',
  // the diff panel (../diff/diffPanel.ts)
  compareWithPrevious: 'modelVersions.compareWithPrevious',
  compareWith: 'modelVersions.compareWith',
  compareSelected: 'modelVersions.compareSelected',
  compareFiles: 'modelVersions.compareFiles',
  openModelChanges: 'modelVersions.openModelChanges',
  openTimelineChanges: 'modelVersions.openTimelineChanges',
  // evaluation (../evaluate/evaluateCommands.ts)
  compareModels: 'modelVersions.compareModels',
  evaluateVersion: 'modelVersions.evaluateVersion',
  exportComparison: 'modelVersions.exportComparison',
  crossValidate: 'modelVersions.crossValidate',
  // history and lineage panels (../history/historyPanel.ts, ../lineage/lineagePanel.ts)
  showMetricHistory: 'modelVersions.showMetricHistory',
  showLineage: 'modelVersions.showLineage',
  // model merge conflicts (../merge/mergePanel.ts)
  openModelMerge: 'modelVersions.openModelMerge',
  // the tree's filter (../find/findCommands.ts)
  findVersions: 'modelVersions.findVersions',
  clearFilter: 'modelVersions.clearFilter',
  // sharing a version (../share/shareCommands.ts)
  copyPermalink: 'modelVersions.copyPermalink',
  exportModelCard: 'modelVersions.exportModelCard',
  exportVersion: 'modelVersions.exportVersion',
  // production: A/B tests and monitoring of deployed versions (../production/productionCommands.ts)
  abTest: 'modelVersions.abTest',
  monitorVersions: 'modelVersions.monitorVersions',
} as const;

export type CommandName = keyof typeof COMMAND;
export type CommandId = (typeof COMMAND)[CommandName];

/** Every command id, in the order above. */
export const COMMAND_IDS: readonly CommandId[] = Object.freeze(Object.values(COMMAND));
