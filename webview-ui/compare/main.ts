/**
 * Model comparison panel: renders a CompareViewModel (src/shared/compareProtocol.ts): verdicts
 * against the baseline, metrics per model (best highlighted) with the cross-validation spread,
 * confusion matrices, and export buttons. All strings go in as text nodes (h()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { CompareHostMessage, CompareViewModel, CompareWebviewMessage, ExportFormat } from '../../src/shared/compareProtocol';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;
const post = connect<CompareHostMessage, CompareWebviewMessage>(render);

function titleBar(title: string): HTMLElement {
  return h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-beaker' }), ' ', title));
}

function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = h('vscode-button', secondary ? { secondary: '', icon } : { icon }, label);
  b.addEventListener('click', onClick);
  return b;
}

function render(m: CompareHostMessage): void {
  app.replaceChildren();
  switch (m.type) {
    case 'loading':
      app.append(titleBar(m.title), h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' ', m.message));
      break;
    case 'error':
      app.append(
        titleBar(m.title),
        h('div', { class: 'error', role: 'alert' },
          h('span', { class: 'codicon codicon-error' }),
          h('div', null, h('h2', null, 'The models could not be compared'), h('p', { class: 'message' }, m.message), h('p', { class: 'hint' }, m.hint)),
        ),
        button('Run Again', 'refresh', () => post({ type: 'rerun' })),
      );
      break;
    case 'report':
      renderReport(m.model);
      break;
  }
}

const exp = (format: ExportFormat, to: 'file' | 'clipboard') => () => post({ type: 'export', format, to });

function renderReport(vm: CompareViewModel): void {
  const verdictClass = (v: string) => (v === 'B better' ? 'plus' : v === 'B worse' ? 'minus' : 'where');
  app.append(
    titleBar(vm.title),
    h('div', { class: 'subtitle' }, vm.subtitle),
    h('div', { class: 'toolbar' },
      button('Export CSV', 'save', exp('csv', 'file')),
      button('Export JSON', 'save', exp('json', 'file')),
      button('Export Markdown', 'save', exp('md', 'file')),
      button('Copy Markdown', 'copy', exp('md', 'clipboard')),
      button('Run Again', 'refresh', () => post({ type: 'rerun' })),
    ),
  );
  for (const w of vm.warnings) app.append(h('div', { class: 'subtitle' }, h('span', { class: 'codicon codicon-warning' }), ' ', w));

  app.append(h('h3', null, `Against the baseline (${vm.models[0]})`));
  app.append(
    h('ul', { class: 'verdicts', id: 'verdicts' },
      ...vm.pairs.map((p) =>
        h('li', { class: 'verdict' },
          h('span', { class: 'codicon codicon-law' }),
          h('div', null,
            h('strong', null, p.candidate), ': ', h('span', { class: verdictClass(p.verdict) }, p.verdict), ' — ', p.text,
            p.mcnemar ? h('div', { class: 'where' }, p.mcnemar) : null,
            ...p.metrics.map((t) => h('div', { class: 'where' }, t)),
          ),
        ),
      ),
    ),
  );

  app.append(h('h3', null, 'Metrics'), h('div', { class: 'where' }, 'Best value per metric in bold.'));
  app.append(
    h('table', { class: 'grid metrics', id: 'metrics' },
      h('thead', null, h('tr', null, h('th', null, 'metric'), ...vm.models.map((m, i) => h('th', { class: 'num' }, i === 0 ? `${m} (baseline)` : m)))),
      h('tbody', null,
        ...vm.metrics.map((r) =>
          h('tr', null, h('td', null, r.metric), ...r.values.map((v, i) => h('td', { class: 'num mono' }, r.best.includes(i) ? h('strong', { class: 'best' }, '★ ', v) : v))),
        ),
      ),
    ),
  );

  if (vm.cvFolds > 1) {
    app.append(h('h3', null, `Cross-validation spread (${vm.cvFolds} folds): mean ± std [95% interval]`));
    app.append(
      h('table', { class: 'grid cv', id: 'cv' },
        h('thead', null, h('tr', null, h('th', null, 'metric'), ...vm.models.map((m) => h('th', { class: 'num' }, m)))),
        h('tbody', null, ...vm.metrics.filter((r) => r.cv.some((c) => c)).map((r) => h('tr', null, h('td', null, r.metric), ...r.cv.map((c) => h('td', { class: 'num mono' }, c || '—'))))),
      ),
    );
  }

  if (vm.confusions.length) {
    app.append(h('h3', null, 'Confusion matrices (rows = true, columns = predicted)'));
    const wrap = h('div', { class: 'overview' });
    for (const c of vm.confusions) {
      wrap.append(
        h('div', null,
          h('div', null, h('strong', null, c.model)),
          h('table', { class: 'grid sides confusion' },
            h('thead', null, h('tr', null, h('th', null, ''), ...c.classNames.map((n) => h('th', { class: 'num' }, n)))),
            h('tbody', null, ...c.matrix.map((row, i) => h('tr', null, h('th', null, c.classNames[i]), ...row.map((x, j) => h('td', { class: 'num mono' }, i === j ? h('strong', null, String(x)) : String(x)))))),
          ),
        ),
      );
    }
    app.append(wrap);
  }
}

post({ type: 'ready' });
