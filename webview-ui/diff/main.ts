/**
 * Model diff panel: renders a DiffViewModel (src/shared/diffProtocol.ts). Verdicts first, then the
 * interface, header, graph and weight sections; sections without differences start collapsed.
 * All model strings go in as text nodes (h()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { WEIGHT_STATUS_ORDER, type DiffHostMessage, type DiffViewModel, type DiffWebviewMessage, type NodeRowView, type WeightRowView } from '../../src/shared/diffProtocol';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;
const post = connect<DiffHostMessage, DiffWebviewMessage>(render);
/** rows drawn at first, and added by each "Show more" */
const PAGE = 200;

function render(m: DiffHostMessage): void {
  app.replaceChildren();
  switch (m.type) {
    case 'loading':
      app.append(
        h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-diff' }), ' ', m.title)),
        h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' Comparing the models…'),
        h('div', { class: 'subtitle' }, `A: ${m.a}`),
        h('div', { class: 'subtitle' }, `B: ${m.b}`),
      );
      break;
    case 'error':
      app.append(
        h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-diff' }), ' ', m.title)),
        h('div', { class: 'error', role: 'alert' },
          h('span', { class: 'codicon codicon-error' }),
          h('div', null,
            h('h2', null, 'The models could not be compared'),
            h('p', { class: 'message' }, m.message),
            h('p', { class: 'hint' }, m.hint),
          ),
        ),
        button('Try Again', 'refresh', () => post({ type: 'refresh' })),
      );
      break;
    case 'diff':
      renderDiff(m.model);
      break;
  }
}

function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = h('vscode-button', secondary ? { secondary: '', icon } : { icon }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** A collapsible section; `description` is the grey text beside the heading ('no differences' for unchanged ones). */
function section(title: string, description: string, count: number, open: boolean, id: string, ...body: Node[]): HTMLElement {
  const c = h('vscode-collapsible', { heading: title, description, class: 'section', id }, ...body);
  if (open) c.setAttribute('open', '');
  if (count > 0) c.append(h('vscode-badge', { slot: 'decorations', variant: 'counter' }, count.toLocaleString('en-US')));
  return c;
}

const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;
const NO_DIFFERENCES = 'no differences';

function table(cls: string, headers: string[], rows: (string | Node)[][], numeric: number[] = []): HTMLTableElement {
  return h('table', { class: `grid ${cls}` },
    h('thead', null, h('tr', null, ...headers.map((x, i) => h('th', numeric.includes(i) ? { class: 'num' } : null, x)))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c, i) => h('td', numeric.includes(i) ? { class: 'num' } : null, c))))),
  );
}

const count = (n: number) => n.toLocaleString('en-US');
const signed = (n: number) => (n > 0 ? `+${count(n)}` : n < 0 ? `−${count(-n)}` : '0');

/** 3 significant digits; exponent when tiny or huge (like the CLI). */
function fmtNum(x: number | null): string {
  if (x === null) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return Number(x.toPrecision(3)).toString();
  return x.toExponential(2);
}

function fmtPct(x: number | null): string {
  if (x === null) return '–';
  if (x === 0) return '0%';
  if (x === 1) return '100%';
  const p = x * 100;
  return `${p < 0.1 ? p.toExponential(1) : p < 99.95 ? p.toFixed(1) : '99.9'}%`;
}

/** 'a → b', or just 'a' when they are equal */
function arrow(a: string, b: string): string {
  if (!a) return b;
  if (!b || a === b) return a;
  return `${a} → ${b}`;
}

function mono(s: string): HTMLElement {
  return h('span', { class: 'mono' }, s);
}

function renderDiff(m: DiffViewModel): void {
  app.append(
    h('header', { class: 'title' },
      h('h1', null, h('span', { class: 'codicon codicon-diff' }), ' ', m.title),
      h('div', { class: 'subtitle' }, h('strong', null, 'A '), m.a.origin),
      h('div', { class: 'subtitle' }, h('strong', null, 'B '), m.b.origin),
    ),
    h('div', { class: 'toolbar' },
      button('Copy as Markdown', 'copy', () => post({ type: 'copyMarkdown' })),
      button('Compare Again', 'refresh', () => post({ type: 'refresh' })),
    ),
    h('div', { class: 'overview' },
      h('ul', { class: `verdicts${m.same ? ' same' : ''}`, 'aria-label': 'Verdicts' },
        ...m.verdicts.map((v) =>
          h('li', { class: v.breaking ? 'verdict breaking' : 'verdict' },
            h('span', { class: `codicon ${v.breaking ? 'codicon-error' : m.same ? 'codicon-pass' : 'codicon-info'}` }),
            ' ',
            v.text,
          ),
        ),
      ),
      sidesTable(m),
    ),
  );
  if (m.warnings.length) {
    app.append(h('div', { class: 'warnings' }, ...m.warnings.map((w) => h('p', null, h('span', { class: 'codicon codicon-warning' }), ' ', w))));
  }
  app.append(interfaceSection(m), headerSection(m), graphSection(m), weightsSection(m));
  app.append(h('p', { class: 'note' }, `Compared in ${count(m.elapsedMs)} ms.`));
}

function sidesTable(m: DiffViewModel): HTMLElement {
  const rows: [string, string, string][] = [
    ['Format', m.a.format, m.b.format],
    ['File size', m.a.size, m.b.size],
    ['Parameters', m.a.parameters, m.b.parameters],
    ['Tensors', m.a.tensors, m.b.tensors],
    [m.graph.unit === 'layers' ? 'Layers' : 'Nodes', m.a.nodes, m.b.nodes],
  ];
  return h('table', { class: 'grid sides' },
    h('thead', null, h('tr', null, h('th', null, ''), h('th', { title: m.a.label }, 'A'), h('th', { title: m.b.label }, 'B'))),
    h('tbody', null, ...rows.map(([k, a, b]) => h('tr', a === b ? null : { class: 'differs' }, h('th', null, k), h('td', null, a), h('td', null, b)))),
  );
}

function interfaceSection(m: DiffViewModel): HTMLElement {
  const i = m.interface;
  if (!i.changes.length) {
    const rows = i.a.map((v) => [v.io, mono(v.name), mono(v.type)]);
    return section('Interface', NO_DIFFERENCES, 0, false, 'interface',
      h('p', { class: 'note' }, 'Inputs and outputs are the same.'),
      table('interface-same', ['', 'Name', 'Type'], rows),
    );
  }
  const rows = i.changes.map((c) => [
    c.breaking ? h('span', { class: 'tag breaking' }, 'breaking') : h('span', { class: 'tag' }, 'compatible'),
    `${c.io} ${c.kind}`,
    mono(arrow(c.nameA, c.nameB)),
    mono(c.a),
    mono(c.b),
  ]);
  const breaking = i.changes.filter((c) => c.breaking).length;
  const desc = `${plural(i.changes.length, 'change')}${breaking ? `, ${count(breaking)} breaking` : ', none breaking'}`;
  return section('Interface', desc, i.changes.length, true, 'interface', table('interface', ['', 'Change', 'Name', 'A', 'B'], rows));
}

function headerSection(m: DiffViewModel): HTMLElement {
  if (!m.header.length) return section('Header and metadata', NO_DIFFERENCES, 0, false, 'header', h('p', { class: 'note' }, 'No differences in the header (IR version, opsets, producer) or the metadata.'));
  return section('Header and metadata', `${plural(m.header.length, 'field')} differ${m.header.length === 1 ? 's' : ''}`, m.header.length, true, 'header',
    table('header', ['Field', 'A', 'B'], m.header.map((x) => [mono(x.field), h('span', { class: 'value' }, x.a), h('span', { class: 'value' }, x.b)])),
  );
}

function graphSection(m: DiffViewModel): HTMLElement {
  const g = m.graph;
  const body: Node[] = [h('p', null, g.summary)];
  if (g.parameters.delta) body.push(h('p', null, `Parameters ${count(g.parameters.a)} → ${count(g.parameters.b)} (${signed(g.parameters.delta)})`));
  if (g.graphsAdded.length) body.push(h('p', null, 'Subgraphs added: ', mono(g.graphsAdded.join(', '))));
  if (g.graphsRemoved.length) body.push(h('p', null, 'Subgraphs removed: ', mono(g.graphsRemoved.join(', '))));
  if (g.opHistogram.length) {
    body.push(h('h3', null, g.unit === 'layers' ? 'Layer types whose count changed' : 'Operators whose count changed'));
    body.push(table('ops-delta', ['Op', 'A', 'B', 'Δ'], g.opHistogram.map((o) => [mono(o.op), count(o.a), count(o.b), h('span', { class: o.delta > 0 ? 'plus' : 'minus' }, signed(o.delta))]), [1, 2, 3]));
  }
  if (g.rows.length) {
    body.push(h('h3', null, g.unit === 'layers' ? 'Layers added, removed, changed or renamed' : 'Nodes added, removed, changed or renamed'));
    body.push(nodeTable(g.rows, g.rowsOmitted));
  }
  const rows = g.rows.length + g.rowsOmitted;
  const parts = [
    rows && `${plural(rows, g.unit === 'layers' ? 'layer' : 'node')} differ${rows === 1 ? 's' : ''}`,
    g.opHistogram.length && `${plural(g.opHistogram.length, 'op count')} changed`,
    g.graphsAdded.length + g.graphsRemoved.length && `${plural(g.graphsAdded.length + g.graphsRemoved.length, 'subgraph')} added or removed`,
    g.parameters.delta && `parameters ${signed(g.parameters.delta)}`,
  ].filter(Boolean);
  return section('Graph', g.same ? NO_DIFFERENCES : parts.join(', ') || 'differs', rows, !g.same, 'graph', ...body);
}

function nodeTable(all: NodeRowView[], omitted: number): HTMLElement {
  const body = h('tbody', null);
  const note = h('div', { class: 'note' });
  let shown = PAGE;
  const more = button('Show More', 'chevron-down', () => {
    shown += PAGE;
    draw();
  });
  const draw = () => {
    body.replaceChildren(
      ...all.slice(0, shown).map((r) =>
        h('tr', null,
          h('td', null, h('span', { class: `status status-${r.status}` }, r.status)),
          h('td', { class: 'name' }, arrow(r.name, r.newName ?? ''), r.graphPath ? h('span', { class: 'where' }, ` in ${r.graphPath}`) : null),
          h('td', { class: 'mono' }, arrow(r.opType, r.newOpType ?? '')),
          h('td', null, ...r.changes.map((c) => h('div', { class: 'attr' }, mono(c.key), ` ${c.a} → ${c.b}`))),
        ),
      ),
    );
    const cut = omitted ? ` (${count(omitted)} more left out)` : '';
    note.textContent = `${count(Math.min(shown, all.length))} of ${count(all.length)} shown${cut}`;
    more.style.display = all.length > shown ? '' : 'none';
  };
  draw();
  return h('div', null,
    h('table', { class: 'grid nodes' }, h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', null, 'Name'), h('th', null, 'Op'), h('th', null, 'Changes'))), body),
    note,
    more,
  );
}

// ---------------------------------------------------------------- weights

type SortKey = 'status' | 'name' | 'shape' | 'maxAbs' | 'relative' | 'cosine' | 'changedFraction';

const COLUMNS: { key: SortKey; label: string; numeric: boolean; title: string }[] = [
  { key: 'status', label: 'Status', numeric: false, title: 'identical, renamed, changed, shape-changed, dtype-changed, added, removed' },
  { key: 'name', label: 'Tensor (A → B)', numeric: false, title: 'the tensor name in A, and in B when it differs' },
  { key: 'shape', label: 'Shape', numeric: false, title: 'type and shape in A, and in B when it differs' },
  { key: 'maxAbs', label: 'max |Δ|', numeric: true, title: 'largest absolute difference of an element' },
  { key: 'relative', label: '‖Δ‖ / ‖A‖', numeric: true, title: 'relative L2 norm of the difference' },
  { key: 'cosine', label: 'Cosine', numeric: true, title: 'cosine similarity of A and B' },
  { key: 'changedFraction', label: 'Changed', numeric: true, title: 'fraction of elements that differ' },
];

function sortValue(r: WeightRowView, k: SortKey, i: number): number | string {
  switch (k) {
    case 'status':
      return WEIGHT_STATUS_ORDER[r.status] * 1e9 + i;
    case 'name':
      return (r.nameA || r.nameB).toLowerCase();
    case 'shape':
      return r.shapeA || r.shapeB;
    default:
      return r[k] ?? NaN;
  }
}

function weightsSection(m: DiffViewModel): HTMLElement {
  const w = m.weights;
  const body: Node[] = [h('p', null, w.summary)];
  if (!w.compared) body.push(h('p', { class: 'note' }, 'Weight values were not compared: tensors were paired by name only.'));
  body.push(weightTable(w.rows, w.rowsOmitted));
  const desc = w.same ? (w.compared ? NO_DIFFERENCES : 'values not compared') : w.changes || 'differs';
  return section('Weights', desc, w.differing, !w.same, 'weights', ...body);
}

function weightTable(all: WeightRowView[], omitted: number): HTMLElement {
  const filter = h('vscode-textfield', { id: 'weight-filter', class: 'filter', placeholder: 'Filter by name, status or shape' }) as HTMLElement & { value: string };
  filter.append(h('span', { slot: 'content-before', class: 'codicon codicon-filter' }));
  const body = h('tbody', null);
  const note = h('div', { class: 'note', id: 'weights-note' });
  let shown = PAGE;
  let sortKey: SortKey | undefined;
  let descending = false;
  const heads = COLUMNS.map((c) => {
    const th = h('th', { class: `sortable${c.numeric ? ' num' : ''}`, title: `${c.title} (click to sort)`, tabindex: '0', 'aria-sort': 'none', 'data-key': c.key }, c.label);
    const sort = () => {
      if (sortKey === c.key) descending = !descending;
      else {
        sortKey = c.key;
        descending = c.numeric && c.key !== 'cosine'; // biggest differences first; lowest cosine first
      }
      shown = PAGE;
      draw();
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        sort();
      }
    });
    return th;
  });
  const more = button('Show More', 'chevron-down', () => {
    shown += PAGE;
    draw();
  });

  const matches = (r: WeightRowView, q: string) => `${r.status} ${r.nameA} ${r.nameB} ${r.shapeA} ${r.shapeB}`.toLowerCase().includes(q);
  const draw = () => {
    const q = (filter.value ?? '').trim().toLowerCase();
    let rows = all.map((r, i) => ({ r, i })).filter((x) => !q || matches(x.r, q));
    if (sortKey) {
      const k = sortKey;
      const dir = descending ? -1 : 1;
      rows = rows
        .map((x) => ({ ...x, v: sortValue(x.r, k, x.i) }))
        .sort((x, y) => {
          const a = x.v;
          const b = y.v;
          const an = typeof a === 'number' && Number.isNaN(a);
          const bn = typeof b === 'number' && Number.isNaN(b);
          if (an || bn) return an && bn ? x.i - y.i : an ? 1 : -1; // no value: last either way
          const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
          return c * dir || x.i - y.i;
        });
    }
    for (const th of heads) th.setAttribute('aria-sort', th.dataset.key === sortKey ? (descending ? 'descending' : 'ascending') : 'none');
    body.replaceChildren(...rows.slice(0, shown).map(({ r }) => weightRowEl(r)));
    const cut = omitted ? `; ${count(omitted)} more rows were left out of this view` : '';
    note.textContent = `${count(Math.min(shown, rows.length))} of ${count(rows.length)} shown${q ? ` (filtered from ${count(all.length)})` : ''}${cut}`;
    more.style.display = rows.length > shown ? '' : 'none';
  };
  filter.addEventListener('input', () => {
    shown = PAGE;
    draw();
  });
  draw();
  return h('div', { class: 'weights' },
    filter,
    h('table', { class: 'grid weights-table', id: 'weights-table' }, h('thead', null, h('tr', null, ...heads)), body),
    note,
    more,
  );
}

function weightRowEl(r: WeightRowView): HTMLElement {
  const label = r.status === 'renamed' ? 'renamed' : r.status;
  return h('tr', { class: r.small ? 'small' : '' },
    h('td', null, h('span', { class: `status status-${r.status}` }, label)),
    h('td', { class: 'name' }, arrow(r.nameA, r.nameB), r.small ? h('span', { class: 'where', title: 'a small constant (shape, axes, epsilon): not counted among the weights' }, ' (constant)') : null),
    h('td', { class: 'mono' }, arrow(r.shapeA, r.shapeB)),
    h('td', { class: 'num' }, fmtNum(r.maxAbs)),
    h('td', { class: 'num' }, fmtNum(r.relative)),
    h('td', { class: 'num' }, r.cosine === null ? '–' : r.cosine.toFixed(4)),
    h('td', { class: 'num' }, fmtPct(r.changedFraction)),
  );
}

post({ type: 'ready' });
export {};
