/**
 * The production panels in a real VS Code (issue #13). Three versions of the model; `production` on v1,
 * then moved to v2. A seeded prediction log of v2 and v3 over
 * two days (v3 converts 12 %, v2 8 %; a feature x uniform on [0, 10) like the reference file).
 * A/B Test… from the tree → the log in the open dialog → the decision first (v3 raises …) and the SRM
 * line; Set production → v3 (confirmed) moves the alias, Record in notes writes v3's notes. Monitor Deployed Versions… → the log, the reference → the cards; records with x shifted by 6
 * appended to the log show within seconds (the count grows) with the drift mark, and the status bar
 * warns; the alias moved outside VS Code changes the panel's roll-back. Screenshots of both panels at 1600×1000.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../src/core/metrics';
import { ModelRepository } from '../../src/core/repo';
import { fixture } from '../support/paths';
import { gitModelWorkspace, HELLO_MODEL } from '../support/workspace';
import { workbenchSuite, type Workbench } from './helpers';

const VIEW = 'Model Versions';
const WINDOW = { width: 1600, height: 1000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const rnd = mulberry32(2026);
let id = 0;
const T0 = Date.parse('2026-03-02T00:00:00Z');

/** `n` served predictions spread over two days after `start`; x shifted by `shift`. */
function events(n: number, start: number, shift = 0): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    id++;
    const version = rnd() < 0.5 ? 'v2' : 'v3';
    const rate = version === 'v3' ? 0.12 : 0.08;
    out.push(JSON.stringify({
      timestamp: new Date(start + Math.floor((i / n) * 48 * 3600e3)).toISOString(),
      model: HELLO_MODEL,
      version,
      request_id: `r${id}`,
      prediction: Number(rnd().toFixed(4)),
      latency_ms: Number((8 + rnd() * 30).toFixed(2)),
      outcome: rnd() < rate ? 1 : 0,
      features: { x: Number((rnd() * 10 + shift).toFixed(4)) },
    }));
  }
  return out.join('\n') + '\n';
}

/**
 * Answers VS Code's own open dialog in code-server (a quick input titled by the command): types the
 * path and presses Enter until the dialog takes it (it checks the typed path asynchronously).
 */
async function answerOpenDialog(wb: Workbench, file: string, title: RegExp): Promise<void> {
  const widget = wb.page.locator('.quick-input-widget');
  const titleEl = widget.locator('.quick-input-title');
  const deadline = Date.now() + 20000;
  const current = async () => ((await widget.isVisible()) ? ((await titleEl.textContent().catch(() => '')) ?? '').trim() : '');
  while (!title.test(await current())) {
    if (Date.now() > deadline) throw new Error(`no open dialog titled ${String(title)}`);
    await sleep(100);
  }
  const input = widget.locator('.quick-input-box input');
  // the dialog lists the folder and sets its path as the value once it has read it: type after that
  await widget.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 20000 });
  for (;;) {
    if ((await input.inputValue().catch(() => file)) !== file) await input.fill(file).catch(() => undefined);
    await sleep(500); // the dialog reads the typed path before it takes Enter
    if (!title.test(await current())) return;
    await input.press('Enter').catch(() => undefined);
    const until = Date.now() + 2500;
    while (title.test(await current()) && Date.now() < until) await sleep(100);
    if (!title.test(await current())) return;
    if (Date.now() > deadline) throw new Error(`the open dialog ${String(title)} did not take ${file}`);
  }
}

describe('UI: A/B Test and Monitor panels', function () {
  let log = '';
  let reference = '';
  const suite = workbenchSuite('production', async () => {
    const workspace = gitModelWorkspace('ui-production');
    const file = path.join(workspace, HELLO_MODEL);
    const repo = await ModelRepository.open(workspace);
    for (const [fx, msg] of [['hello_deepa_old.onnx', 'v1'], ['hello_deepa.onnx', 'v2'], ['namaste_deepa.onnx', 'v3']]) {
      fs.copyFileSync(fixture('onnx', fx), file);
      await repo.commitModel(file, msg);
    }
    await repo.setAlias(HELLO_MODEL, 'production', 1);
    await repo.setAlias(HELLO_MODEL, 'production', 2);
    fs.mkdirSync(path.join(workspace, 'logs'));
    log = path.join(workspace, 'logs', 'predictions.jsonl');
    fs.writeFileSync(log, events(8000, T0));
    reference = path.join(workspace, 'logs', 'reference.csv');
    fs.writeFileSync(reference, 'x\n' + Array.from({ length: 3000 }, () => (rnd() * 10).toFixed(4)).join('\n') + '\n');
    return workspace;
  }, 150000);

  it('A/B Test: the decision first and the SRM check; Monitor: appended records and their drift within seconds', async function () {
    this.timeout(90000);
    const wb = suite.wb;
    await wb.page.setViewportSize(WINDOW);
    await wb.openSourceControlView();
    await wb.focusModelVersionsView();
    await wb.waitForTreeRow(VIEW, HELLO_MODEL, { description: /\b3 versions\b/ });

    await wb.pickTreeContextMenuItem(VIEW, HELLO_MODEL, 'A/B Test…');
    await answerOpenDialog(wb, log, /prediction log/);
    await wb.pickQuickPick(/Outcomes/, '', 'The log holds the outcomes');
    const ab = await wb.frameWith('#decision');
    const decision = (await ab.locator('#decision').innerText()).trim();
    assert.match(decision, /^v3 raises outcome by \+\d\.\d+ pp \[.*\] against v2, p /, decision);
    const srm = await ab.locator('#srm').innerText();
    assert.match(srm, /Sample ratio: .*v2 .*v3 .*as declared/, srm);
    assert.strictEqual(await ab.locator('#srm.warning').count(), 0);
    // the exposures per version: counted here from the log
    const served = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { version: string }).version);
    const rows = await ab.locator('#variants tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    assert.deepStrictEqual(rows, ['v2', 'v3'].map((v) => [v, served.filter((x) => x === v).length.toLocaleString('en-US')]));
    assert.match(await ab.locator('#set-alias').innerText(), /Set production → v3/);
    assert.ok((await ab.locator('svg.chart polygon.band').count()) >= 1, 'the lift chart has its band');
    await wb.screenshot('production-abtest');

    // the action that follows: the alias moves to v3 (after the confirmation), the result goes into v3's notes
    await ab.locator('#set-alias').click();
    assert.match(await wb.dialogText(), /Move the alias 'production' of hello_deepa\.onnx to v3\?/);
    await wb.clickDialogButton('Set production → v3');
    await ab.locator('.done', { hasText: 'production → hello_deepa.onnx v3' }).waitFor({ timeout: 10000 });
    const repo = await ModelRepository.open(suite.workspace);
    assert.strictEqual((await repo.listAliases(HELLO_MODEL)).find((a) => a.alias === 'production')?.version, 3);
    await ab.locator('#record-notes').click();
    await ab.locator('.done', { hasText: 'Recorded in the notes of hello_deepa.onnx v3' }).waitFor({ timeout: 10000 });
    const notes = (await repo.getMetadata(HELLO_MODEL, 3)) as { abtests?: Record<string, { decision: string; variants: { version: string; exposures: number }[] }> };
    const recorded = Object.values(notes.abtests ?? {});
    assert.strictEqual(recorded.length, 1, JSON.stringify(notes));
    assert.strictEqual(recorded[0].decision, decision);

    await wb.pickTreeContextMenuItem(VIEW, HELLO_MODEL, 'Monitor Deployed Versions…');
    await answerOpenDialog(wb, log, /prediction log/);
    await wb.pickQuickPick(/Outcomes/, '', 'No outcomes log (or the log holds them)');
    await wb.pickQuickPick(/Drift reference/, '', 'Choose a reference file (CSV, JSON Lines or Parquet of features)…');
    await answerOpenDialog(wb, reference, /reference file/);
    const mon = await wb.frameWith('#records');
    const count = async () => Number(/^([\d,]+) predictions/.exec(await mon.locator('#records').innerText())![1].replace(/,/g, ''));
    assert.strictEqual(await count(), 8000);
    assert.strictEqual(await mon.locator('#drift-all .drift-mark').count(), 0, 'no drift against the reference yet');
    assert.match(await mon.locator('#rollback').innerText(), /Roll back production → v2/, 'to where production was before the A/B test moved it');

    fs.appendFileSync(log, events(3000, T0 + 48 * 3600e3, 6));
    const t0 = Date.now();
    while ((await count()) !== 11000) {
      if (Date.now() - t0 > 5000) throw new Error(`the panel shows ${await count()} predictions 5 s after 3,000 were appended to 8,000`);
      await sleep(100);
    }
    const seenAfter = Date.now() - t0;
    await mon.locator('#drift-window .drift-mark').first().waitFor({ timeout: 5000 });
    assert.ok((await mon.locator('#drift-window tr.drift[data-feature="x"]').count()) >= 1, 'x drifts in the latest window');
    assert.match(await mon.locator('#alerts').innerText(), /drift in x/);
    await wb.page.locator('.statusbar-item', { hasText: /hello_deepa\.onnx: \d+ alerts?/ }).first().waitFor({ timeout: 10000 });
    await wb.waitForNotification(/drift in x/, 10000);
    await wb.screenshot('production-monitor');
    console.log(`      appended records shown after ${seenAfter} ms`);

    // the alias moved outside VS Code (a terminal) while the panel is open: its roll-back follows
    // without a new record in the log
    await repo.setAlias(HELLO_MODEL, 'production', 1);
    // its last move went from v3 to the older v1: the way back is to a newer version, not a roll-back
    await mon.locator('#rollback', { hasText: 'Move production back → v3' }).waitFor({ timeout: 10000 });
    assert.match(await mon.locator('#rollback + .notes').innerText(), /production is on v1 now/);
    assert.strictEqual(await count(), 11000, 'no record was appended');
  });
});
