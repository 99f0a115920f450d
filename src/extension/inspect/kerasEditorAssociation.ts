/**
 * Keras `.h5` / `.hdf5` files open in the Model Summary; other HDF5 files (most are data) stay in
 * VS Code's default editor.
 *
 * package.json registers the Model Summary twice: as `modelVersions.modelViewer` for `*.onnx` and
 * `*.keras` with priority "default", and as `modelVersions.modelViewer.hdf5` (KERAS_EDITOR_VIEW_TYPE,
 * the same editor; the priority belongs to a registration, not to a file pattern) for `*.h5` and
 * `*.hdf5` with priority "option": offered by "Reopen Editor With…" for any of them, it takes none over
 * by itself. This module registers that second view type and watches the tabs that open: when a
 * `.h5` / `.hdf5` file on disk opens in the default editor and it IS a Keras model
 * (src/core/formats/kerasSniff.ts: a few KiB of its HDF5 structure are read), it reopens the file in
 * the Model Summary in the same group, as a preview or pinned tab as the default editor's tab was,
 * and closes that tab.
 *
 * Left as they are:
 *  - a default editor that opens while a Model Summary of the same file is open in its group: that is
 *    "Reopen Editor With… › Text Editor" (VS Code opens the new editor before it closes the old one),
 *    or the user opening both on purpose;
 *  - files `workbench.editorAssociations` gives to another editor;
 *  - other URIs than `file:` (the `git:` sides of diffs).
 * Tabs are decided one at a time, in the order they opened, so once a later file's Model Summary
 * shows, every earlier file has been decided (the integration tests rely on that).
 */
import * as vscode from 'vscode';
import { isKerasModelFile } from '../../core/formats/kerasSniff';
import { ModelMatcher } from '../../core/repo/patterns';
import { log } from '../log';
import { MODEL_EDITOR_VIEW_TYPE } from './inspectPanel';

/** The Model Summary of `.h5` / `.hdf5` files (package.json `customEditors`, priority "option"). */
export const KERAS_EDITOR_VIEW_TYPE = 'modelVersions.modelViewer.hdf5';
const SUMMARY_VIEW_TYPES = [KERAS_EDITOR_VIEW_TYPE, MODEL_EDITOR_VIEW_TYPE];
const HDF5_NAME = /\.(h5|hdf5)$/i;

/** The file a tab shows in VS Code's default (text) editor, when it is a local .h5/.hdf5 file. */
function defaultEditorFile(tab: vscode.Tab): vscode.Uri | undefined {
  const input = tab.input;
  if (!(input instanceof vscode.TabInputText)) return undefined;
  return input.uri.scheme === 'file' && HDF5_NAME.test(input.uri.path) ? input.uri : undefined;
}

function hasModelSummary(group: vscode.TabGroup, uri: vscode.Uri): boolean {
  return group.tabs.some(
    (t) => t.input instanceof vscode.TabInputCustom && SUMMARY_VIEW_TYPES.includes(t.input.viewType) && t.input.uri.toString() === uri.toString(),
  );
}

/** The default editor's tab of `uri` in the group in `column`, if it is still open. */
function findDefaultTab(uri: vscode.Uri, column: vscode.ViewColumn): vscode.Tab | undefined {
  const group = vscode.window.tabGroups.all.find((g) => g.viewColumn === column);
  return group?.tabs.find((t) => defaultEditorFile(t)?.toString() === uri.toString());
}

/** Whether `workbench.editorAssociations` sends this file to an editor other than the Model Summary. */
function associatedElsewhere(uri: vscode.Uri): boolean {
  const assoc = vscode.workspace.getConfiguration('workbench').get<unknown>('editorAssociations');
  if (!assoc || typeof assoc !== 'object' || Array.isArray(assoc)) return false;
  const file = uri.path.replace(/^\/+/, '');
  return Object.entries(assoc as Record<string, unknown>).some(
    ([glob, viewType]) => !SUMMARY_VIEW_TYPES.includes(String(viewType)) && new ModelMatcher([glob]).matches(file),
  );
}

async function reopenIfKeras(uri: vscode.Uri, column: vscode.ViewColumn): Promise<void> {
  if (associatedElsewhere(uri)) return;
  if (!(await isKerasModelFile(uri.fsPath))) {
    log().debug(`${uri.fsPath}: HDF5 but not a Keras model: left in the default editor`);
    return;
  }
  const tab = findDefaultTab(uri, column);
  if (!tab || hasModelSummary(tab.group, uri)) return; // closed or reopened meanwhile
  await vscode.commands.executeCommand('vscode.openWith', uri, KERAS_EDITOR_VIEW_TYPE, {
    viewColumn: column,
    preview: tab.isPreview,
    preserveFocus: !(tab.isActive && tab.group.isActive),
  });
  // a preview Model Summary took the preview tab's place; a pinned one opened beside the pinned tab
  const left = findDefaultTab(uri, column);
  if (left) await vscode.window.tabGroups.close(left, true);
  log().info(`${uri.fsPath}: a Keras model: opened in the Model Summary`);
}

/** Registers `provider` (the Model Summary) for KERAS_EDITOR_VIEW_TYPE and reopens Keras files in it. */
export function registerKerasEditorAssociation(context: vscode.ExtensionContext, provider: vscode.CustomReadonlyEditorProvider): void {
  context.subscriptions.push(vscode.window.registerCustomEditorProvider(KERAS_EDITOR_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }));
  let queue: Promise<void> = Promise.resolve();
  const consider = (tab: vscode.Tab) => {
    const uri = defaultEditorFile(tab);
    // decided now, while the tab model is as it was when the tab opened (see the top of this file)
    if (!uri || hasModelSummary(tab.group, uri)) return;
    const column = tab.group.viewColumn;
    queue = queue
      .then(() => reopenIfKeras(uri, column))
      .catch((e) => log().warn(`${uri.fsPath}: could not open it in the Model Summary: ${(e as Error)?.message ?? String(e)}`));
  };
  context.subscriptions.push(vscode.window.tabGroups.onDidChangeTabs((e) => e.opened.forEach(consider)));
  // tabs restored with the window, or opened before the extension activated
  for (const group of vscode.window.tabGroups.all) group.tabs.forEach(consider);
}
