/**
 * Issue #11 point 10b as a user meets it: a click on a Keras .h5 in the Explorer shows its Model
 * Summary; a click on an HDF5 data file shows VS Code's default editor (binary placeholder), whose
 * "Reopen Editor With…" offers the Model Summary; and "Reopen Editor With… › Text Editor" on a Keras
 * file keeps the text editor (src/extension/inspect/kerasEditorAssociation.ts does not reopen it).
 * The workspace is a plain folder (no git): two Keras fixtures and a data file written by h5py.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame } from 'playwright-core';
import { fixture } from '../support/paths';
import { modelWorkspace } from '../support/workspace';
import { workbenchSuite } from './helpers';

const MODEL = 'classifier.h5';
const MODEL2 = 'lstm.hdf5';
const DATA = 'measurements.h5';
/** VS Code 1.100's text editor placeholder for a binary file */
const BINARY = /binary or uses an unsupported text encoding/;

describe('UI: .h5 files — Keras models open in the Model Summary, data files in the default editor', function () {
  this.timeout(120000);
  const suite = workbenchSuite('kerasEditor', () => {
    const ws = modelWorkspace('ui-keras-editor');
    fs.copyFileSync(fixture('keras', 'keras2c_example_model.h5'), path.join(ws, MODEL));
    fs.copyFileSync(fixture('keras', 'fdeep_lstm.h5'), path.join(ws, MODEL2));
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, h5py, numpy as np\nwith h5py.File(sys.argv[1], "w") as f:\n    f.attrs["station"] = "north"\n    f.create_dataset("temperature", data=np.arange(500, dtype="f4"))',
      path.join(ws, DATA),
    ]);
    return ws;
  });

  const page = () => suite.wb.page;
  const tab = (name: string) => page().locator('.tabs-container .tab', { hasText: name }).first();
  const activeTabLabel = async () => ((await page().locator('.tabs-container .tab.active .label-name').first().textContent()) ?? '').trim();

  /** Waits until a webview shows the Model Summary heading (or its error page) of `name`; returns its text. */
  async function summaryShown(name: string, selector = 'header.title h1', timeoutMs = 30000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of page().frames()) {
        const text = await textIn(frame, selector);
        if (text?.includes(name)) return text;
      }
      if (Date.now() > deadline) throw new Error(`no Model Summary of ${name} (${selector}) after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  async function textIn(frame: Frame, selector: string): Promise<string | undefined> {
    try {
      const el = frame.locator(selector).first();
      return (await el.count()) ? await el.innerText({ timeout: 2000 }) : undefined;
    } catch {
      return undefined;
    }
  }
  const binaryPlaceholder = () => page().locator('.editor-instance', { hasText: BINARY }).first();

  /** "View: Reopen Editor With…" on the active editor; picks `label`; returns the labels offered. */
  async function reopenWith(label: string): Promise<string[]> {
    // not runPaletteCommand: it waits for the palette to close, and this command opens a second pick at once
    const input = page().locator('.quick-input-widget .quick-input-box input');
    await page().keyboard.press('Escape');
    await page().keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill('>View: Reopen Editor With...');
    await page().keyboard.press('Enter');
    // the editor pick: its rows are the editors of the file, one of them the text editor
    const rows = page().locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Text Editor' }).first().waitFor({ state: 'visible', timeout: 15000 });
    const labels = await rows.evaluateAll((els) => els.map((el) => (el.querySelector('.label-name') ?? el).textContent?.trim() ?? ''));
    const i = labels.indexOf(label);
    assert.ok(i >= 0, `"Reopen Editor With…" offers no '${label}': ${labels.join(' | ')}`);
    await rows.nth(i).click();
    await page().locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
    return labels;
  }

  it(`a click on a Keras .h5 (${MODEL}) shows its Model Summary`, async () => {
    await suite.wb.explorerItem(MODEL).click();
    const heading = await summaryShown(MODEL);
    await suite.wb.screenshot('keras-h5-model-summary');
    assert.ok(heading.includes(MODEL), heading);
    assert.strictEqual(await activeTabLabel(), MODEL);
  });

  it(`a click on an HDF5 data file (${DATA}) shows the default editor; "Reopen Editor With…" offers the Model Summary`, async () => {
    await suite.wb.runPaletteCommand('View: Close All Editors');
    await suite.wb.explorerItem(DATA).dblclick(); // pinned: the next click opens beside it
    await binaryPlaceholder().waitFor({ state: 'visible', timeout: 30000 });
    // files are decided in the order they open: once the model opened after it shows its Model
    // Summary, the data file has been decided
    await suite.wb.explorerItem(MODEL2).click();
    await summaryShown(MODEL2);
    await tab(DATA).click();
    await binaryPlaceholder().waitFor({ state: 'visible', timeout: 15000 });
    await suite.wb.screenshot('hdf5-data-default-editor');
    const offered = await reopenWith('Model Summary');
    assert.ok(offered.includes('Text Editor'), offered.join(' | '));
    // the Model Summary of a data file says what it is
    const error = await summaryShown(DATA, '.error', 30000);
    assert.match(error, /not a Keras model/, error);
  });

  it(`"Reopen Editor With… › Text Editor" on a Keras file keeps the text editor`, async () => {
    await suite.wb.runPaletteCommand('View: Close All Editors');
    await suite.wb.explorerItem(MODEL).dblclick();
    await summaryShown(MODEL);
    await reopenWith('Text Editor');
    await binaryPlaceholder().waitFor({ state: 'visible', timeout: 15000 });
    // decided in order: once the model opened after it shows its Model Summary, the text editor of
    // the first was decided
    await suite.wb.explorerItem(MODEL2).click();
    await summaryShown(MODEL2);
    await tab(MODEL).click();
    await binaryPlaceholder().waitFor({ state: 'visible', timeout: 15000 });
    await suite.wb.screenshot('keras-h5-reopened-as-text');
    assert.strictEqual(await activeTabLabel(), MODEL);
  });
});
