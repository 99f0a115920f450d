/**
 * Issue #11 point 10b: the Model Summary takes over only the .h5/.hdf5 files that are Keras models
 * (src/extension/inspect/kerasEditorAssociation.ts); a plain HDF5 data file stays in VS Code's default
 * editor, and "Reopen Editor With…" still offers the Model Summary for any .h5. The files live in a
 * temporary folder outside the workspace (the tree of the repo pass stays as it is): a Keras fixture,
 * and a data file written by h5py.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { fixture } from '../../support/paths';
import { activeApi, waitFor } from './helpers';

const HDF5_SUMMARY = 'modelVersions.modelViewer.hdf5';
/** the Model Summary's view types (.h5/.hdf5 files; .onnx/.keras files) */
const SUMMARY = [HDF5_SUMMARY, 'modelVersions.modelViewer'];

const allTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
const same = (u: vscode.Uri, file: string) => u.scheme === 'file' && u.fsPath === file;
const summaryTabs = (file: string) =>
  allTabs().filter((t) => t.input instanceof vscode.TabInputCustom && SUMMARY.includes(t.input.viewType) && same(t.input.uri, file));
const textTabs = (file: string) => allTabs().filter((t) => t.input instanceof vscode.TabInputText && same(t.input.uri, file));
const describeTabs = () =>
  allTabs()
    .map((t) => `${t.label} [${t.input?.constructor?.name ?? 'none'}${t.input instanceof vscode.TabInputCustom ? ` ${t.input.viewType}` : ''}${t.isPreview ? ', preview' : ''}]`)
    .join(' | ');

/** Waits until `file` shows in the Model Summary and its default editor's tab has been closed. */
async function shownInSummary(file: string): Promise<vscode.Tab> {
  const name = path.basename(file);
  const tab = await waitFor(`the Model Summary of ${name}`, () => summaryTabs(file)[0], 15000, describeTabs);
  await waitFor(`the default editor of ${name} to close`, () => textTabs(file).length === 0, 5000, describeTabs);
  return tab;
}

describe('Model Versions: .h5 files — Keras models in the Model Summary, data in the default editor', function () {
  this.timeout(60000);
  let dir: string;
  let model: string;
  let model2: string;
  let data: string;

  before(async () => {
    await activeApi();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-keras-editor-'));
    model = path.join(dir, 'classifier.h5');
    model2 = path.join(dir, 'lstm.hdf5');
    data = path.join(dir, 'measurements.h5');
    fs.copyFileSync(fixture('keras', 'keras2c_example_model.h5'), model);
    fs.copyFileSync(fixture('keras', 'fdeep_lstm.h5'), model2);
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, h5py, numpy as np\nwith h5py.File(sys.argv[1], "w") as f:\n    f.attrs["station"] = "north"\n    f.create_dataset("temperature", data=np.arange(500, dtype="f4"))\n    f.create_group("layers").create_dataset("roads", data=np.arange(3))',
      data,
    ]);
  });

  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opening a Keras .h5 shows its Model Summary (as a preview tab, as it was opened), not the default editor', async () => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(model), { preview: true });
    const tab = await shownInSummary(model);
    assert.strictEqual(tab.isPreview, true, describeTabs());
    assert.strictEqual(tab.label, 'classifier.h5');
  });

  it('a pinned Keras .hdf5 stays pinned in its Model Summary', async () => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(model2), { preview: false });
    const tab = await shownInSummary(model2);
    assert.strictEqual(tab.isPreview, false, describeTabs());
  });

  it('a plain HDF5 data file stays in the default editor', async () => {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(data), { preview: false });
    await waitFor('measurements.h5 to open', () => textTabs(data).length + summaryTabs(data).length > 0, 10000, describeTabs);
    // files are decided in the order they open: once the model opened after it shows its Model
    // Summary, the data file has been decided
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(model), { preview: false });
    await shownInSummary(model);
    assert.strictEqual(summaryTabs(data).length, 0, `the data file opened in the Model Summary: ${describeTabs()}`);
    assert.strictEqual(textTabs(data).length, 1, describeTabs());
  });

  it('"Reopen Editor With…" still offers the Model Summary for a data .h5, and a chosen text editor is left alone', async () => {
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(data), HDF5_SUMMARY);
    await waitFor('the Model Summary of measurements.h5', () => summaryTabs(data)[0], 10000, describeTabs);
    // the user picks the text editor for a Keras file whose Model Summary is open
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(model), { preview: false });
    await shownInSummary(model);
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(model), 'default');
    await waitFor('the default editor of classifier.h5', () => textTabs(model)[0], 10000, describeTabs);
    // decided in order: once lstm.hdf5 (opened after) shows its Model Summary, classifier.h5's text tab was decided
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(model2), { preview: false });
    await shownInSummary(model2);
    assert.strictEqual(textTabs(model).length, 1, `the chosen text editor was replaced: ${describeTabs()}`);
  });
});
