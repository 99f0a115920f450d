/** Inspect panel: renders an InspectViewModel. All model strings go in as text nodes. */
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { InspectHostMessage, InspectViewModel, InspectWebviewMessage, TensorRow } from '../../src/shared/webviewProtocol';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;
const post = connect<InspectHostMessage, InspectWebviewMessage>(render);
const PAGE = 200;

function render(m: InspectHostMessage): void {
  app.replaceChildren();
  switch (m.type) {
    case 'loading':
      app.append(h('div', { class: 'loading' }, h('vscode-progress-ring', null), ` Reading ${m.fileName}…`));
      break;
    case 'error':
      app.append(
        h('div', { class: 'error', role: 'alert' },
          h('span', { class: 'codicon codicon-error' }),
          h('div', null, h('h2', null, `Cannot read ${m.fileName}`), h('p', { class: 'message' }, m.message)),
        ),
        button('Try again', () => post({ type: 'refresh' })),
      );
      break;
    case 'summary':
      renderModel(m.model);
      break;
  }
}

function button(label: string, onClick: () => void): HTMLElement {
  const b = h('vscode-button', { secondary: '' }, label);
  b.addEventListener('click', onClick);
  return b;
}

function section(title: string, count: number | null, body: Node, open = true): HTMLElement {
  const c = h('vscode-collapsible', { heading: title, class: 'section' }, body);
  if (open) c.setAttribute('open', '');
  if (count !== null) {
    const badge = h('vscode-badge', { slot: 'decorations', variant: 'counter' }, String(count));
    c.append(badge);
  }
  return c;
}

function table(headers: string[], rows: (string | Node)[][], cls = ''): HTMLTableElement {
  return h('table', { class: `grid ${cls}` },
    h('thead', null, h('tr', null, ...headers.map((x) => h('th', null, x)))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...r.map((c) => h('td', null, c))))),
  );
}

function renderModel(m: InspectViewModel): void {
  app.append(
    h('header', { class: 'title' },
      h('h1', null, h('span', { class: 'codicon codicon-symbol-structure' }), ' ', m.fileName),
      h('div', { class: 'subtitle' }, `${m.format} · ${m.size} · ${m.displayPath}`),
    ),
    h('dl', { class: 'facts' }, ...m.facts.flatMap((f) => [h('dt', null, f.label), h('dd', null, f.value)])),
  );
  if (m.warnings.length) {
    app.append(h('div', { class: 'warnings' }, ...m.warnings.map((w) => h('p', null, h('span', { class: 'codicon codicon-warning' }), ' ', w))));
  }
  if (!m.inputs.length && !m.outputs.length && !m.ops.length) {
    // safetensors, GGUF, PyTorch state dicts: weights only, no empty tables with "0" badges
    app.append(h('p', { class: 'note weights-only' }, 'This file stores weights only: no inputs, outputs or graph are recorded in it.'));
  } else {
    app.append(
      section('Inputs', m.inputs.length, table(['Name', 'Type', 'Shape'], m.inputs.map((v) => [v.name, v.dtype, v.shape]), 'io inputs')),
      section('Outputs', m.outputs.length, table(['Name', 'Type', 'Shape'], m.outputs.map((v) => [v.name, v.dtype, v.shape]), 'io outputs')),
      section(/^(ONNX|TFLite)/.test(m.format) ? 'Operators' : 'Layers', m.ops.length,
        h('div', { class: 'ops' }, ...m.ops.map((o) => h('span', { class: 'op' }, o.op, h('span', { class: 'op-count' }, `×${o.count}`))))),
    );
  }
  if (m.metadata.length) {
    app.append(section('Metadata', m.metadata.length, table(['Key', 'Value'], m.metadata.map((x) => [x.key, x.value]), 'metadata'), false));
  }
  app.append(section('Weights', m.tensorTotal, tensorTable(m.tensors, m.tensorTotal)));
}

function tensorTable(all: TensorRow[], total: number): HTMLElement {
  const wrap = h('div', { class: 'tensors' });
  const filter = h('vscode-textfield', { placeholder: 'Filter by name, type or op', class: 'filter' }) as HTMLElement & { value: string };
  const note = h('div', { class: 'note' });
  const body = h('tbody', null);
  let shown = PAGE;
  const more = button('Show more', () => {
    shown += PAGE;
    draw();
  });
  const draw = () => {
    const q = (filter.value ?? '').toLowerCase();
    const rows = q ? all.filter((t) => `${t.name} ${t.dtype} ${t.origin} ${t.where}`.toLowerCase().includes(q)) : all;
    body.replaceChildren(
      ...rows.slice(0, shown).map((t) =>
        h('tr', null,
          h('td', { class: 'name' }, t.name),
          h('td', null, t.dtype),
          h('td', null, `[${t.shape.join(', ')}]`),
          h('td', { class: 'num' }, t.params.toLocaleString('en-US')),
          h('td', null, t.origin + (t.where ? ` · ${t.where}` : '')),
        ),
      ),
    );
    const cut = total > all.length ? ` (the ${all.length.toLocaleString('en-US')} largest of ${total.toLocaleString('en-US')})` : '';
    note.textContent = `${Math.min(shown, rows.length)} of ${rows.length} shown${cut}`;
    more.style.display = rows.length > shown ? '' : 'none';
  };
  filter.addEventListener('input', () => {
    shown = PAGE;
    draw();
  });
  wrap.append(
    filter,
    h('table', { class: 'grid tensors-table' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Shape'), h('th', null, 'Parameters'), h('th', null, 'Kind'))),
      body),
    note,
    more,
  );
  draw();
  return wrap;
}

post({ type: 'ready' });
