/**
 * Model comparison panel: renders a CompareViewModel (src/shared/compareProtocol.ts): a warning
 * banner when the label column does not fit the models' output, the candidates' verdicts against the
 * baseline (Swap, or a baseline picker with more than two models, asks the host to recompute with
 * other roles), a metric chart (each model's value per metric with the test-set resampling 95%
 * interval as whiskers, the best outlined), ROC curves (binary: one per model; multiclass: one-vs-rest
 * for the class picked), metrics per model (best highlighted) with the test-set resampling spread,
 * confusion matrices as heatmaps, and export buttons. Charts are Chart.js on canvases (bundled, no
 * inline styles: the strict CSP holds), coloured from the theme's CSS variables and redrawn when the
 * theme changes; every number is also in a table. All strings go in as text nodes (h()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Chart, Plugin } from 'chart.js' with { 'resolution-mode': 'import' };
import type { CompareHostMessage, CompareMetricChart, CompareRocView, CompareViewModel, CompareWebviewMessage, ExportFormat } from '../../src/shared/compareProtocol';
import { alpha, chartTheme, onThemeChange, type ChartTheme } from '../shared/chartTheme';
import { connect, h } from '../shared/vscodeApi';

/**
 * Chart.js (an ES module; esbuild bundles this dynamic import into compare.js — nothing is fetched).
 * The panel says `ready` once it is loaded, so rendering stays synchronous.
 */
type ChartJs = typeof import('chart.js', { with: { 'resolution-mode': 'import' } });
let C: ChartJs;

const app = document.getElementById('app')!;
let charts: Chart[] = [];
let last: CompareHostMessage | undefined;
/** the class shown in the multiclass ROC chart (kept across theme redraws) */
let rocClass: number | undefined;
const post = connect<CompareHostMessage, CompareWebviewMessage>((m) => {
  if (m.type === 'report' && last?.type !== 'report') rocClass = undefined;
  last = m;
  render(m);
});

// ------------------------------------------------------------------------------------------ theme

type Theme = ChartTheme;
const theme = (): Theme => chartTheme();

onThemeChange(() => last && render(last));

// ------------------------------------------------------------------------------------------ page

function titleBar(title: string): HTMLElement {
  return h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-beaker' }), ' ', title));
}

function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = h('vscode-button', secondary ? { secondary: '', icon } : { icon }, label);
  b.addEventListener('click', onClick);
  return b;
}

function render(m: CompareHostMessage): void {
  for (const c of charts) c.destroy();
  charts = [];
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
        h('div', { class: 'actions' },
          ...(m.pickData ? [Object.assign(button('Choose the Data Again…', 'database', () => post({ type: 'pickData' }), false), { id: 'pick-data' })] : []),
          button('Run Again', 'refresh', () => post({ type: 'rerun' })),
        ),
      );
      break;
    case 'report':
      renderReport(m.model);
      break;
  }
}

const exp = (format: ExportFormat, to: 'file' | 'clipboard') => () => post({ type: 'export', format, to });

/** Swap (two models) or a baseline picker (more): the host recomputes the comparison with the new roles. */
function rolesControl(vm: CompareViewModel): HTMLElement {
  if (vm.models.length === 2) {
    const b = button('Swap Baseline and Candidate', 'arrow-swap', () => post({ type: 'baseline', model: 1 }));
    b.id = 'swap-roles';
    b.title = `Make ${vm.models[1]} the baseline and ${vm.models[0]} the candidate`;
    return b;
  }
  const select = h('vscode-single-select', { id: 'baseline-model', 'aria-label': 'Baseline' },
    ...vm.models.map((m, i) => h('vscode-option', i === 0 ? { value: String(i), selected: '' } : { value: String(i) }, m)),
  );
  select.addEventListener('change', () => {
    const v = Number((select as unknown as { value: string }).value);
    if (Number.isInteger(v) && v > 0) post({ type: 'baseline', model: v });
  });
  return h('label', { class: 'baseline-pick' }, 'Baseline: ', select);
}

function renderReport(vm: CompareViewModel): void {
  const t = theme();
  const verdictClass = (v: string) => (v === 'B better' ? 'plus' : v === 'B worse' ? 'minus' : 'where');
  const role = (i: number) => vm.roles?.[i] ?? (i === 0 ? 'baseline' : 'candidate');
  app.append(
    titleBar(vm.title),
    h('div', { class: 'subtitle' }, vm.subtitle),
  );
  if (vm.labelWarnings?.length) {
    app.append(
      h('div', { class: 'banner warning', id: 'label-warnings', role: 'alert' },
        h('span', { class: 'codicon codicon-warning' }),
        h('div', null, h('strong', null, 'The label column may not be what these models predict'), ...vm.labelWarnings.map((w) => h('p', null, w.charAt(0).toUpperCase() + w.slice(1)))),
      ),
    );
  }
  app.append(
    h('div', { class: 'toolbar' },
      rolesControl(vm),
      button('Export CSV', 'save', exp('csv', 'file')),
      button('Export JSON', 'save', exp('json', 'file')),
      button('Export Markdown', 'save', exp('md', 'file')),
      button('Copy Markdown', 'copy', exp('md', 'clipboard')),
      button('Run Again', 'refresh', () => post({ type: 'rerun' })),
    ),
  );
  for (const w of vm.warnings) app.append(h('div', { class: 'subtitle' }, h('span', { class: 'codicon codicon-warning' }), ' ', w));
  for (const n of vm.notes ?? []) app.append(h('div', { class: 'subtitle cache-note', id: 'cache-note' }, h('span', { class: 'codicon codicon-database' }), ' ', n));

  app.append(h('h3', { id: 'roles' }, `Against the baseline (${vm.models[0]})`));
  app.append(
    h('ul', { class: 'verdicts', id: 'verdicts' },
      ...vm.pairs.map((p) =>
        h('li', { class: 'verdict' },
          h('span', { class: 'codicon codicon-law' }),
          h('div', null,
            // the verdict once, in role words: "m@v2: better than the baseline at α = 0.05"
            h('strong', null, p.candidate), ': ', h('span', { class: verdictClass(p.verdict) }, p.text),
            p.mcnemar ? h('div', { class: 'where' }, p.mcnemar) : null,
            ...p.metrics.map((x) => h('div', { class: 'where' }, x)),
            p.tooSmall ? h('div', { class: 'too-small' }, h('span', { class: 'codicon codicon-info' }), ' ', p.tooSmall) : null,
          ),
        ),
      ),
    ),
  );
  if (vm.multiple) {
    app.append(h('h3', { id: 'all-models' }, `All ${vm.models.length} models together`));
    app.append(
      h('div', { class: 'multiple', id: 'multiple' },
        h('div', null, vm.multiple.summary),
        h('ul', { class: 'pairwise' }, ...vm.multiple.pairs.map((l) => h('li', { class: 'where' }, l))),
      ),
    );
  }

  if (vm.chart || vm.roc) {
    const row = h('div', { class: 'charts' });
    app.append(row);
    if (vm.chart) row.append(metricChart(vm.chart, vm.cvFolds, t));
    if (vm.roc) row.append(rocChart(vm.roc, vm.models, t));
  }

  app.append(h('h3', null, 'Metrics'), h('div', { class: 'where' }, 'Best value per metric in bold.'));
  app.append(
    h('table', { class: 'grid metrics', id: 'metrics' },
      h('thead', null, h('tr', null, h('th', null, 'metric'), ...vm.models.map((m, i) => h('th', { class: 'num' }, `${m} (${role(i)})`)))),
      h('tbody', null,
        ...vm.metrics.map((r) =>
          h('tr', null, h('td', null, r.metric), ...r.values.map((v, i) => h('td', { class: 'num mono' }, r.best.includes(i) ? h('strong', { class: 'best' }, '★ ', v) : v))),
        ),
      ),
    ),
  );

  if (vm.cvFolds > 1) {
    app.append(h('h3', null, `Test-set resampling (${vm.cvFolds} stratified subsets of the evaluation data; the models are not retrained): mean ± std [95% interval]`));
    app.append(
      h('table', { class: 'grid cv', id: 'cv' },
        h('thead', null, h('tr', null, h('th', null, 'metric'), ...vm.models.map((m, i) => h('th', { class: 'num' }, `${m} (${role(i)})`)))),
        h('tbody', null, ...vm.metrics.filter((r) => r.cv.some((c) => c)).map((r) => h('tr', null, h('td', null, r.metric), ...r.cv.map((c) => h('td', { class: 'num mono' }, c || '—'))))),
      ),
    );
  }

  if (vm.confusions.length) {
    app.append(h('h3', null, 'Confusion matrices (rows = true, columns = predicted; shade = share of the true class)'));
    const wrap = h('div', { class: 'overview', id: 'confusions' });
    for (const c of vm.confusions) {
      wrap.append(
        h('div', null,
          h('div', null, h('strong', null, c.model)),
          h('table', { class: 'grid sides confusion', 'aria-label': `Confusion matrix of ${c.model}` },
            h('thead', null, h('tr', null, h('th', null, 'true \\ predicted'), ...c.classNames.map((n) => h('th', { class: 'num' }, n)))),
            h('tbody', null,
              ...c.matrix.map((row, i) => {
                const total = row.reduce((s, x) => s + x, 0);
                return h('tr', null, h('th', null, c.classNames[i]), ...row.map((x, j) => heatCell(x, total, i === j, `true ${c.classNames[i]}, predicted ${c.classNames[j]}`, t)));
              }),
            ),
          ),
        ),
      );
    }
    app.append(wrap);
  }

  // where the versions differ: per true class, then the rows they disagree on
  if (vm.byClass) {
    const bc = vm.byClass;
    const cand = vm.models.length - 1;
    app.append(h('h3', { id: 'by-class-title' }, 'Where they differ: by true class'), h('div', { class: 'where' }, bc.title));
    app.append(
      h('table', { class: 'grid by-class', id: 'by-class' },
        h('thead', null, h('tr', null, ...bc.head.map((c, j) => h('th', { class: j ? 'num' : '' }, c)))),
        h('tbody', null,
          ...bc.rows.map((r, i) =>
            h('tr', null, ...r.map((c, j) => (j === 0 ? h('td', null, c) : h('td', { class: `num mono ${j >= r.length - cand ? verdictClass(bc.verdicts[i][j - (r.length - cand)]) : ''}` }, c)))),
          ),
        ),
      ),
    );
    if (bc.omitted) app.append(h('div', { class: 'where' }, `${bc.omitted} smaller classes not shown.`));
  }
  if (vm.disagreements) {
    const d = vm.disagreements;
    app.append(
      h('h3', { id: 'disagreements-title' }, `Rows they disagree on: ${d.total.toLocaleString('en-US')}`),
      h('div', { class: 'where' },
        d.total ? `Rows some models get right and others wrong${d.shown < d.total ? ` (the first ${d.shown} shown)` : ''}; ✗ marks a wrong prediction.${d.moreFeatures ? ` ${d.moreFeatures} more feature columns are in the export.` : ''} ` : 'Every model gets the same rows right.',
        d.total ? button('Export All as CSV', 'save', () => post({ type: 'exportDisagreements' })) : null,
      ),
    );
    if (d.rows.length) {
      const first = d.head.length - vm.models.length;
      // shown as row, label, the models' predictions, then the features: the predictions are what the
      // table is about, and after ten features they were past the panel's right edge at 1440 px
      const cols = [...d.head.keys()];
      const order = [...cols.filter((j) => j < 2), ...cols.filter((j) => j >= first), ...cols.filter((j) => j >= 2 && j < first)];
      app.append(
        h('div', { class: 'scroll-x' },
          h('table', { class: 'grid disagreements', id: 'disagreements' },
            h('thead', null, h('tr', null, ...order.map((j) => h('th', { class: j === 1 || j >= first ? '' : 'num' }, d.head[j])))),
            h('tbody', null,
              ...d.rows.map((r, i) =>
                h('tr', null, ...order.map((j) => (j >= first ? h('td', { class: d.right[i][j - first] ? '' : 'minus' }, d.right[i][j - first] ? r[j] : `✗ ${r[j]}`) : h('td', { class: j === 1 ? '' : 'num mono' }, r[j])))),
              ),
            ),
          ),
        ),
      );
    }
  }
}

/** A confusion-matrix cell shaded by its share of the row: the diagonal in the theme's green, errors in red. */
function heatCell(x: number, rowTotal: number, diagonal: boolean, what: string, t: Theme): HTMLElement {
  const share = rowTotal ? x / rowTotal : 0;
  const td = h('td', { class: 'num mono heat', title: `${what}: ${x} of ${rowTotal} (${(100 * share).toFixed(1)}%)` }, diagonal ? h('strong', null, String(x)) : String(x));
  if (x > 0) td.style.backgroundColor = alpha(diagonal ? t.palette[2] : t.palette[4], 0.12 + 0.6 * share); // CSSOM, allowed by the CSP
  return td;
}

function canvasBox(id: string, label: string): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': label });
  return { box: h('div', { class: 'chart-box' }, canvas), canvas };
}

// ------------------------------------------------------------------------------------------ metric chart

/** Draws each bar's 95% resampling interval (of the test set) as a whisker. */
const whiskers = (chart: CompareMetricChart, color: string): Plugin<'bar'> => ({
  id: 'cvWhiskers',
  afterDatasetsDraw(c) {
    const y = c.scales.y;
    const ctx = c.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    chart.series.forEach((s, i) => {
      const meta = c.getDatasetMeta(i);
      if (meta.hidden) return;
      meta.data.forEach((bar, j) => {
        const lo = s.lo[j];
        const hi = s.hi[j];
        if (lo === null || hi === null) return;
        const x = bar.x;
        const w = Math.min(8, ((bar as unknown as { width: number }).width ?? 16) / 3);
        const y0 = y.getPixelForValue(lo);
        const y1 = y.getPixelForValue(hi);
        ctx.beginPath();
        ctx.moveTo(x, y0);
        ctx.lineTo(x, y1);
        ctx.moveTo(x - w, y0);
        ctx.lineTo(x + w, y0);
        ctx.moveTo(x - w, y1);
        ctx.lineTo(x + w, y1);
        ctx.stroke();
      });
    });
    ctx.restore();
  },
});

function metricChart(mc: CompareMetricChart, folds: number, t: Theme): HTMLElement {
  const label = `Bar chart of ${mc.metrics.join(', ')} per model${folds > 1 ? ` with 95% resampling intervals of the test set (${folds} subsets)` : ''}; best outlined`;
  const { box, canvas } = canvasBox('metric-chart', label);
  const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(4));
  const chart = new C.Chart(canvas, {
    type: 'bar',
    data: {
      labels: mc.metrics.map((m, i) => (mc.lowerIsBetter[i] ? `${m} (lower is better)` : m)),
      datasets: mc.series.map((s, i) => {
        const color = t.palette[i % t.palette.length];
        return {
          label: s.model,
          data: s.values,
          backgroundColor: mc.metrics.map((_, j) => alpha(color, mc.best[j].includes(i) ? 0.9 : 0.55)),
          borderColor: mc.metrics.map((_, j) => (mc.best[j].includes(i) ? t.fg : color)),
          borderWidth: mc.metrics.map((_, j) => (mc.best[j].includes(i) ? 2 : 1)),
        };
      }),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      color: t.fg,
      font: { family: t.font },
      scales: {
        x: { ticks: { color: t.fg }, grid: { color: t.grid } },
        y: { ...(mc.fraction ? { min: 0, max: 1 } : { beginAtZero: true }), ticks: { color: t.muted }, grid: { color: t.grid } },
      },
      plugins: {
        legend: { labels: { color: t.fg, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const s = mc.series[ctx.datasetIndex];
              const j = ctx.dataIndex;
              const ci = s.lo[j] !== null && s.hi[j] !== null ? `, resampling 95% [${fmt(s.lo[j])}, ${fmt(s.hi[j])}]` : '';
              return `${s.model}: ${fmt(s.values[j])}${ci}${mc.best[j].includes(ctx.datasetIndex) ? ' ★ best' : ''}`;
            },
          },
        },
      },
    },
    plugins: [whiskers(mc, t.fg)],
  });
  charts.push(chart);
  return h('figure', { class: 'chart' },
    h('figcaption', null, h('h3', null, 'Metrics per model'), h('span', { class: 'where' }, folds > 1 ? `whiskers: 95% resampling interval of the test set (${folds} subsets); best outlined` : 'best outlined')),
    box,
  );
}

// ------------------------------------------------------------------------------------------ ROC

function rocChart(roc: CompareRocView, models: string[], t: Theme): HTMLElement {
  if (rocClass === undefined || !roc.classes.includes(rocClass)) rocClass = roc.classes[0];
  const cls = rocClass;
  const curves = roc.curves.filter((c) => c.classIndex === cls);
  const className = roc.classNames[cls] ?? String(cls);
  const what = roc.binary ? `positive class ${className}` : `${className} vs rest`;
  const { box, canvas } = canvasBox('roc-chart', `ROC curves (${what}): ${curves.map((c) => `${c.model} AUC ${c.auc.toFixed(4)}`).join('; ')}`);
  const colorOf = (model: string) => t.palette[Math.max(0, models.indexOf(model)) % t.palette.length];
  const chart = new C.Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        ...curves.map((c) => ({
          label: `${c.model} (AUC ${c.auc.toFixed(3)})`,
          data: c.fpr.map((x, i) => ({ x, y: c.tpr[i] })),
          borderColor: colorOf(c.model),
          backgroundColor: colorOf(c.model),
          borderWidth: 2,
          pointRadius: 0,
          tension: 0,
          clip: 4, // a perfect curve runs along the axes: draw it over them, not under the chart's edge
        })),
        { label: 'chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: t.muted, borderDash: [4, 4], borderWidth: 1, pointRadius: 0 },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      color: t.fg,
      font: { family: t.font },
      scales: {
        x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'false-positive rate', color: t.muted }, ticks: { color: t.muted }, grid: { color: t.grid } },
        y: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'true-positive rate', color: t.muted }, ticks: { color: t.muted }, grid: { color: t.grid } },
      },
      // the legend is the list under the chart (swatches and AUC, readable by screen readers): not twice
      plugins: { legend: { display: false } },
    },
  });
  charts.push(chart);

  const head = h('figcaption', null, h('h3', null, `ROC curves (${what})`), h('span', { class: 'where' }, 'dashed: chance'));
  if (!roc.binary && roc.classes.length > 1) {
    const select = h('vscode-single-select', { id: 'roc-class', 'aria-label': 'ROC curves for class' },
      ...roc.classes.map((c) => h('vscode-option', c === cls ? { value: String(c), selected: '' } : { value: String(c) }, `${roc.classNames[c] ?? c} vs rest`)),
    );
    select.addEventListener('change', () => {
      const v = Number((select as unknown as { value: string }).value);
      if (Number.isInteger(v) && v !== rocClass) {
        rocClass = v;
        if (last) render(last);
      }
    });
    head.append(h('label', { class: 'where' }, 'class: '), select);
  }
  // the legend as text too (screen readers, tests, copying)
  const legend = h('ul', { class: 'roc-legend', id: 'roc-legend' },
    ...curves.map((c) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.backgroundColor = colorOf(c.model);
      return h('li', null, sw, `${c.model}: AUC ${c.auc.toFixed(4)}`);
    }),
  );
  return h('figure', { class: 'chart' }, head, box, legend);
}

void import('chart.js').then((m) => {
  m.Chart.register(m.BarController, m.BarElement, m.CategoryScale, m.LinearScale, m.LineController, m.LineElement, m.PointElement, m.Legend, m.Tooltip);
  C = m;
  post({ type: 'ready' });
});
