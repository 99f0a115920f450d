/**
 * The Lineage panel's readability rules (webview-ui/lineage/layout.ts, no DOM): labels as lines, node
 * sizes that hold their text inside the shape, and the view it opens on — the whole graph when it is
 * readable that way, else the neighbourhood of the newest version at a readable zoom.
 */
import * as assert from 'assert';
import cytoscape from 'cytoscape';
import {
  countOffScreen,
  edgeUse,
  FILTERED,
  fitZoom,
  isShown,
  LABEL_FONT_PX,
  labelLines,
  labelledEdges,
  MIN_LABEL_PX,
  nodeBox,
  OPEN_MAX_ZOOM,
  openingView,
  overlapArea,
  placeLabel,
  READABLE_ZOOM,
  wrapWords,
  type Box,
} from '../../webview-ui/lineage/layout';

/** A fixed-pitch measure: 7 px a character (the panel measures with a canvas). */
const measure = (s: string) => 7 * [...s].length;

describe('lineage layout: labels, node sizes, the opening view', () => {
  it('labels: the name, then what tells nodes apart, wrapped at spaces', () => {
    assert.deepStrictEqual(labelLines({ kind: 'version', label: 'purchase_model.onnx v3', aliases: ['production', 'staging'], tags: ['purchase_model/v3'] }), [
      'purchase_model.onnx v3',
      '⟨production⟩ ⟨staging⟩',
      '#purchase_model/v3',
    ]);
    assert.deepStrictEqual(labelLines({ kind: 'version', label: 'a.onnx v2', aliases: ['prod'], tags: ['a/v2'] }), ['a.onnx v2', '⟨prod⟩ #a/v2']);
    assert.deepStrictEqual(labelLines({ kind: 'version', label: 'base.onnx @ 1234567', external: true }), ['base.onnx @ 1234567', 'not in this branch']);
    assert.deepStrictEqual(labelLines({ kind: 'dataset', label: 'train.csv de8d7452', path: 'data/train.csv', oid: 'de8d7452'.padEnd(64, '0') }), ['train.csv', 'de8d7452']);
    assert.deepStrictEqual(labelLines({ kind: 'code', label: '7f438de User-behaviour sessions: 5000 for train…', shortCommit: '7f438de', subject: 'User-behaviour sessions: 5000 for training, 2000 for testing, and a very long tail of words' }), [
      '7f438de',
      'User-behaviour sessions: 5000',
      'for training, 2000 for testin…',
    ]);
    assert.deepStrictEqual(labelLines({ kind: 'evaluation', label: 'eval accuracy 0.8155 on test.csv' }), ['eval accuracy 0.8155', 'on test.csv']);
    assert.deepStrictEqual(wrapWords('a-very-long-word-that-does-not-fit-anywhere x', 10), ['a-very-long-word-that-does-not-fit-anywhere', 'x']);
    for (const l of labelLines({ kind: 'code', label: '', shortCommit: 'abc', subject: 'word '.repeat(40) })) assert.ok(l.length <= 30, l);
  });

  it('node sizes hold their text inside the shape (rectangle, barrel, hexagon, stadium)', () => {
    const lines = ['eval accuracy 0.8155', 'on test.csv'];
    const textW = measure(lines[0]);
    const textH = LABEL_FONT_PX * (2 + 0.25);
    for (const kind of ['version', 'dataset', 'code', 'evaluation'] as const) {
      const b = nodeBox(kind, lines, measure);
      assert.ok(b.width >= textW + 16 && b.height >= textH + 8, `${kind}: ${b.width}×${b.height} holds ${textW}×${textH}`);
      if (kind === 'code') {
        // the hexagon's slanted sides at the text's top and bottom lines still leave the text's width
        const pts = b.points!.split(' ').map(Number);
        const xi = pts[4];
        const halfAtTextTop = (b.width / 2) * (1 - (1 - xi) * (textH / b.height));
        assert.ok(halfAtTextTop >= textW / 2, `hexagon: ${halfAtTextTop} ≥ ${textW / 2}`);
        assert.deepStrictEqual([pts[0], pts[1], pts[6], pts[7]], [-1, 0, 1, 0], 'points at the middle of each side');
      }
      if (kind === 'evaluation') {
        // the text's corners are inside the round ends
        const r = b.radius!;
        assert.strictEqual(r, b.height / 2);
        const cx = b.width / 2 - r; // the centre of the right round end, from the node's centre
        const dx = textW / 2 - cx;
        assert.ok(dx <= 0 || Math.hypot(dx, textH / 2) <= r + 1e-9, `stadium: corner at ${dx},${textH / 2} within r=${r}`);
      }
    }
    assert.ok(nodeBox('version', ['a much longer line of text here'], measure).width > nodeBox('version', ['short'], measure).width, 'wider for longer text');
    assert.ok(nodeBox('version', ['a', 'b', 'c'], measure).height > nodeBox('version', ['a'], measure).height, 'taller for more lines');
  });

  it('readable: at READABLE_ZOOM the labels are drawn at MIN_LABEL_PX or more', () => {
    assert.ok(LABEL_FONT_PX * READABLE_ZOOM >= MIN_LABEL_PX);
    assert.ok(READABLE_ZOOM < OPEN_MAX_ZOOM);
  });

  /** A chain of `n` boxes 200 × 40, `gap` apart, left to right; ids c0…c(n-1), each linked to the next. */
  function chain(n: number, gap = 60): { boxes: Map<string, Box>; neighbours: (id: string) => string[] } {
    const boxes = new Map<string, Box>();
    for (let i = 0; i < n; i++) boxes.set(`c${i}`, { x1: i * (200 + gap), y1: 0, x2: i * (200 + gap) + 200, y2: 40 });
    const neighbours = (id: string) => {
      const i = Number(id.slice(1));
      return [i > 0 ? `c${i - 1}` : '', i < n - 1 ? `c${i + 1}` : ''].filter(Boolean);
    };
    return { boxes, neighbours };
  }

  const onScreen = (b: Box, z: number, pan: { x: number; y: number }, w: number, h: number) =>
    b.x1 * z + pan.x >= -1e-6 && b.y1 * z + pan.y >= -1e-6 && b.x2 * z + pan.x <= w + 1e-6 && b.y2 * z + pan.y <= h + 1e-6;

  it('opens on the whole graph when it is readable that way, centred, not blown up', () => {
    const { boxes, neighbours } = chain(3);
    const v = openingView(boxes, neighbours, 'c2', 1000, 700);
    assert.strictEqual(v.zoom, OPEN_MAX_ZOOM, 'a small graph: at most OPEN_MAX_ZOOM');
    assert.deepStrictEqual(v.fitted, ['c0', 'c1', 'c2']);
    for (const b of boxes.values()) assert.ok(onScreen(b, v.zoom, v.pan, 1000, 700));
    // fits only below the max zoom: fitted exactly
    const w = 720 * 0.9 + 60;
    const v2 = openingView(boxes, neighbours, 'c2', w, 700);
    assert.ok(Math.abs(v2.zoom - 0.9) < 1e-9, String(v2.zoom));
  });

  it('a graph too big to read whole opens on the newest part of it at a readable zoom; the rest is counted off screen', () => {
    const { boxes, neighbours } = chain(40);
    const [w, h] = [1000, 700];
    assert.ok(fitZoom([...boxes.values()].reduce((a, b) => ({ x1: Math.min(a.x1, b.x1), y1: 0, x2: Math.max(a.x2, b.x2), y2: 40 })), w, h) < READABLE_ZOOM);
    const v = openingView(boxes, neighbours, 'c39', w, h);
    assert.ok(v.zoom >= READABLE_ZOOM, `zoom ${v.zoom}`);
    assert.strictEqual(v.fitted[0], 'c39', 'starts at the newest');
    assert.deepStrictEqual(v.fitted, ['c39', 'c38', 'c37', 'c36'], 'as many neighbours as fit: 4 × 260 px × 0.84 < 940');
    for (const id of v.fitted) assert.ok(onScreen(boxes.get(id)!, v.zoom, v.pan, w, h), `${id} on screen`);
    const extent = { x1: -v.pan.x / v.zoom, y1: -v.pan.y / v.zoom, x2: (w - v.pan.x) / v.zoom, y2: (h - v.pan.y) / v.zoom };
    assert.strictEqual(countOffScreen(boxes.values(), extent), 40 - 4);
  });

  it('the neighbourhood skips a node that does not fit and goes on with the others', () => {
    const boxes = new Map<string, Box>([
      ['new', { x1: 0, y1: 0, x2: 200, y2: 40 }],
      ['far', { x1: 0, y1: 5000, x2: 200, y2: 5040 }], // a dataset laid out by its earliest version
      ['prev', { x1: 0, y1: -100, x2: 200, y2: -60 }],
      ['prev2', { x1: 0, y1: -200, x2: 200, y2: -160 }],
    ]);
    const links: Record<string, string[]> = { new: ['far', 'prev'], far: ['new'], prev: ['new', 'prev2'], prev2: ['prev'] };
    const v = openingView(boxes, (id) => links[id], 'new', 1000, 700);
    assert.deepStrictEqual(v.fitted, ['new', 'prev', 'prev2']);
    assert.ok(v.zoom >= READABLE_ZOOM);
  });

  it('countOffScreen: a node partly outside counts; slack allows rounding', () => {
    const e = { x1: 0, y1: 0, x2: 100, y2: 100 };
    assert.strictEqual(countOffScreen([{ x1: 10, y1: 10, x2: 20, y2: 20 }, { x1: 90, y1: 10, x2: 110, y2: 20 }, { x1: 200, y1: 0, x2: 210, y2: 5 }], e), 2);
    assert.strictEqual(countOffScreen([{ x1: -0.2, y1: 0, x2: 100.2, y2: 10 }], e, 0.5), 0);
  });

  it('edge words: once per node and words, on the edge to the earliest target; the line style by use', () => {
    const time: Record<string, number> = { v1: 1, v2: 2, v3: 3, e1: 4 };
    const edges = [
      { id: 'a', source: 'train', target: 'v2', words: 'trained on' },
      { id: 'b', source: 'train', target: 'v1', words: 'trained on' },
      { id: 'c', source: 'test', target: 'v3', words: 'evaluated on' },
      { id: 'd', source: 'test', target: 'e1', words: 'evaluated on' },
      { id: 'e', source: 'test', target: 'v2', words: 'trained on' }, // test.csv used as training data by v2: its own words
      { id: 'f', source: 'v1', target: 'v2', words: '' },
    ];
    assert.deepStrictEqual([...labelledEdges(edges, (id) => time[id] ?? 0)].sort(), ['b', 'c', 'e']);
    assert.deepStrictEqual(['trained on', 'evaluated on', 'validated on', 'built from code', 'used for calibration', 'used', 'derived from', ''].map(edgeUse), [
      'use-train', 'use-test', 'use-validation', 'use-code', 'use-other', 'use-other', '', '',
    ]);
  });

  it('edge words go at the first distance where they cover nothing, else where they cover least', () => {
    assert.strictEqual(overlapArea({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 5, x2: 20, y2: 20 }), 25);
    assert.strictEqual(overlapArea({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 10, y1: 0, x2: 20, y2: 10 }), 0, 'touching is not covering');
    // words 40 × 14 going down from y = 0; a node at y 30–60, another label at y 90–104
    const boxAt = (o: number): Box => ({ x1: 0, y1: o - 7, x2: 40, y2: o + 7 });
    const taken = [{ x1: -10, y1: 30, x2: 50, y2: 60 }, { x1: 0, y1: 90, x2: 40, y2: 104 }];
    assert.strictEqual(placeLabel([26, 40, 56, 74, 96, 120], boxAt, taken).at, 74);
    assert.strictEqual(placeLabel([10], boxAt, taken).at, 10, 'free at the first try');
    assert.strictEqual(placeLabel([40, 96, 30], boxAt, taken).at, 30, 'nowhere free: the least covered (30: 7 px of the node)');
    // beside the edge as well as along it
    const beside = placeLabel([{ o: 26, dx: 0 }, { o: 26, dx: 60 }], (c) => ({ x1: c.dx, y1: c.o - 7, x2: c.dx + 40, y2: c.o + 7 }), [{ x1: 0, y1: 20, x2: 50, y2: 30 }]);
    assert.deepStrictEqual(beside.at, { o: 26, dx: 60 });
  });

  it('isShown: nodes shown again by a filter count at once, before the canvas draws them (cytoscape caches visible() until then)', () => {
    const c = cytoscape({
      headless: true,
      styleEnabled: true,
      style: [
        { selector: 'node', style: { width: 10, height: 10 } },
        { selector: `node.${FILTERED}`, style: { display: 'none' } },
      ],
      elements: [
        { group: 'nodes', data: { id: 'a' } },
        { group: 'nodes', data: { id: 'b' }, classes: FILTERED },
        { group: 'nodes', data: { id: 'c' }, classes: FILTERED },
        { group: 'edges', data: { id: 'ab', source: 'a', target: 'b' } },
      ],
    });
    try {
      // a frame drawn: every element's style computed (cytoscape then caches visible() per element)
      c.elements().forEach((e) => void e.style('display'));
      const shown = () => [...c.nodes().filter((n) => isShown(n)).map((n) => n.id()), ...c.edges().filter((e) => isShown(e)).map((e) => e.id())];
      assert.deepStrictEqual(shown(), ['a']);
      assert.strictEqual(c.nodes().filter((n) => n.visible()).length, 1);
      // a step of the panel's showing nodes again (main.ts step()), then the layout counts and lists them in the same frame
      c.batch(() => c.getElementById('b').removeClass(FILTERED));
      assert.deepStrictEqual(shown(), ['a', 'b', 'ab']);
      assert.strictEqual(isShown(c.getElementById('nowhere')), false, 'an element not on the canvas is not shown');
    } finally {
      c.destroy(); // a styled core keeps a timer: the process would not exit
    }
  });
});
