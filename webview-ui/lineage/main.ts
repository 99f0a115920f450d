/**
 * Lineage panel: the graph of model versions, datasets, code commits and evaluations
 * (src/shared/lineageProtocol.ts), drawn by cytoscape, laid out by dagre in a Web Worker (layout()
 * below; ./layouter.ts): the panel answers while a large graph is laid out. Node kinds differ in colour AND
 * shape; aliases and tags are on their versions. Filter by model, search, hide datasets / code /
 * evaluations, fit and zoom; a click shows the node's details (parameters and metrics as tables) with
 * actions that go back to the host as intents. Every string from the repository goes in as text (h(),
 * cytoscape labels), never as HTML. The visible nodes and edges are also listed in #lineage-nodes /
 * #lineage-edges (screen readers, tests).
 *
 * Readable as it opens (layout.ts): nodes sized to their measured labels; left to right or top to
 * bottom, whichever shows the graph larger; the whole graph when its labels are then drawn at 10 px or
 * more, else the newest version's neighbourhood at that size with "n more nodes off screen — Fit all".
 * Edges say what happened in words (src/shared/lineageText.ts: a test set is "evaluated on", never
 * "trained on"), placed where they cover no node and no other words.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import cytoscape from 'cytoscape';
import {
  LINEAGE_ACTIONS,
  type LineageHostMessage,
  type LineageIntent,
  type LineageViewKind,
  type LineageViewEdgeKind,
  type LineageViewModel,
  type LineageViewNode,
  type LineageWebviewMessage,
} from '../../src/shared/lineageProtocol';
import { edgeWords, relationWords, type LineageEdgeKindText } from '../../src/shared/lineageText';
import { mix } from '../shared/chartTheme';
import { connect, h } from '../shared/vscodeApi';
import {
  countOffScreen,
  edgeUse,
  fitZoom,
  FIT_PADDING,
  LABEL_FONT_PX,
  LABEL_LINE_HEIGHT,
  labelLines,
  labelledEdges,
  layeredPositions,
  layoutSelection,
  nodeBox,
  OPEN_MAX_ZOOM,
  FILTERED,
  isShown,
  openingView,
  placeLabel,
  READABLE_ZOOM,
  type Box,
  type RankDir,
} from './layout';
import type { LayoutGraph } from './dagreRun';
import { Layouter, Superseded, type Laid } from './layouter';

// cytoscape would add an inline <style> (`position: relative` on its container), which the CSP refuses;
// lineage.css has that rule, and an element with the stylesheet's id tells cytoscape it is there.
document.head.append(h('meta', { id: '__________cytoscape_stylesheet', name: 'cytoscape-container-style', content: 'lineage.css' }));

const app = document.getElementById('app')!;
const post = connect<LineageHostMessage, LineageWebviewMessage>(onMessage);

const KIND_LABEL: Record<LineageViewKind, string> = { version: 'Model version', dataset: 'Dataset', code: 'Code commit', evaluation: 'Evaluation' };
/** Shapes by kind; the code hexagon's points and the evaluation stadium's round ends are sized per node (layout.ts nodeBox). */
const KIND_SHAPE: Record<LineageViewKind, cytoscape.Css.NodeShape> = { version: 'round-rectangle', dataset: 'barrel', code: 'polygon', evaluation: 'round-rectangle' };
const KIND_COLOR_VAR: Record<LineageViewKind, [string, string]> = {
  version: ['--vscode-charts-blue', '#3794ff'],
  dataset: ['--vscode-charts-green', '#89d185'],
  code: ['--vscode-charts-purple', '#b180d7'],
  evaluation: ['--vscode-charts-orange', '#d18616'],
};
const ACTION_LABEL: Record<LineageIntent, [string, string]> = {
  openDiff: ['Open Diff with Previous', 'diff'],
  compare: ['Compare…', 'git-compare'],
  restore: ['Restore…', 'discard'],
  reveal: ['Reveal in Tree', 'list-tree'],
  openFile: ['Open File', 'go-to-file'],
  copyId: ['Copy Id', 'copy'],
};

/** Both directions are tried up to this many nodes shown (each is a dagre run); above it, left to right. */
const TRY_BOTH_UP_TO = 300;
let model: LineageViewModel | undefined;
let cy: cytoscape.Core | undefined;
let byId = new Map<string, LineageViewNode>();
/** An edge of the graph by its nodes' ids (the message names them by index), with an id of the page's own. */
interface Edge {
  id: string;
  kind: LineageViewEdgeKind;
  source: string;
  target: string;
  label?: string;
}
/** the graph's edges (model.edges with their nodes' ids) */
let edges: Edge[] = [];
/** each node's date as ms (0 when it has none), parsed once a graph */
let times = new Map<string, number>();
const timeOf = (id: string) => times.get(id) ?? 0;
let selected: string | undefined;
const state = { model: '', search: '', show: { dataset: true, code: true, evaluation: true } as Record<string, boolean> };

function onMessage(m: LineageHostMessage): void {
  switch (m.type) {
    case 'loading':
      if (!model) {
        app.replaceChildren(
          h('header', { class: 'lineage-header' }, h('h1', null, h('span', { class: 'codicon codicon-type-hierarchy' }), ' ', m.title)),
          h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' Reading the history…'),
        );
      }
      break;
    case 'error':
      model = undefined;
      layouter.cancel();
      cy?.destroy();
      cy = undefined;
      app.replaceChildren(
        h('header', { class: 'lineage-header' }, h('h1', null, h('span', { class: 'codicon codicon-type-hierarchy' }), ' ', m.title)),
        h('div', { class: 'error', role: 'alert' }, h('span', { class: 'codicon codicon-error' }), h('div', null, h('h2', null, 'The lineage could not be read'), h('p', { class: 'message' }, m.message), h('p', { class: 'hint' }, m.hint))),
        button('Refresh', 'refresh', () => post({ type: 'refresh' })),
      );
      break;
    case 'graph': {
      graphAt = performance.now();
      firstPaintMs = undefined;
      const first = !model;
      model = m.model;
      byId = new Map(model.nodes.map((n) => [n.id, n]));
      times = new Map(model.nodes.map((n) => [n.id, Date.parse(n.date ?? '') || 0]));
      const ns = model.nodes;
      edges = model.edges.map((e, i) => ({ id: `e${i}`, kind: e.kind, source: ns[e.source].id, target: ns[e.target].id, ...(e.label !== undefined ? { label: e.label } : {}) }));
      if (first) state.model = m.model.focusModel && m.model.models.some((x) => x.path === m.model.focusModel) ? m.model.focusModel : '';
      else if (m.model.focusModel) state.model = m.model.focusModel;
      if (state.model && !model.models.some((x) => x.path === state.model)) state.model = '';
      if (selected && !byId.has(selected)) selected = undefined;
      renderPanel();
      break;
    }
    case 'select':
      select(m.id, true);
      break;
  }
}

function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = h('vscode-button', secondary ? { secondary: '', icon } : { icon }, label);
  b.addEventListener('click', onClick);
  return b;
}

function color(kind: LineageViewKind): string {
  const [v, fallback] = KIND_COLOR_VAR[kind];
  return getComputedStyle(document.body).getPropertyValue(v).trim() || fallback;
}
function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** A small SVG of a node shape for the legend (built as DOM, no markup strings). */
function legendShape(kind: LineageViewKind): SVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 22 14');
  svg.setAttribute('aria-hidden', 'true');
  let shape: SVGElement;
  if (kind === 'version') {
    shape = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x: '1', y: '1', width: '20', height: '12', rx: '3' })) shape.setAttribute(k, v);
  } else if (kind === 'evaluation') {
    shape = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x: '1', y: '1', width: '20', height: '12', rx: '6' })) shape.setAttribute(k, v);
  } else {
    shape = document.createElementNS(ns, 'polygon');
    shape.setAttribute('points', kind === 'code' ? '5,1 17,1 21,7 17,13 5,13 1,7' : '3,1 19,1 21,4 21,10 19,13 3,13 1,10 1,4');
  }
  shape.setAttribute('fill', color(kind));
  shape.setAttribute('fill-opacity', '0.3');
  shape.setAttribute('stroke', color(kind));
  shape.setAttribute('stroke-width', '1.5');
  svg.append(shape);
  return svg;
}

/** The edge styles of the canvas (buildGraph) as small SVG lines with their words, for the legend. */
function legendLines(): [SVGElement, string][] {
  const ns = 'http://www.w3.org/2000/svg';
  const fg = cssVar('--vscode-foreground', '#ccc');
  const line = (stroke: string, width: number, dash = ''): SVGElement => {
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 22 14');
    svg.setAttribute('aria-hidden', 'true');
    const l = document.createElementNS(ns, 'line');
    for (const [k, v] of Object.entries({ x1: '1', y1: '7', x2: '21', y2: '7', stroke, 'stroke-width': String(width), ...(dash ? { 'stroke-dasharray': dash } : {}) })) l.setAttribute(k, v);
    svg.append(l);
    return svg;
  };
  return [
    [line(fg, 2), 'next version'],
    [line(fg, 4), 'derived from'],
    [line(color('dataset'), 1.5, '6 3'), 'trained on'],
    [line(color('evaluation'), 2, '2 3'), 'evaluated on'],
    [line(color('code'), 1.5, '6 3'), 'built from code'],
    [line(cssVar('--vscode-descriptionForeground', '#999'), 1.5, '6 3'), 'used (other roles)'],
    [line(color('evaluation'), 1.5), 'evaluation'],
  ];
}

/**
 * The panel's parts that do not depend on the graph, from the panel's state: all but the title's text
 * and the model filter, whose places are held as tall as they will be (`title`: a space; `filter`: an
 * empty select) — the canvas made beforehand keeps its size.
 */
interface Skeleton {
  parts: HTMLElement[];
  title: Text;
  filter: HTMLElement;
  graph: HTMLElement;
}

function skeleton(): Skeleton {
  const search = h('vscode-textfield', { id: 'search', class: 'search', placeholder: 'Search: name, v3, alias, commit, path…', 'aria-label': 'Search nodes' });
  (search as unknown as { value: string }).value = state.search;
  search.append(h('span', { slot: 'content-before', class: 'codicon codicon-search' }));
  search.addEventListener('input', () => {
    state.search = (search as unknown as { value: string }).value;
    applySearch(false);
  });
  search.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') applySearch(true);
  });
  const toggles = (['dataset', 'code', 'evaluation'] as const).map((k) => {
    const c = h('vscode-checkbox', { id: `show-${k}`, label: k === 'dataset' ? 'Datasets' : k === 'code' ? 'Code' : 'Evaluations' });
    if (state.show[k]) c.setAttribute('checked', '');
    c.addEventListener('change', () => {
      state.show[k] = (c as unknown as { checked: boolean }).checked;
      applyFilters(true);
    });
    return c;
  });
  const legend = h(
    'div',
    { class: 'legend', id: 'legend', role: 'list', 'aria-label': 'Legend' },
    ...(['version', 'dataset', 'code', 'evaluation'] as const).map((k) => h('span', { class: 'item', role: 'listitem', 'data-kind': k }, legendShape(k), KIND_LABEL[k])),
    ...legendLines().map(([svg, words]) => h('span', { class: 'item edge', role: 'listitem' }, svg, words)),
    h('span', { class: 'item', role: 'listitem' }, '⟨alias⟩ #tag'),
  );
  const hint = h('div', { id: 'offscreen-hint', class: 'offscreen-hint', role: 'status', hidden: '' }, h('span', { class: 'text' }), button('Fit all', 'screen-full', () => fitAll()));
  const title = document.createTextNode('\u00a0');
  const filter = h('vscode-single-select', { 'aria-hidden': 'true' });
  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar' },
    filter,
    search,
    h('span', { class: 'count', id: 'search-count' }),
    ...toggles,
    button('Fit', 'screen-full', () => fitAll()),
    button('', 'zoom-in', () => zoom(1.25)),
    button('', 'zoom-out', () => zoom(0.8)),
    button('Refresh', 'refresh', () => post({ type: 'refresh' })),
  );
  for (const b of toolbar.querySelectorAll('vscode-button[icon="zoom-in"], vscode-button[icon="zoom-out"]')) b.setAttribute('aria-label', b.getAttribute('icon') === 'zoom-in' ? 'Zoom in' : 'Zoom out');
  const graph = h('div', { id: 'graph', class: 'unpainted', role: 'img', 'aria-label': 'Lineage graph' });
  const parts = [
    h('header', { class: 'lineage-header' }, h('h1', null, h('span', { class: 'codicon codicon-type-hierarchy' }), ' ', title)),
    toolbar,
    legend,
    h(
      'div',
      { class: 'body' },
      h(
        'div',
        { class: 'graph-wrap' },
        graph,
        hint,
        h('div', { id: 'layout-status', class: 'layout-status', role: 'status', hidden: '' }, h('vscode-progress-ring', null), h('span', { class: 'text' })),
      ),
      h('aside', { id: 'details', 'aria-live': 'polite' }, h('p', { class: 'empty' }, 'Click a node to see its details.')),
    ),
    h('ul', { id: 'lineage-nodes', class: 'sr-only', 'aria-label': 'Nodes' }),
    h('ul', { id: 'lineage-edges', class: 'sr-only', 'aria-label': 'Edges' }),
  ];
  return { parts, title, filter, graph };
}

/** The model filter of `m`, set to the panel's state. */
function modelFilter(m: LineageViewModel): HTMLElement {
  const select = h('vscode-single-select', { id: 'model-filter', 'aria-label': 'Filter by model' });
  select.append(h('vscode-option', { value: '' }, `All models (${m.models.length})`));
  for (const x of m.models) select.append(h('vscode-option', { value: x.path }, `${x.path} (${x.versions})`));
  (select as unknown as { value: string }).value = state.model;
  select.addEventListener('change', () => {
    state.model = (select as unknown as { value: string }).value;
    applyFilters(true);
  });
  return select;
}

/** Graphs of more than this many nodes are large: drawn without what costs much per element (straight edges, no retina canvas, no edges while the view moves). */
const BIG = 600;

/**
 * The panel and a large graph's canvas made before the graph arrives (issue #12: the first graph is
 * then drawn without waiting for the panel's controls, the canvas and its style): built when the page
 * starts, before it says ready, in a holder laid out as #app but not shown. The first graph moves the
 * panel into #app when the theme's colours are still those it was made with (else it is dropped), and
 * keeps the canvas when the graph is large.
 */
let warm: (Skeleton & { holder: HTMLElement; cy: cytoscape.Core; look: string }) | undefined;

function warmUp(): void {
  const holder = h('div', { class: 'lineage-warm', 'aria-hidden': 'true' });
  const at = app.getBoundingClientRect();
  holder.style.left = `${at.left}px`;
  holder.style.width = `${at.width}px`;
  const p = skeleton();
  holder.append(...p.parts);
  document.body.append(holder);
  const look = readLook();
  warm = { ...p, holder, cy: makeCy(p.graph, true, look), look: JSON.stringify(look) };
}

function renderPanel(): void {
  const m = model!;
  const look = readLook();
  const made = warm && warm.look === JSON.stringify(look) ? warm : undefined;
  if (warm && !made) {
    warm.cy.destroy();
    warm.holder.remove();
  }
  warm = undefined;
  const p = made ?? skeleton();
  p.title.data = m.title;
  p.filter.replaceWith(modelFilter(m));
  app.replaceChildren(...p.parts);
  let reuse: cytoscape.Core | undefined;
  if (made) {
    made.holder.remove();
    // the canvas is a large graph's; a small one gets its own in the same place
    if (m.nodes.length > BIG) {
      reuse = made.cy;
      reuse.resize(); // the same size where it is now (its holder is laid out as #app): the canvas stays
    } else made.cy.destroy();
  }
  buildGraph(look, reuse);
}

function zoom(f: number): void {
  if (!cy) return;
  cy.zoom({ level: cy.zoom() * f, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
}

/** Every node shown, however small (labels too small to read are not drawn); not blown up past OPEN_MAX_ZOOM. */
function fitAll(): void {
  if (!cy) return;
  const shown = cy.nodes().filter((n) => isShown(n));
  if (!shown.length) return;
  cy.fit(shown, FIT_PADDING);
  if (cy.zoom() > OPEN_MAX_ZOOM) {
    cy.zoom(OPEN_MAX_ZOOM);
    cy.center(shown);
  }
}

function nodeLabel(n: LineageViewNode): string {
  const marks = [...(n.aliases ?? []).map((a) => `⟨${a}⟩`), ...(n.tags ?? []).map((t) => `#${t}`)];
  return marks.length ? `${n.label}\n${marks.join(' ')}` : n.label;
}

/** The width of one label line as cytoscape measures it (same font string, a canvas 2D context). */
function textMeasure(font: string): (line: string) => number {
  const ctx = document.createElement('canvas').getContext('2d')!;
  ctx.font = `normal normal ${LABEL_FONT_PX}px ${font}`;
  return (line) => ctx.measureText(line).width;
}

/** Node borders (px): dagre lays out the node with its border, as cytoscape measures it (outer size). */
const BORDER = 2;
const ALIASED_BORDER = 5;
/** Up to this many elements a graph goes onto the canvas at once, and filters show its nodes again at once; a larger one in steps (step()). */
const AT_ONCE_UP_TO = 800;
/** Elements put on the canvas per step, and nodes shown again (with their edges) per step: each step is a task of its own, the page answers in between. */
const STEP = 150;
const SHOW_STEP = 40;

/** The graph on the canvas now: what is not on it yet, the sizes dagre lays out, the positions of a draft or a layout, the nodes a filter hides. */
let waiting: cytoscape.ElementDefinition[] = [];
let sizes = new Map<string, { w: number; h: number }>();
let positions = new Map<string, { x: number; y: number }>();
let hiddenNodes = new Set<string>();
/** the nodes one edge away, either direction (every node) */
let neighbours = new Map<string, string[]>();
/** nodes a filter shows again, not yet shown (a large graph: in steps) */
let showing: string[] = [];
/** the steps of putting elements on the canvas and showing nodes again: scheduled, and who waits for their end */
let stepping = false;
const settledWaiters: (() => void)[] = [];
const busy = () => waiting.length > 0 || showing.length > 0;

/** Resolves when every element is on the canvas and every node a filter shows is shown (the layout's last steps need them). */
function settled(): Promise<void> {
  return busy() ? new Promise((r) => settledWaiters.push(r)) : Promise.resolve();
}

function checkSettled(): void {
  if (!busy()) for (const r of settledWaiters.splice(0)) r();
}

/**
 * Puts the graph on a canvas: `reuse` (the warm one: a large graph's, made with `look`) or a new one.
 * The elements go on it at once up to AT_ONCE_UP_TO, else in steps (those in the first view first).
 */
function buildGraph(look: Look, reuse?: cytoscape.Core): void {
  const m = model!;
  cy?.destroy();
  hiddenNodes = new Set();
  showing = [];
  waiting = [];
  checkSettled(); // a layout of the graph before waits no more (and finds it replaced)
  positions = new Map();
  sizes = new Map();
  neighbours = new Map(m.nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    neighbours.get(e.source)?.push(e.target);
    neighbours.get(e.target)?.push(e.source);
  }
  const big = m.nodes.length > BIG;
  const measure = textMeasure(look.font);
  const worded = edges.map((e) => ({ ...e, words: big ? '' : edgeWords(e.kind, e.label) }));
  const labelled = labelledEdges(worded, timeOf);
  const elements: cytoscape.ElementDefinition[] = [
      ...m.nodes.map((n) => {
        const lines = labelLines(n);
        const box = nodeBox(n.kind, lines, measure);
        const border = n.aliases?.length ? ALIASED_BORDER : BORDER;
        sizes.set(n.id, { w: box.width + border, h: box.height + border });
        return {
          group: 'nodes' as const,
          data: { id: n.id, kind: n.kind, label: lines.join('\n'), w: box.width, h: box.height, ...(box.points ? { points: box.points } : {}), ...(box.radius ? { radius: box.radius } : {}) },
          classes: [n.kind, n.aliases?.length ? 'aliased' : '', n.external ? 'external' : ''].filter(Boolean).join(' '),
        };
      }),
      ...worded.map((e) => ({
        group: 'edges' as const,
        data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: e.label ?? '', words: e.words, shown: labelled.has(e.id) ? e.words : '' },
        classes: [e.kind, edgeUse(e.words)].filter(Boolean).join(' '),
      })),
  ];
  cy = reuse ?? makeCy(document.getElementById('graph')!, big, look);
  waiting = elements;
  if (elements.length <= AT_ONCE_UP_TO) addWaiting(cy, elements.length);
  applyFilters(true);
}

/** The theme's colours and font the canvas is drawn in. */
interface Look {
  fg: string;
  bg: string;
  focus: string;
  alias: string;
  muted: string;
  font: string;
  yellow: string;
  kind: Record<LineageViewKind, string>;
}

function readLook(): Look {
  return {
    fg: cssVar('--vscode-foreground', '#ccc'),
    bg: cssVar('--vscode-editor-background', '#1e1e1e'),
    focus: cssVar('--vscode-focusBorder', '#007fd4'),
    alias: cssVar('--vscode-charts-green', '#89d185'),
    muted: cssVar('--vscode-descriptionForeground', '#999'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    kind: { version: color('version'), dataset: color('dataset'), code: color('code'), evaluation: color('evaluation') },
  };
}

/** A cytoscape canvas in `container` with the panel's style (a large graph's or a small one's, see BIG) and its handlers, no elements yet. */
function makeCy(container: HTMLElement, big: boolean, look: Look): cytoscape.Core {
  const { fg, bg, focus, alias, muted, font } = look;
  const color = (k: LineageViewKind) => look.kind[k];
  const c = cytoscape({
    container,
    style: [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'text-wrap': 'wrap',
          'text-valign': 'center',
          'text-halign': 'center',
          'font-size': LABEL_FONT_PX,
          'line-height': LABEL_LINE_HEIGHT,
          'font-family': font,
          color: fg,
          width: 'data(w)',
          height: 'data(h)',
          'border-width': BORDER,
          // labels too small to read are not drawn (Fit all on a big graph: the shapes only)
          'min-zoomed-font-size': 6,
        },
      },
      // a light tint of the kind's colour, opaque (edges behind a node do not show through its label), its border in the colour
      ...(['version', 'dataset', 'code', 'evaluation'] as const).map((k) => ({ selector: `node.${k}`, style: { shape: KIND_SHAPE[k], 'background-color': mix(color(k), bg, 0.2), 'border-color': color(k) } })),
      { selector: 'node.code', style: { 'shape-polygon-points': 'data(points)' } },
      { selector: 'node.evaluation', style: { 'corner-radius': 'data(radius)' } },
      { selector: 'node.aliased', style: { 'border-width': ALIASED_BORDER, 'border-style': 'double', 'border-color': alias } },
      // hidden by a filter
      { selector: `node.${FILTERED}`, style: { display: 'none' } },
      { selector: 'node.external', style: { 'border-style': 'dashed', 'border-color': fg, 'background-color': bg } },
      { selector: 'node.dim', style: { opacity: 0.25 } },
      { selector: 'node.match', style: { 'border-width': 3, 'border-style': 'solid', 'border-color': focus } },
      { selector: 'node:selected', style: { 'border-width': 4, 'border-style': 'solid', 'border-color': focus, 'overlay-opacity': 0 } },
      {
        selector: 'edge',
        style: {
          width: 1.5,
          'curve-style': big ? 'haystack' : 'bezier',
          'line-color': muted,
          'target-arrow-color': muted,
          'target-arrow-shape': 'triangle',
          'arrow-scale': 0.8,
          // the words of an edge that carries them, near the node they come from (edges from one node fan out there)
          'source-label': 'data(shown)',
          'source-text-offset': 26,
          'font-size': 11,
          'font-family': font,
          color: fg,
          'text-rotation': 'none',
          'text-background-color': bg,
          'text-background-opacity': 0.9,
          'text-background-padding': '2px',
          'text-background-shape': 'roundrectangle',
          'text-border-width': 1,
          'text-border-opacity': 1,
          'text-border-color': muted,
          'min-zoomed-font-size': 7,
        },
      },
      // the line says what happened: next version and derived from in the foreground colour (derived
      // from thick), inputs dashed in the colour of what they fed — data used for training green, for
      // evaluation orange (as evaluations), code purple — an evaluation's own edge thin orange
      { selector: 'edge.parent', style: { width: 2, 'line-color': fg, 'target-arrow-color': fg } },
      { selector: 'edge.derived-from', style: { width: 4, 'line-color': fg, 'target-arrow-color': fg, 'text-border-color': fg } },
      { selector: 'edge.trained-on, edge.built-from, edge.evaluated-on', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 3], width: 1.5, ...(big ? {} : { 'curve-style': 'straight' }) } },
      ...([['use-train', color('dataset')], ['use-test', color('evaluation')], ['use-validation', look.yellow], ['use-code', color('code')], ['use-other', muted]] as const).map(([cls, c]) => ({
        selector: `edge.${cls}`,
        style: { 'line-color': c, 'target-arrow-color': c, 'text-border-color': c },
      })),
      { selector: 'edge.use-test', style: { 'line-dash-pattern': [2, 3], width: 2 } },
      { selector: 'edge.evaluated', style: { width: 1.5, 'line-color': color('evaluation'), 'target-arrow-color': color('evaluation'), 'text-border-color': color('evaluation') } },
      // the edges of the selected node: on top, each with its words
      { selector: 'edge.near', style: { 'source-label': 'data(words)', 'z-index': 10 } },
      { selector: 'edge.dim', style: { opacity: 0.15 } },
    ],
    minZoom: 0.02,
    maxZoom: 4,
    textureOnViewport: big,
    hideEdgesOnViewport: big,
    pixelRatio: big ? 1 : 'auto',
    boxSelectionEnabled: false,
    // no layout of its own (its default, a grid of every node fitted to the view, is a long task on a large graph): layout() places the nodes
    layout: { name: 'null' },
  });
  c.on('tap', 'node', (e) => select(e.target.id(), false));
  c.on('tap', (e) => {
    if (e.target === c) select(undefined, false);
  });
  let pending = 0;
  c.on('viewport resize', () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), updateHint()));
  });
  return c;
}

/** Puts up to `n` waiting elements on the canvas (nodes come first), at their positions, filtered as the panel is. */
function addWaiting(c: cytoscape.Core, n: number, first?: (e: cytoscape.ElementDefinition) => boolean): void {
  let take: cytoscape.ElementDefinition[];
  if (first) {
    take = waiting.filter(first);
    waiting = waiting.filter((e) => !first(e));
  } else take = waiting.splice(0, n);
  c.add(
    take.map((e) => {
      const id = e.data.id!;
      if (e.group !== 'nodes') return e;
      const hide = hiddenNodes.has(id);
      return { ...e, position: { ...(positions.get(id) ?? { x: 0, y: 0 }) }, classes: hide ? `${e.classes} ${FILTERED}` : e.classes };
    }),
  );
  checkSettled();
}

/**
 * The work put off on a large graph, a step a task: putting the rest of it on the canvas (STEP
 * elements), then showing the nodes a filter shows again (SHOW_STEP nodes) — creating, styling and
 * drawing four thousand elements at once is a task of seconds; between the steps the page answers.
 */
function step(c: cytoscape.Core): void {
  if (stepping) return;
  stepping = true;
  setTimeout(() => {
    stepping = false;
    if (cy !== c) return;
    if (waiting.length) addWaiting(c, STEP);
    else if (showing.length) {
      const ids = showing.splice(0, SHOW_STEP);
      c.batch(() => ids.forEach((id) => c.getElementById(id).removeClass(FILTERED)));
      checkSettled();
    }
    if (busy()) step(c);
  });
}

/** Node ids shown under the model filter and the kind toggles. */
function visibleIds(): Set<string> {
  const m = model!;
  let keep: Set<string>;
  if (!state.model) keep = new Set(m.nodes.map((n) => n.id));
  else {
    // the model's versions and every version linked by parent / derived-from edges, then their inputs and evaluations
    const adj = new Map<string, string[]>();
    for (const e of edges) {
      if (e.kind !== 'parent' && e.kind !== 'derived-from') continue;
      (adj.get(e.source) ?? adj.set(e.source, []).get(e.source)!).push(e.target);
      (adj.get(e.target) ?? adj.set(e.target, []).get(e.target)!).push(e.source);
    }
    keep = new Set(m.nodes.filter((n) => n.kind === 'version' && n.model === state.model).map((n) => n.id));
    const queue = [...keep];
    while (queue.length) {
      for (const o of adj.get(queue.pop()!) ?? []) {
        if (!keep.has(o)) {
          keep.add(o);
          queue.push(o);
        }
      }
    }
    for (const e of edges) {
      if ((e.kind === 'trained-on' || e.kind === 'built-from') && keep.has(e.target)) keep.add(e.source);
      if (e.kind === 'evaluated' && keep.has(e.source)) keep.add(e.target);
    }
    for (const e of edges) if (e.kind === 'evaluated-on' && keep.has(e.target)) keep.add(e.source);
  }
  for (const id of [...keep]) {
    const k = byId.get(id)!.kind;
    if (k !== 'version' && !state.show[k]) keep.delete(id);
  }
  return keep;
}

function applyFilters(relayout: boolean): void {
  if (!cy) return;
  const keep = visibleIds();
  const c = cy;
  // only the nodes that change; those not on the canvas yet get theirs when they are put there. Hiding
  // is cheap; showing a thousand nodes again with their edges is not: on a large graph, in steps
  const inSteps = c.elements().length > AT_ONCE_UP_TO;
  const show: string[] = [];
  c.batch(() => {
    for (const n of model!.nodes) {
      const hide = !keep.has(n.id);
      if (hide === hiddenNodes.has(n.id)) continue;
      const el = c.getElementById(n.id);
      if (hide) {
        hiddenNodes.add(n.id);
        if (el.nonempty()) el.addClass(FILTERED);
      } else {
        hiddenNodes.delete(n.id);
        if (el.nonempty()) show.push(n.id);
      }
    }
    const hidden = new Set(showing.filter((id) => hiddenNodes.has(id)));
    showing = showing.filter((id) => !hidden.has(id));
    if (inSteps) showing.push(...show);
    else show.forEach((id) => c.getElementById(id).removeClass(FILTERED));
  });
  if (busy()) step(c);
  if (relayout) void layout();
  else {
    applySearch(false);
    listElements();
  }
}

/** Sets the positions of `graph`'s nodes (x, y of node i at [2i], [2i + 1]): kept for those not on the canvas yet. */
function place(c: cytoscape.Core, graph: LayoutGraph, pos: Float64Array): void {
  c.batch(() =>
    graph.nodes.forEach((n, i) => {
      const p = { x: pos[2 * i], y: pos[2 * i + 1] };
      positions.set(n.id, p);
      const el = c.getElementById(n.id);
      if (el.nonempty()) el.position(p);
    }),
  );
}

/** The box of the nodes of `graph` at `pos` (model coordinates, outer sizes: cytoscape's boxes without labels). */
function graphBox(graph: LayoutGraph, pos: Float64Array): Box {
  const b = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
  graph.nodes.forEach((n, i) => {
    b.x1 = Math.min(b.x1, pos[2 * i] - n.w / 2);
    b.x2 = Math.max(b.x2, pos[2 * i] + n.w / 2);
    b.y1 = Math.min(b.y1, pos[2 * i + 1] - n.h / 2);
    b.y2 = Math.max(b.y2, pos[2 * i + 1] + n.h / 2);
  });
  return b;
}

const viewOf = (c: cytoscape.Core) => ({ zoom: c.zoom(), ...c.pan() });
const sameView = (a: { zoom: number; x: number; y: number }, b: { zoom: number; x: number; y: number }) => Math.abs(a.zoom - b.zoom) < 1e-9 && Math.abs(a.x - b.x) < 0.5 && Math.abs(a.y - b.y) < 0.5;

/** The "Laying out n nodes…" line over the canvas (hidden with no text). */
function layoutStatus(text: string): void {
  const el = document.getElementById('layout-status');
  if (!el) return;
  el.querySelector('.text')!.textContent = text;
  el.hidden = !text;
}

/**
 * Makes the canvas visible (it is hidden until the first positions are in: no pile of nodes at the
 * origin) and records when it is first drawn after that (cytoscape's render event), ms after the graph
 * arrived: #graph's data-first-paint-ms.
 */
function reveal(c: cytoscape.Core): void {
  const g = document.getElementById('graph')!;
  if (!g.classList.contains('unpainted')) return;
  g.classList.remove('unpainted');
  c.one('render', () => {
    if (cy !== c) return;
    firstPaintMs = Math.round(performance.now() - graphAt);
    g.dataset.firstPaintMs = String(firstPaintMs);
  });
}

/**
 * Opens the readable view of what is shown (openReadable) and, for a graph not all on the canvas yet,
 * puts the nodes in that view and their edges there first — what the user sees is drawn at once —
 * and the rest in steps after.
 */
function openAndFill(c: cytoscape.Core): void {
  openReadable(c);
  if (!waiting.length) return;
  const e = c.extent();
  const near = new Set<string>();
  for (const [id, p] of positions) {
    const sz = sizes.get(id)!;
    if (!hiddenNodes.has(id) && p.x + sz.w / 2 >= e.x1 && p.x - sz.w / 2 <= e.x2 && p.y + sz.h / 2 >= e.y1 && p.y - sz.h / 2 <= e.y2) near.add(id);
  }
  const there = new Set(c.nodes().map((n) => n.id()));
  const onCanvas = (id: string) => near.has(id) || there.has(id);
  addWaiting(c, 0, (el) => (el.group === 'nodes' ? near.has(el.data.id!) : onCanvas(el.data.source!) && onCanvas(el.data.target!)));
  // the steps after that view is drawn (or in 100 ms: a hidden page draws no frames)
  let started = false;
  const go = () => {
    if (!started) step(c);
    started = true;
  };
  requestAnimationFrame(() => setTimeout(go));
  setTimeout(go, 100);
}

const layouter = new Layouter();
/** From this many nodes shown a layout paints a draft at once (layout.ts layeredPositions) while dagre runs in its worker … */
const DRAFT_AT_ONCE_FROM = 200;
/** … below, only when dagre has not answered within this many ms (a small graph then opens on its layout, without a jump). */
const DRAFT_AFTER_MS = 120;

let layoutRun = 0;
/** when the graph now shown arrived, and when it was first drawn (ms after) */
let graphAt = 0;
let firstPaintMs: number | undefined;

/**
 * Lays out what is shown and opens a readable view of it. dagre runs in a Web Worker (./layouter.ts),
 * so the panel keeps answering — zoom, pan, search, a click, the filters (a new layout cancels the one
 * running) — and a large graph is drawn at once in a draft layout (layered, in ./layout.ts) while the
 * rest of it is put on the canvas in steps, replaced when dagre's arrives; the view the user has moved
 * meanwhile is kept (the node at its centre stays there). Up to TRY_BOTH_UP_TO nodes both directions
 * are laid out and the one that shows the whole graph larger is kept (left to right on a tie: a wide
 * graph of few ranks; top to bottom: a long chain); above, left to right.
 */
async function layout(): Promise<void> {
  const c = cy!;
  const m = model!;
  const run = ++layoutRun;
  const started = performance.now();
  const pick = layoutSelection(m.nodes, edges, (id) => !hiddenNodes.has(id), timeOf);
  const graph: LayoutGraph = { nodes: pick.nodes.map((n) => ({ id: n.id, ...sizes.get(n.id)! })), edges: pick.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })) };
  const count = graph.nodes.length;
  const pending = layouter.run(graph, count <= TRY_BOTH_UP_TO ? ['LR', 'TB'] : ['LR']);
  layoutStatus(`Laying out ${thousands(count)} node${count === 1 ? '' : 's'}…`);
  let draftView: { zoom: number; x: number; y: number } | undefined;
  const draft = () => {
    if (run !== layoutRun || cy !== c) return;
    place(c, graph, layeredPositions(graph, 'LR'));
    openAndFill(c);
    draftView = viewOf(c);
    reveal(c);
    layoutStatus(`Laying out ${thousands(count)} nodes… (a draft meanwhile)`);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  // a draft where nothing sensible is drawn yet: the first layout, or shown nodes never placed
  if (graph.nodes.some((n) => !positions.has(n.id))) {
    if (count >= DRAFT_AT_ONCE_FROM) draft();
    else timer = setTimeout(draft, DRAFT_AFTER_MS);
  }
  let laid: Laid;
  try {
    laid = await pending;
  } catch (e) {
    if (e instanceof Superseded) return; // a newer layout (or graph) took over
    throw e;
  } finally {
    clearTimeout(timer);
  }
  if (run !== layoutRun || cy !== c) return;
  // the view the user moved to during the draft: the node at its centre stays where it is on screen
  const anchor = draftView && !sameView(viewOf(c), draftView) ? centreNode(c) : undefined;
  const anchorAt = anchor?.renderedPosition();
  let dir: RankDir = 'LR';
  if (laid.positions.TB) {
    const zLr = Math.min(fitZoom(graphBox(graph, laid.positions.LR!), c.width(), c.height()), OPEN_MAX_ZOOM);
    const zTb = Math.min(fitZoom(graphBox(graph, laid.positions.TB), c.width(), c.height()), OPEN_MAX_ZOOM);
    if (zTb > zLr + 1e-6) dir = 'TB';
  }
  place(c, graph, laid.positions[dir]!);
  if (anchor && anchorAt) {
    const p = anchor.renderedPosition();
    c.panBy({ x: anchorAt.x - p.x, y: anchorAt.y - p.y });
  } else if (!draftView) openAndFill(c);
  else openReadable(c);
  reveal(c);
  // the rest in tasks of their own (the canvas is drawn in between): the last steps of a large graph,
  // then the selection, edge words and search, then the lists and the news that the layout is in
  const stale = () => run !== layoutRun || cy !== c;
  await settled();
  await nextTask();
  if (stale()) return;
  const visibleNodes = c.nodes().filter((n) => isShown(n)).length;
  const visibleEdges = c.edges().filter((e) => isShown(e)).length;
  const g = document.getElementById('graph')!;
  g.dataset.direction = dir;
  if (selected && isShown(c.getElementById(selected))) c.getElementById(selected).select();
  placeEdgeWords(c);
  updateHint();
  applySearch(false);
  await nextTask();
  if (stale()) return;
  listElements();
  layoutStatus('');
  const ms = Math.round(performance.now() - started);
  g.dataset.layoutMs = String(ms);
  g.dataset.laidOutAfterMs = String(Math.round(performance.now() - graphAt));
  g.dataset.layoutWhere = laid.where;
  g.dataset.dagreMs = String(Math.round(laid.ms));
  g.dataset.nodes = String(visibleNodes);
  g.dataset.edges = String(visibleEdges);
  post({ type: 'rendered', ms, nodes: visibleNodes, edges: visibleEdges, where: laid.where, ...(laid.problem ? { problem: laid.problem } : {}), ...(firstPaintMs !== undefined ? { firstPaintMs } : {}) });
}

const nextTask = () => new Promise<void>((r) => setTimeout(r));

/** 1157 → "1,157" (as toLocaleString('en-US') writes it, without the tens of ms its first call can cost). */
const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The shown node on the canvas nearest the centre of the viewport. */
function centreNode(c: cytoscape.Core): cytoscape.NodeSingular | undefined {
  const e = c.extent();
  const cx = (e.x1 + e.x2) / 2;
  const cy0 = (e.y1 + e.y2) / 2;
  let best: cytoscape.NodeSingular | undefined;
  let d = Infinity;
  c.nodes().forEach((n) => {
    if (!isShown(n)) return;
    const p = n.position();
    const dn = (p.x - cx) ** 2 + (p.y - cy0) ** 2;
    if (dn < d) {
      d = dn;
      best = n;
    }
  });
  return best;
}

/**
 * Distances from the node an edge leaves at which its words may go (model px); at each, the words sit on
 * the line or to either side of it by less than half their width, so that they always touch the line
 * they name (a shift of 72 px once left "trained on" floating beside no line in the demo's lineage).
 */
const WORD_OFFSETS = [26, 40, 56, 74, 96, 120, 150, 185, 225, 270];

/**
 * Puts each edge's words where they overlap no node and no other edge's words (layout.ts placeLabel):
 * derived-from first, then the shorter edges. Run after a layout and when the selection changes
 * (the selected node's edges show their words too).
 */
function placeEdgeWords(c: cytoscape.Core): void {
  const showing = c.edges().filter((e) => isShown(e) && !!(e.hasClass('near') ? e.data('words') : e.data('shown')));
  if (!showing.length) return;
  const taken: Box[] = [];
  c.nodes().forEach((n) => {
    if (isShown(n)) taken.push(n.boundingBox({ includeLabels: false, includeOverlays: false }));
  });
  const length = (e: cytoscape.EdgeSingular) => {
    const a = e.sourceEndpoint();
    const b = e.targetEndpoint();
    return Math.hypot(b.x - a.x, b.y - a.y);
  };
  const order = (showing.toArray() as cytoscape.EdgeSingular[]).sort((a, b) => Number(b.data('kind') === 'derived-from') - Number(a.data('kind') === 'derived-from') || length(a) - length(b));
  // not batched: each try needs the label's box at that offset
  for (const e of order) {
    const room = length(e);
    const offsets = WORD_OFFSETS.filter((o) => o <= Math.max(WORD_OFFSETS[0], room - 16));
    const place = (c: { o: number; dx: number }) => e.style({ 'source-text-offset': c.o, 'source-text-margin-x': c.dx });
    place({ o: offsets[0], dx: 0 });
    const width = e.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false }).w;
    // a horizontal shift that keeps the words over the line (4 px of them stay across it)
    const side = Math.max(0, Math.floor(width / 2 - 4));
    const candidates = [0, -side, side].flatMap((dx) => offsets.map((o) => ({ o, dx })));
    const at = placeLabel(candidates, (c) => {
      place(c);
      return e.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false });
    }, taken);
    place(at.at);
    taken.push(at.box);
  }
}

/**
 * The opening view (layout.ts openingView) of the shown nodes at their positions (a draft's or a
 * layout's, on the canvas or still waiting to be put there): the whole graph when it is readable that
 * way, else the neighbourhood of the selected node or of the newest version, readable; the hint says
 * how many nodes are off screen and offers Fit all.
 */
function openReadable(c: cytoscape.Core): void {
  const boxes = new Map<string, Box>();
  let newest: { id: string; t: number } | undefined;
  for (const n of model!.nodes) {
    const p = positions.get(n.id);
    if (hiddenNodes.has(n.id) || !p) continue;
    const sz = sizes.get(n.id)!;
    boxes.set(n.id, { x1: p.x - sz.w / 2, y1: p.y - sz.h / 2, x2: p.x + sz.w / 2, y2: p.y + sz.h / 2 });
    const t = timeOf(n.id);
    if (n.kind === 'version' && (!newest || t > newest.t)) newest = { id: n.id, t };
  }
  const start = selected && boxes.has(selected) ? selected : (newest?.id ?? boxes.keys().next().value);
  const v = openingView(boxes, (id) => neighbours.get(id) ?? [], start, c.width(), c.height());
  c.viewport({ zoom: v.zoom, pan: v.pan });
  updateHint();
}

/** "n more nodes off screen — Fit all", while some shown node is not wholly on screen. */
function updateHint(): void {
  const hint = document.getElementById('offscreen-hint');
  if (!cy || !hint) return;
  const boxes: Box[] = [];
  cy.nodes().forEach((n) => {
    if (isShown(n)) boxes.push(n.boundingBox({ includeLabels: false, includeOverlays: false }));
  });
  const e = cy.extent();
  const off = countOffScreen(boxes, e, 0.5 / cy.zoom());
  hint.dataset.count = String(off);
  hint.querySelector('.text')!.textContent = `${thousands(off)} more node${off === 1 ? '' : 's'} off screen — `;
  hint.hidden = off === 0;
}

function matches(n: LineageViewNode, q: string): boolean {
  const hay = [n.label, n.model, n.subject, n.commit, n.path, n.oid, n.version !== undefined ? `v${n.version}` : '', ...(n.aliases ?? []), ...(n.tags ?? [])];
  return hay.some((x) => x && x.toLowerCase().includes(q));
}

function applySearch(zoomTo: boolean): void {
  if (!cy) return;
  const c = cy;
  const q = state.search.trim().toLowerCase();
  const count = document.getElementById('search-count');
  // only the elements shown change class (a filter may hide most of a large graph; restyling it is a long task)
  const shown = (id: string) => !hiddenNodes.has(id);
  const hits = q ? c.nodes().filter((n) => shown(n.id()) && matches(byId.get(n.id())!, q)) : c.collection();
  const hitIds = new Set(hits.map((n) => n.id()));
  c.batch(() => {
    c.elements('.match, .dim').removeClass('match dim');
    if (q) {
      c.nodes().filter((n) => shown(n.id()) && !hitIds.has(n.id())).addClass('dim');
      c.edges().filter((e) => shown(e.data('source')) && shown(e.data('target'))).addClass('dim');
      hits.addClass('match');
    }
  });
  if (count) count.textContent = q ? `${hits.length} match${hits.length === 1 ? '' : 'es'}` : '';
  document.getElementById('graph')!.dataset.matches = String(hits.length);
  for (const li of document.querySelectorAll<HTMLElement>('#lineage-nodes li')) li.toggleAttribute('data-match', hitIds.has(li.dataset.id ?? ''));
  if (zoomTo && hits.length) {
    c.fit(hits, 60);
    if (c.zoom() > OPEN_MAX_ZOOM) {
      c.zoom(OPEN_MAX_ZOOM);
      c.center(hits);
    }
    if (c.zoom() < READABLE_ZOOM) {
      c.zoom(READABLE_ZOOM);
      c.center(hits[0]);
    }
    select(hits[0].id(), false);
  }
}

/** The visible nodes (with their on-screen centres) and edges as lists: screen readers and tests read them. */
function listElements(): void {
  if (!cy) return;
  const nodes = document.getElementById('lineage-nodes')!;
  const edges = document.getElementById('lineage-edges')!;
  const items: HTMLElement[] = [];
  cy.nodes().forEach((n) => {
    if (!isShown(n)) return;
    const v = byId.get(n.id())!;
    const p = n.renderedPosition();
    items.push(
      h('li', { 'data-id': v.id, 'data-kind': v.kind, 'data-x': String(Math.round(p.x)), 'data-y': String(Math.round(p.y)), ...(n.hasClass('match') ? { 'data-match': '' } : {}) },
        `${KIND_LABEL[v.kind]}: ${nodeLabel(v).replace('\n', ' ')}`),
    );
  });
  nodes.replaceChildren(...items);
  const es: HTMLElement[] = [];
  cy.edges().forEach((e) => {
    if (!isShown(e)) return;
    const s = byId.get(e.data('source'))!;
    const t = byId.get(e.data('target'))!;
    const words = relationWords(e.data('kind') as LineageEdgeKindText, e.data('label') || undefined, 'in');
    es.push(h('li', { 'data-kind': e.data('kind'), 'data-source': s.id, 'data-target': t.id }, `${t.label} ${words} ${s.label}`));
  });
  edges.replaceChildren(...es);
}

function select(id: string | undefined, center: boolean): void {
  selected = id && byId.has(id) ? id : undefined;
  if (cy) {
    cy.nodes(':selected').unselect();
    cy.edges('.near').removeClass('near');
    if (selected) {
      const el = cy.getElementById(selected);
      el.select();
      el.connectedEdges().addClass('near');
      placeEdgeWords(cy);
      if (center) cy.center(el);
    }
  }
  renderDetails();
}

function renderDetails(): void {
  const pane = document.getElementById('details');
  if (!pane) return;
  const n = selected ? byId.get(selected) : undefined;
  if (!n) {
    pane.replaceChildren(h('p', { class: 'empty' }, 'Click a node to see its details.'));
    pane.removeAttribute('data-id');
    return;
  }
  pane.dataset.id = n.id;
  const facts: [string, string, boolean?][] = [];
  const add = (k: string, v: string | number | undefined, mono = false) => {
    if (v !== undefined && v !== '') facts.push([k, String(v), mono]);
  };
  add('Model', n.model, true);
  if (n.kind === 'version') add('Version', n.version !== undefined ? `v${n.version}` : 'not in this branch');
  add('Commit', n.commit, true);
  add('Subject', n.subject);
  add('Author', n.author);
  add('Date', n.date ? new Date(n.date).toLocaleString() : undefined);
  add('Aliases', n.aliases?.join(', '));
  add('Tags', n.tags?.join(', '));
  add('Content', n.contentId, true);
  add('Path', n.path, true);
  add('sha256', n.oid, true);
  add('Rows', n.rows);
  const rels: HTMLElement[] = [];
  for (const e of edges) {
    const other = e.source === n.id ? e.target : e.target === n.id ? e.source : undefined;
    if (!other) continue;
    const o = byId.get(other)!;
    const a = h('a', { tabindex: '0', role: 'link', 'data-id': o.id }, o.label);
    a.addEventListener('click', () => select(o.id, true));
    a.addEventListener('keydown', (ev) => {
      if ((ev as KeyboardEvent).key === 'Enter') select(o.id, true);
    });
    rels.push(h('div', { class: 'rel', 'data-kind': e.kind }, h('span', { class: 'words' }, relationWords(e.kind, e.label, e.source === n.id ? 'out' : 'in')), ' ', a));
  }
  /** name/value rows (parameters, metrics) as a table */
  const table = (cls: string, caption: string, rows: [string, string][], numeric: boolean) =>
    h('table', { class: `kv ${cls}`, 'aria-label': caption }, h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', { scope: 'row', class: 'mono' }, k), h('td', numeric ? { class: 'num mono' } : { class: 'mono' }, v)))));
  const actions = LINEAGE_ACTIONS[n.kind]
    .filter((a) => !(n.external && a !== 'copyId'))
    .map((a) => {
      const b = button(ACTION_LABEL[a][0], ACTION_LABEL[a][1], () => post({ type: 'action', action: a, id: n.id }));
      b.dataset.action = a;
      return b;
    });
  pane.replaceChildren(
    h('div', { class: 'kind' }, KIND_LABEL[n.kind]),
    h('h2', null, nodeLabel(n).replace('\n', ' ')),
    h('div', { class: 'actions' }, ...actions),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v, mono]) => [h('dt', null, k), h('dd', mono ? { class: 'mono' } : null, v)])),
    ...(n.metrics?.length ? [h('h3', null, 'Metrics'), table('metrics', 'Metrics', n.metrics.map((x) => [x.name, x.value]), true)] : []),
    ...(n.params?.length ? [h('h3', null, 'Training parameters'), table('params', 'Training parameters', n.params.map((x) => [x.key, x.value]), false)] : []),
    ...(rels.length ? [h('h3', null, 'Relations'), ...rels] : []),
  );
}

// before saying ready: the host sends the graph once the page is ready, and reads it meanwhile (what
// fails here fails the same way when a graph arrives: the boot script shows it and tells the host)
warmUp();
post({ type: 'ready' });
