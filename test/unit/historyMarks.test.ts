/**
 * The alias and tag labels above the metric History charts (webview-ui/history/marks.ts, no DOM). In the
 * `npm start` walkthrough (1440×900, two charts a row) the demo's v3 — production, staging and its
 * tag — got no label: drawn left to right, v1's and v2's tags came first and v3's long label, pushed
 * inside the canvas, overlapped v2's. The version production is on must keep its label.
 */
import * as assert from 'assert';
import { MARK_EDGE, MARK_GAP, markText, markVariants, placeMarks, type MarkedVersion, type PlacedMark } from '../../webview-ui/history/marks';

/** A fixed-pitch measure: 7 px a character (the chart measures with its canvas). */
const measure = (s: string) => 7 * [...s].length;

const DEMO: MarkedVersion[] = [
  { aliases: [], tags: ['purchase_model/v1'] },
  { aliases: [], tags: ['purchase_model/v2'] },
  { aliases: ['production', 'staging'], tags: ['purchase_model/v3'] },
];

/** Labels are inside the canvas and at least MARK_GAP apart. */
function assertReadable(placed: PlacedMark[], width: number): void {
  for (const p of placed) {
    assert.strictEqual(p.width, measure(p.label));
    assert.ok(p.cx - p.width / 2 >= MARK_EDGE - 1e-9 && p.cx + p.width / 2 <= width - MARK_EDGE + 1e-9, `${p.label} inside 0–${width}: ${JSON.stringify(p)}`);
  }
  const byLeft = [...placed].sort((a, b) => a.cx - b.cx);
  for (let i = 1; i < byLeft.length; i++) {
    const gap = byLeft[i].cx - byLeft[i].width / 2 - (byLeft[i - 1].cx + byLeft[i - 1].width / 2);
    assert.ok(gap >= MARK_GAP - 1e-9, `${byLeft[i - 1].label} and ${byLeft[i].label} ${gap} px apart`);
  }
}

describe('History chart marks (webview-ui/history/marks.ts)', () => {
  it('a version reads ⟨alias⟩ … #tag …, and shorter variants keep its aliases first', () => {
    assert.strictEqual(markText(DEMO[2]), '⟨production⟩ ⟨staging⟩ #purchase_model/v3');
    assert.deepStrictEqual(markVariants(DEMO[2]), ['⟨production⟩ ⟨staging⟩ #purchase_model/v3', '⟨production⟩ ⟨staging⟩ +1', '⟨production⟩ +2']);
    assert.deepStrictEqual(markVariants(DEMO[0]), ['#purchase_model/v1']);
  });

  it('the demo at 1440×900: v3 (production) keeps its whole label; v1 keeps its tag; v2, with no room left, has none', () => {
    // a 520 px canvas with the versions at 154, 300 and 446 px, as measured in the walkthrough
    const xs = [154, 300, 446];
    const placed = placeMarks(DEMO, (i) => xs[i], measure, 520);
    assertReadable(placed, 520);
    assert.deepStrictEqual(placed.map((p) => [p.index, p.label]), [
      [0, '#purchase_model/v1'],
      [2, '⟨production⟩ ⟨staging⟩ #purchase_model/v3'],
    ]);
  });

  it('a narrow chart shortens the aliased label before it leaves it out', () => {
    const at = (width: number) => placeMarks(DEMO, (i) => (width * (i + 0.5)) / 3, measure, width);
    for (const [width, label] of [[240, '⟨production⟩ ⟨staging⟩ +1'], [170, '⟨production⟩ +2']] as const) {
      const placed = at(width);
      assertReadable(placed, width);
      assert.strictEqual(placed.find((p) => p.index === 2)?.label, label, `${width} px`);
    }
    assert.deepStrictEqual(at(100), [], 'nothing fits 100 px');
  });

  it('wide charts label every version in full', () => {
    const xs = [150, 600, 1050];
    const placed = placeMarks(DEMO, (i) => xs[i], measure, 1200);
    assertReadable(placed, 1200);
    assert.deepStrictEqual(placed.map((p) => p.label), DEMO.map(markText));
  });

  it('never overlaps or leaves the canvas; the newest aliased version always has a label when one fits (random histories)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 300; run++) {
      const n = 1 + Math.floor(rnd() * 12);
      const versions: MarkedVersion[] = Array.from({ length: n }, (_, i) => ({
        aliases: rnd() < 0.2 ? ['production', 'staging'].slice(0, 1 + Math.floor(rnd() * 2)) : [],
        tags: rnd() < 0.6 ? [`model/v${i + 1}`] : [],
      }));
      const width = 120 + Math.floor(rnd() * 900);
      const x = (i: number) => 30 + ((width - 60) * (i + 0.5)) / n;
      const placed = placeMarks(versions, x, measure, width);
      assertReadable(placed, width);
      const top = versions.map((v, i) => ({ v, i })).filter(({ v }) => v.aliases.length).pop();
      if (top && markVariants(top.v).some((l) => measure(l) + 2 * MARK_EDGE <= width)) {
        assert.ok(placed.some((p) => p.index === top.i), `run ${run}: v${top.i + 1} (${markText(top.v)}) has a label in ${width} px`);
      }
    }
  });
});
