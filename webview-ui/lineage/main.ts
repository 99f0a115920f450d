/**
 * Lineage panel: the graph of model versions, datasets, code commits and evaluations
 * (src/shared/lineageProtocol.ts), laid out by cytoscape + dagre. Node kinds differ in colour AND
 * shape; aliases and tags are on their versions. Filter by model, search, hide datasets / code /
 * evaluations, fit and zoom; a click shows the node's details with actions that go back to the host
 * as intents. Every string from the repository goes in as text (h(), cytoscape labels), never as HTML.
 * The visible nodes and edges are also listed in #lineage-nodes / #lineage-edges (screen readers, tests).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import {
  LINEAGE_ACTIONS,
  type LineageHostMessage,
  type LineageIntent,
  type LineageViewKind,
  type LineageViewModel,
  type LineageViewNode,
  type LineageWebviewMessage,
} from '../../src/shared/lineageProtocol';
import { connect, h } from '../shared/vscodeApi';
import { LAYOUT_OPTIONS, layoutElements } from './layout';

cytoscape.use(dagre);
// cytoscape would add an inline <style> (`position: relative` on its container), which the CSP refuses;
// lineage.css has that rule, and an element with the stylesheet's id tells cytoscape it is there.
document.head.append(h('meta', { id: '__________cytoscape_stylesheet', name: 'cytoscape-container-style', content: 'lineage.css' }));

const app = document.getElementById('app')!;
const post = connect<LineageHostMessage, LineageWebviewMessage>(onMessage);

const KIND_LABEL: Record<LineageViewKind, string> = { version: 'Model version', dataset: 'Dataset', code: 'Code commit', evaluation: 'Evaluation' };
const KIND_SHAPE: Record<LineageViewKind, cytoscape.Css.NodeShape> = { version: 'round-rectangle', dataset: 'barrel', code: 'hexagon', evaluation: 'ellipse' };
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

/** below this zoom the labels cannot be read */
const READABLE_ZOOM = 0.35;
let model: LineageViewModel | undefined;
let cy: cytoscape.Core | undefined;
let byId = new Map<string, LineageViewNode>();
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
      cy?.destroy();
      cy = undefined;
      app.replaceChildren(
        h('header', { class: 'lineage-header' }, h('h1', null, h('span', { class: 'codicon codicon-type-hierarchy' }), ' ', m.title)),
        h('div', { class: 'error', role: 'alert' }, h('span', { class: 'codicon codicon-error' }), h('div', null, h('h2', null, 'The lineage could not be read'), h('p', { class: 'message' }, m.message), h('p', { class: 'hint' }, m.hint))),
        button('Refresh', 'refresh', () => post({ type: 'refresh' })),
      );
      break;
    case 'graph': {
      const first = !model;
      model = m.model;
      byId = new Map(model.nodes.map((n) => [n.id, n]));
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
    shape = document.createElementNS(ns, 'ellipse');
    for (const [k, v] of Object.entries({ cx: '11', cy: '7', rx: '10', ry: '6' })) shape.setAttribute(k, v);
  } else {
    shape = document.createElementNS(ns, 'polygon');
    shape.setAttribute('points', kind === 'code' ? '5,1 17,1 21,7 17,13 5,13 1,7' : '3,1 19,1 21,4 21,10 19,13 3,13 1,10 1,4');
  }
  shape.setAttribute('fill', color(kind));
  svg.append(shape);
  return svg;
}

function renderPanel(): void {
  const m = model!;
  const select = h('vscode-single-select', { id: 'model-filter', 'aria-label': 'Filter by model' });
  select.append(h('vscode-option', { value: '' }, `All models (${m.models.length})`));
  for (const x of m.models) select.append(h('vscode-option', { value: x.path }, `${x.path} (${x.versions})`));
  (select as unknown as { value: string }).value = state.model;
  select.addEventListener('change', () => {
    state.model = (select as unknown as { value: string }).value;
    applyFilters(true);
  });
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
    h('span', { class: 'item', role: 'listitem' }, '→ parent · ⇒ derived from · ⇢ trained on / built from / evaluated'),
    h('span', { class: 'item', role: 'listitem' }, '⟨alias⟩ #tag'),
  );
  app.replaceChildren(
    h('header', { class: 'lineage-header' }, h('h1', null, h('span', { class: 'codicon codicon-type-hierarchy' }), ' ', m.title)),
    h(
      'div',
      { class: 'toolbar', role: 'toolbar' },
      select,
      search,
      h('span', { class: 'count', id: 'search-count' }),
      ...toggles,
      button('Fit', 'screen-full', () => cy?.fit(undefined, 30)),
      button('', 'zoom-in', () => zoom(1.25)),
      button('', 'zoom-out', () => zoom(0.8)),
      button('Refresh', 'refresh', () => post({ type: 'refresh' })),
    ),
    legend,
    h(
      'div',
      { class: 'body' },
      h('div', { id: 'graph', role: 'img', 'aria-label': 'Lineage graph' }),
      h('aside', { id: 'details', 'aria-live': 'polite' }, h('p', { class: 'empty' }, 'Click a node to see its details.')),
    ),
    h('ul', { id: 'lineage-nodes', class: 'sr-only', 'aria-label': 'Nodes' }),
    h('ul', { id: 'lineage-edges', class: 'sr-only', 'aria-label': 'Edges' }),
  );
  for (const b of app.querySelectorAll('vscode-button[icon="zoom-in"], vscode-button[icon="zoom-out"]')) b.setAttribute('aria-label', b.getAttribute('icon') === 'zoom-in' ? 'Zoom in' : 'Zoom out');
  buildGraph();
}

function zoom(f: number): void {
  if (!cy) return;
  cy.zoom({ level: cy.zoom() * f, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
}

function nodeLabel(n: LineageViewNode): string {
  const marks = [...(n.aliases ?? []).map((a) => `⟨${a}⟩`), ...(n.tags ?? []).map((t) => `#${t}`)];
  return marks.length ? `${n.label}\n${marks.join(' ')}` : n.label;
}

function longestLine(s: string): number {
  return Math.max(...String(s).split('\n').map((l) => l.length));
}

function buildGraph(): void {
  const m = model!;
  cy?.destroy();
  const fg = cssVar('--vscode-foreground', '#ccc');
  const bg = cssVar('--vscode-editor-background', '#1e1e1e');
  const focus = cssVar('--vscode-focusBorder', '#007fd4');
  const alias = cssVar('--vscode-charts-green', '#89d185');
  const muted = cssVar('--vscode-descriptionForeground', '#999');
  const font = cssVar('--vscode-font-family', 'sans-serif');
  const big = m.nodes.length > 600;
  cy = cytoscape({
    container: document.getElementById('graph'),
    elements: [
      ...m.nodes.map((n) => ({ group: 'nodes' as const, data: { id: n.id, kind: n.kind, label: nodeLabel(n) }, classes: [n.kind, n.aliases?.length ? 'aliased' : '', n.external ? 'external' : ''].filter(Boolean).join(' ') })),
      ...m.edges.map((e) => ({ group: 'edges' as const, data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: e.label ?? '' }, classes: e.kind })),
    ],
    style: [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'text-wrap': 'wrap',
          'text-valign': 'center',
          'text-halign': 'center',
          'font-size': 11,
          'font-family': font,
          color: bg,
          width: (n: cytoscape.NodeSingular) => Math.max(24, Math.min(220, longestLine(n.data('label')) * 6.4)),
          height: (n: cytoscape.NodeSingular) => 12 * (String(n.data('label')).split('\n').length) + 4,
          padding: '8px',
          'border-width': 1,
          'border-color': bg,
          'min-zoomed-font-size': big ? 7 : 0,
        },
      },
      ...(['version', 'dataset', 'code', 'evaluation'] as const).map((k) => ({ selector: `node.${k}`, style: { shape: KIND_SHAPE[k], 'background-color': color(k) } })),
      { selector: 'node.aliased', style: { 'border-width': 3, 'border-color': alias } },
      { selector: 'node.external', style: { 'border-style': 'dashed', 'border-width': 2, 'border-color': fg, 'background-opacity': 0.5 } },
      { selector: 'node.dim', style: { opacity: 0.25 } },
      { selector: 'node.match', style: { 'border-width': 3, 'border-color': focus } },
      { selector: 'node:selected', style: { 'border-width': 4, 'border-color': focus, 'overlay-opacity': 0 } },
      { selector: 'edge', style: { width: 1.5, 'curve-style': big ? 'haystack' : 'bezier', 'line-color': muted, 'target-arrow-color': muted, 'target-arrow-shape': 'triangle', 'arrow-scale': 0.8 } },
      { selector: 'edge.derived-from', style: { width: 3, 'line-color': fg, 'target-arrow-color': fg } },
      { selector: 'edge.trained-on, edge.built-from, edge.evaluated, edge.evaluated-on', style: { 'line-style': 'dashed', width: 1 } },
      { selector: 'edge.dim', style: { opacity: 0.15 } },
    ],
    minZoom: 0.02,
    maxZoom: 4,
    textureOnViewport: big,
    hideEdgesOnViewport: big,
    pixelRatio: big ? 1 : 'auto',
    boxSelectionEnabled: false,
  });
  cy.on('tap', 'node', (e) => select(e.target.id(), false));
  cy.on('tap', (e) => {
    if (e.target === cy) select(undefined, false);
  });
  applyFilters(true);
}

/** Node ids shown under the model filter and the kind toggles. */
function visibleIds(): Set<string> {
  const m = model!;
  let keep: Set<string>;
  if (!state.model) keep = new Set(m.nodes.map((n) => n.id));
  else {
    // the model's versions and every version linked by parent / derived-from edges, then their inputs and evaluations
    const adj = new Map<string, string[]>();
    for (const e of m.edges) {
      if (e.kind !== 'parent' && e.kind !== 'derived-from') continue;
      (adj.get(e.source) ?? adj.set(e.source, []).get(e.source)!).push(e.target);
      (adj.get(e.target) ?? adj.set(e.target, []).get(e.target)!).push(e.source);
    }
    keep = new Set(m.nodes.filter((n) => n.kind === 'version' && n.model === state.model).map((n) => n.id));
    const queue = [...keep];
    while (queue.length) for (const o of adj.get(queue.pop()!) ?? []) if (!keep.has(o)) (keep.add(o), queue.push(o));
    for (const e of m.edges) {
      if ((e.kind === 'trained-on' || e.kind === 'built-from') && keep.has(e.target)) keep.add(e.source);
      if (e.kind === 'evaluated' && keep.has(e.source)) keep.add(e.target);
    }
    for (const e of m.edges) if (e.kind === 'evaluated-on' && keep.has(e.target)) keep.add(e.source);
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
  c.batch(() => {
    c.nodes().forEach((n) => {
      n.style('display', keep.has(n.id()) ? 'element' : 'none');
    });
  });
  if (relayout) layout();
  else {
    applySearch(false);
    listElements();
  }
}

function layout(): void {
  const c = cy!;
  const started = performance.now();
  const shown = layoutElements(c, (id) => Date.parse(byId.get(id)?.date ?? '') || 0);
  const l = shown.layout(LAYOUT_OPTIONS as unknown as cytoscape.LayoutOptions);
  l.one('layoutstop', () => {
    const ms = Math.round(performance.now() - started);
    const nodes = c.nodes().filter((n) => n.visible()).length;
    const edges = c.edges().filter((e) => e.visible()).length;
    const g = document.getElementById('graph')!;
    g.dataset.layoutMs = String(ms);
    g.dataset.nodes = String(nodes);
    g.dataset.edges = String(edges);
    if (selected && c.getElementById(selected).visible()) c.getElementById(selected).select();
    readableZoom(c);
    applySearch(false);
    listElements();
    post({ type: 'rendered', ms, nodes, edges });
  });
  l.run();
}

/**
 * A fitted graph of hundreds of versions is a thin unreadable band: zoom in to a readable level on the
 * selected node, else on the newest version shown (Fit shows everything again).
 */
function readableZoom(c: cytoscape.Core): void {
  if (c.zoom() >= READABLE_ZOOM) return;
  const shown = c.nodes().filter((n) => n.visible());
  let focus = selected ? shown.filter((n) => n.id() === selected) : c.collection();
  if (!focus.length) {
    const versions = shown.filter((n) => n.data('kind') === 'version');
    const newest = versions.max((n) => Date.parse(byId.get(n.id())?.date ?? '') || 0);
    focus = newest.ele ? c.collection().merge(newest.ele) : shown;
  }
  c.zoom(0.9);
  c.center(focus);
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
  const hits = q ? c.nodes().filter((n) => n.visible() && matches(byId.get(n.id())!, q)) : c.collection();
  c.batch(() => {
    c.elements().removeClass('match dim');
    if (q) {
      c.nodes().not(hits).addClass('dim');
      c.edges().addClass('dim');
      hits.addClass('match');
    }
  });
  if (count) count.textContent = q ? `${hits.length} match${hits.length === 1 ? '' : 'es'}` : '';
  document.getElementById('graph')!.dataset.matches = String(hits.length);
  const hitIds = new Set(hits.map((n) => n.id()));
  for (const li of document.querySelectorAll<HTMLElement>('#lineage-nodes li')) li.toggleAttribute('data-match', hitIds.has(li.dataset.id ?? ''));
  if (zoomTo && hits.length) {
    c.fit(hits, 60);
    if (c.zoom() > 1.5) {
      c.zoom(1.5);
      c.center(hits);
    }
    if (c.zoom() < READABLE_ZOOM) {
      c.zoom(0.9);
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
    if (!n.visible()) return;
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
    if (!e.visible()) return;
    const s = byId.get(e.data('source'))!;
    const t = byId.get(e.data('target'))!;
    es.push(h('li', { 'data-kind': e.data('kind'), 'data-source': s.id, 'data-target': t.id }, `${s.label} → ${t.label} (${e.data('kind')}${e.data('label') ? `: ${e.data('label')}` : ''})`));
  });
  edges.replaceChildren(...es);
}

function select(id: string | undefined, center: boolean): void {
  selected = id && byId.has(id) ? id : undefined;
  if (cy) {
    cy.nodes(':selected').unselect();
    if (selected) {
      const el = cy.getElementById(selected);
      el.select();
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
  add('Parameters', n.params, true);
  add('Path', n.path, true);
  add('sha256', n.oid, true);
  add('Metrics', n.metrics?.join(' · '));
  add('Rows', n.rows);
  const rels: HTMLElement[] = [];
  for (const e of model!.edges) {
    const other = e.source === n.id ? e.target : e.target === n.id ? e.source : undefined;
    if (!other) continue;
    const o = byId.get(other)!;
    const a = h('a', { tabindex: '0', role: 'link', 'data-id': o.id }, o.label);
    a.addEventListener('click', () => select(o.id, true));
    a.addEventListener('keydown', (ev) => {
      if ((ev as KeyboardEvent).key === 'Enter') select(o.id, true);
    });
    rels.push(h('div', { class: 'rel' }, e.source === n.id ? `${e.kind} → ` : `← ${e.kind}${e.label ? ` (${e.label})` : ''} `, a));
  }
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
    ...(rels.length ? [h('h3', null, 'Relations'), ...rels] : []),
  );
}

post({ type: 'ready' });
