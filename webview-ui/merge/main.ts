/**
 * Model Merge panel: renders a MergeViewModel (src/shared/mergeProtocol.ts). Base, ours and theirs
 * in three columns (version, commit, author, recorded metrics), then the diff of ours and of theirs
 * against the base (the diff panel's view model, summarised: verdicts, sizes, interface, graph,
 * the weights that differ), and the Take buttons. All model strings go in as text nodes (h()).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { DiffViewModel, WeightRowView } from '../../src/shared/diffProtocol';
import type { MergeDiffView, MergeHostMessage, MergeSideView, MergeViewModel, MergeWebviewMessage } from '../../src/shared/mergeProtocol';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;
const post = connect<MergeHostMessage, MergeWebviewMessage>(render);
/** differing weight rows listed per side */
const WEIGHT_ROWS = 12;

function render(m: MergeHostMessage): void {
  app.replaceChildren();
  switch (m.type) {
    case 'loading':
      app.append(
        h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-git-merge' }), ' ', m.title)),
        h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' Reading base, ours and theirs…'),
      );
      break;
    case 'error':
      app.append(
        h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-git-merge' }), ' ', m.title)),
        h('div', { class: 'error', role: 'alert' },
          h('span', { class: 'codicon codicon-error' }),
          h('div', null, h('h2', null, 'The merge could not be shown'), h('p', { class: 'message' }, m.message), h('p', { class: 'hint' }, m.hint)),
        ),
        button('Try Again', 'refresh', () => post({ type: 'refresh' })),
      );
      break;
    case 'merge':
      renderMerge(m.model);
      break;
  }
}

function button(label: string, icon: string, onClick: () => void, opts: { secondary?: boolean; id?: string; disabled?: boolean } = {}): HTMLElement {
  const attrs: Record<string, string> = { icon };
  if (opts.secondary !== false) attrs.secondary = '';
  if (opts.id) attrs.id = opts.id;
  if (opts.disabled) attrs.disabled = '';
  const b = h('vscode-button', attrs, label);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

const count = (n: number) => n.toLocaleString('en-US');

function renderMerge(m: MergeViewModel): void {
  const done = !!m.resolved;
  app.append(
    h('header', { class: 'title' },
      h('h1', null, h('span', { class: 'codicon codicon-git-merge' }), ' ', m.title),
      h('div', { class: 'subtitle' }, m.summary),
      m.sidesNote ? h('div', { class: 'subtitle sides-note' }, h('span', { class: 'codicon codicon-info' }), ' ', m.sidesNote) : null,
    ),
  );
  if (m.resolved) {
    app.append(
      h('div', { class: 'resolved', role: 'status', id: 'resolved' },
        h('span', { class: 'codicon codicon-pass' }),
        h('div', null, h('p', { class: 'staged' }, m.resolved.text), m.resolved.trailer ? h('p', null, m.resolved.trailer) : null, h('p', { class: 'next' }, m.resolved.next)),
      ),
    );
  }
  app.append(
    h('div', { class: 'toolbar take' },
      button('Take Ours', 'arrow-left', () => post({ type: 'take', side: 'ours' }), { secondary: false, id: 'take-ours', disabled: done || !m.ours.present && !m.ours.commit }),
      button('Take Theirs', 'arrow-right', () => post({ type: 'take', side: 'theirs' }), { secondary: false, id: 'take-theirs', disabled: done || !m.theirs.present && !m.theirs.commit }),
      button('Take Another Version…', 'versions', () => post({ type: 'takeVersion' }), { id: 'take-version', disabled: done }),
      button('Refresh', 'refresh', () => post({ type: 'refresh' })),
    ),
    h('p', { class: 'note' }, 'Taking a side writes that side’s whole file (never a textual merge of LFS pointers), stages it and records the choice in the commit message.'),
    h('div', { class: 'columns' }, sideCard(m.base, 'Base'), sideCard(m.ours, 'Ours'), sideCard(m.theirs, 'Theirs')),
    h('div', { class: 'diffs' }, ...m.diffs.map(diffCard)),
  );
}

function sideCard(s: MergeSideView, title: string): HTMLElement {
  const rows: [string, string | Node][] = [];
  if (s.version) rows.push(['Version', h('strong', null, s.version)]);
  if (s.shortCommit) rows.push(['Commit', h('span', { class: 'mono', title: s.commit }, s.shortCommit)]);
  if (s.subject) rows.push(['Message', s.subject]);
  if (s.author) rows.push(['Author', `${s.author}${s.date ? `, ${s.date}` : ''}`]);
  if (s.present) rows.push(['Content', h('span', { class: 'mono' }, s.content)], ['Size', s.size]);
  return h('section', { class: `side side-${s.side}`, 'data-side': s.side },
    h('h2', null, title, ' ', h('span', { class: 'git-label' }, s.gitLabel)),
    s.present ? null : h('p', { class: 'note' }, s.side === 'base' ? 'No base: the file was added on both sides.' : 'This side deleted the file.'),
    h('table', { class: 'grid facts' }, h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))),
    s.metrics.length
      ? h('div', { class: 'metrics' },
          h('h3', null, 'Recorded metrics'),
          h('table', { class: 'grid metrics' }, h('tbody', null, ...s.metrics.map((x) => h('tr', null, h('th', { class: 'mono' }, x.name), h('td', { class: 'num' }, x.value), h('td', { class: 'src' }, x.source))))),
        )
      : h('p', { class: 'note no-metrics' }, 'No metrics recorded.'),
    s.problem ? h('p', { class: 'problem', role: 'alert' }, h('span', { class: 'codicon codicon-warning' }), ' ', s.problem) : null,
  );
}

function diffCard(d: MergeDiffView): HTMLElement {
  const name = d.side === 'ours' ? 'Ours' : 'Theirs';
  const head = h('h2', null, `${name} vs base`);
  if (!d.diff) return h('section', { class: `diff diff-${d.side}`, 'data-side': d.side }, head, h('p', { class: 'note' }, d.unavailable ?? 'No diff.'));
  const x: DiffViewModel = d.diff;
  const sizes: [string, string, string][] = [
    ['File size', x.a.size, x.b.size],
    ['Parameters', x.a.parameters, x.b.parameters],
    ['Tensors', x.a.tensors, x.b.tensors],
    [x.graph.unit === 'layers' ? 'Layers' : 'Nodes', x.a.nodes, x.b.nodes],
  ];
  const differing = x.weights.rows.filter((r) => r.status !== 'identical');
  return h('section', { class: `diff diff-${d.side}`, 'data-side': d.side },
    head,
    h('ul', { class: `verdicts${x.same ? ' same' : ''}` },
      ...x.verdicts.map((v) => h('li', { class: v.breaking ? 'verdict breaking' : 'verdict' }, h('span', { class: `codicon ${v.breaking ? 'codicon-error' : x.same ? 'codicon-pass' : 'codicon-info'}` }), ' ', v.text)),
    ),
    h('table', { class: 'grid sides' },
      h('thead', null, h('tr', null, h('th', null, ''), h('th', null, 'Base'), h('th', null, name))),
      h('tbody', null, ...sizes.map(([k, a, b]) => h('tr', a === b ? null : { class: 'differs' }, h('th', null, k), h('td', null, a), h('td', null, b)))),
    ),
    h('p', { class: 'line' }, h('strong', null, 'Interface: '), x.interface.same ? 'no differences' : x.interface.changes.map((c) => c.text).join('; ')),
    h('p', { class: 'line' }, h('strong', null, 'Graph: '), x.graph.summary),
    h('p', { class: 'line' }, h('strong', null, 'Weights: '), x.weights.summary),
    differing.length ? weightTable(differing) : null,
    h('div', { class: 'toolbar' }, button('Open Full Diff', 'diff', () => post({ type: 'openDiff', side: d.side }))),
  );
}

function weightTable(rows: WeightRowView[]): HTMLElement {
  const shown = rows.slice(0, WEIGHT_ROWS);
  return h('div', null,
    h('table', { class: 'grid weights-table' },
      h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', null, 'Tensor'), h('th', null, 'Shape'), h('th', { class: 'num' }, '‖Δ‖ / ‖A‖'))),
      h('tbody', null, ...shown.map((r) =>
        h('tr', null,
          h('td', null, h('span', { class: `status status-${r.status}` }, r.status)),
          h('td', { class: 'name' }, r.nameA && r.nameB && r.nameA !== r.nameB ? `${r.nameA} → ${r.nameB}` : r.nameA || r.nameB),
          h('td', { class: 'mono' }, r.shapeA && r.shapeB && r.shapeA !== r.shapeB ? `${r.shapeA} → ${r.shapeB}` : r.shapeA || r.shapeB),
          h('td', { class: 'num' }, r.relative === null ? '–' : fmtNum(r.relative)),
        ),
      )),
    ),
    rows.length > shown.length ? h('p', { class: 'note' }, `${count(shown.length)} of ${count(rows.length)} differing tensors; Open Full Diff lists them all.`) : null,
  );
}

function fmtNum(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? Number(x.toPrecision(3)).toString() : x.toExponential(2);
}

post({ type: 'ready' });
export {};
