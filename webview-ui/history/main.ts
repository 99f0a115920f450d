/**
 * Metric History panel: renders a HistoryViewModel (src/shared/historyProtocol.ts). One Chart.js line
 * chart per metric (x = the model's versions in order; one line per source — commit trailers, each
 * evaluation dataset, notes — so values measured on different datasets are never joined), aliases and
 * tags marked on their versions (point style + a labelled guide line), the test-set resampling 95%
 * interval as whiskers, a tooltip with the version's message, author and date. A click on a point or
 * a table row reveals that version in the Model Versions tree. Below, the same numbers as a table.
 * Charts are bundled (no CDN), coloured from the theme's CSS variables and redrawn when it changes;
 * every string goes in as a text node (h()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Chart, ChartEvent, Plugin, TooltipItem } from 'chart.js' with { 'resolution-mode': 'import' };
import { metricExtent, type HistoryHostMessage, type HistoryMetricView, type HistoryViewModel, type HistoryWebviewMessage } from '../../src/shared/historyProtocol';
import { formatMetric } from '../../src/shared/lineageText';
import { alpha, chartColour, chartTheme, onThemeChange, type ChartTheme } from '../shared/chartTheme';
import { connect, h } from '../shared/vscodeApi';
import { markText, placeMarks } from './marks';

/**
 * Chart.js (an ES module; esbuild bundles this dynamic import into history.js — nothing is fetched).
 * The panel says `ready` once it is loaded, so rendering stays synchronous.
 */
type ChartJs = typeof import('chart.js', { with: { 'resolution-mode': 'import' } });
let C: ChartJs;

const app = document.getElementById('app')!;
let charts: Chart<'line'>[] = [];
let last: HistoryViewModel | undefined;
let selected: string | undefined;
/** the metric shown ('' = all), kept across refreshes */
let only = '';

const post = connect<HistoryHostMessage, HistoryWebviewMessage>((m) => {
  switch (m.type) {
    case 'loading':
      last = undefined;
      clear();
      app.append(titleBar(m.title), h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' Reading the versions and their metrics…'));
      break;
    case 'error':
      last = undefined;
      clear();
      app.append(
        titleBar(m.title),
        h('div', { class: 'error', role: 'alert' },
          h('span', { class: 'codicon codicon-error' }),
          h('div', null, h('h2', null, 'The metric history could not be read'), h('p', { class: 'message' }, m.message), h('p', { class: 'hint' }, m.hint)),
        ),
        button('Try Again', 'refresh', () => post({ type: 'refresh' })),
      );
      break;
    case 'history':
      last = m.model;
      render(m.model);
      break;
    case 'selected':
      selected = m.commit;
      markSelected();
      break;
  }
});

// ------------------------------------------------------------------------------------------ theme

interface Theme extends ChartTheme {
  alias: string;
  tag: string;
}

const theme = (): Theme => ({ ...chartTheme(['blue', 'orange', 'purple', 'yellow', 'red', 'green']), alias: chartColour('green'), tag: chartColour('blue') });

onThemeChange(() => last && render(last));

// ------------------------------------------------------------------------------------------ page

function clear(): void {
  for (const c of charts) c.destroy();
  charts = [];
  app.replaceChildren();
}

function titleBar(title: string): HTMLElement {
  return h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-graph-line' }), ' ', title));
}

function button(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const b = h('vscode-button', secondary ? { secondary: '', icon } : { icon }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Axis ticks: 4 significant digits (0.8612, 12.35, 1.235e-5); thousands grouped. Values are formatMetric's (4 decimals, as everywhere). */
function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(3);
  if (a >= 1000) return x.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return String(Number(x.toPrecision(4)));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function render(vm: HistoryViewModel): void {
  clear();
  const t = theme();
  const sources = [...new Set(vm.metrics.flatMap((m) => m.series.map((s) => s.sourceLabel)))];
  app.append(
    titleBar(vm.title),
    h('div', { class: 'subtitle' },
      h('span', { class: 'mono', title: vm.model }, vm.model), ' · ',
      plural(vm.versions.length, 'version'), ' · ', plural(vm.metrics.length, 'metric'),
      sources.length ? ` · from ${sources.join(', ')}` : '',
    ),
  );
  const toolbar = h('div', { class: 'toolbar' }, button('Refresh', 'refresh', () => post({ type: 'refresh' })));
  if (vm.metrics.length) {
    const pick = h('vscode-single-select', { class: 'metric-pick', 'aria-label': 'Metric' },
      h('vscode-option', only === '' ? { value: '', selected: '' } : { value: '' }, 'All metrics'),
      ...vm.metrics.map((m) => h('vscode-option', only === m.name ? { value: m.name, selected: '' } : { value: m.name }, m.name)),
    );
    if (only && !vm.metrics.some((m) => m.name === only)) only = '';
    pick.addEventListener('change', () => {
      only = (pick as unknown as { value: string }).value;
      for (const f of document.querySelectorAll<HTMLElement>('figure.history-chart')) f.hidden = !!only && f.dataset.metric !== only;
    });
    toolbar.append(pick, button('Copy as CSV', 'copy', () => post({ type: 'copyCsv' })));
  }
  app.append(toolbar);

  if (!vm.metrics.length) {
    app.append(
      h('div', { class: 'empty' },
        h('span', { class: 'codicon codicon-graph-line' }),
        h('div', null,
          h('h2', null, `No metrics recorded for ${vm.modelName} yet`),
          h('p', null, 'Record them when you commit a version:'),
          h('pre', { class: 'mono example' }, vm.commitExample),
          h('p', null, 'or evaluate a version on a dataset: right-click it in the Model Versions view → Evaluate Version… (the metrics are kept in the version\'s notes, and each dataset gets its own line here).'),
          vm.versions.length ? button('Evaluate Latest Version…', 'beaker', () => post({ type: 'evaluate' }), false) : null,
        ),
      ),
    );
  } else {
    app.append(
      h('div', { class: 'legend-marks', 'aria-hidden': 'true' },
        h('span', { class: 'mark mark-alias' }, '◆'), ' alias  ',
        h('span', { class: 'mark mark-tag' }, '▲'), ' tag  ',
        h('span', { class: 'mark' }, '┬'), ' 95% resampling interval of the test set  · click a point to open that version',
      ),
    );
    const grid = h('div', { class: 'charts' });
    app.append(grid);
    for (const m of vm.metrics) grid.append(metricChart(vm, m, t));
  }
  app.append(table(vm));
  markSelected();
}

// ------------------------------------------------------------------------------------------ charts

/** Guide lines and labels on the versions that carry aliases or tags. */
const markers = (vm: HistoryViewModel, t: Theme): Plugin<'line'> => ({
  id: 'versionMarks',
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea: area, scales } = chart;
    const x = scales.x;
    ctx.save();
    ctx.font = `11px ${t.font}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    vm.versions.forEach((v, i) => {
      if (!v.aliases.length && !v.tags.length) return;
      const px = x.getPixelForValue(i);
      ctx.strokeStyle = alpha(v.aliases.length ? t.alias : t.tag, 0.55);
      ctx.setLineDash([3, 3]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
    });
    // the labels that fit, aliased and newer versions first (./marks.ts), kept inside the canvas
    for (const m of placeMarks(vm.versions, (i) => x.getPixelForValue(i), (s) => ctx.measureText(s).width, chart.width)) {
      ctx.fillStyle = vm.versions[m.index].aliases.length ? t.alias : t.tag;
      ctx.fillText(m.label, m.cx, area.top - 3);
    }
    ctx.restore();
  },
});

/** Half the width of a whisker's caps (px). */
const CAP = 4;

/**
 * The 95% resampling interval (of the test set) of each point that has one, as a whisker. Their geometry goes on
 * the figure (data-whiskers: x, the caps' y) for tests and tools.
 */
const whiskers = (figure: HTMLElement, m: HistoryMetricView, colors: string[]): Plugin<'line'> => ({
  id: 'cvWhiskers',
  afterDatasetsDraw(chart) {
    const { ctx, scales, chartArea: area } = chart;
    const drawn: { x: number; lo: number; hi: number; cap: number }[] = [];
    ctx.save();
    // nothing outside the plot: not over the axis labels, the version marks or the legend
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    ctx.lineWidth = 1.5;
    m.series.forEach((s, i) => {
      if (!chart.isDatasetVisible(i)) return;
      ctx.strokeStyle = colors[i];
      for (const p of s.points) {
        if (!p.ci95) continue;
        const px = scales.x.getPixelForValue(p.x);
        const [lo, hi] = [scales.y.getPixelForValue(p.ci95[0]), scales.y.getPixelForValue(p.ci95[1])];
        drawn.push({ x: px, lo, hi, cap: CAP });
        ctx.beginPath();
        ctx.moveTo(px, lo);
        ctx.lineTo(px, hi);
        ctx.moveTo(px - CAP, lo);
        ctx.lineTo(px + CAP, lo);
        ctx.moveTo(px - CAP, hi);
        ctx.lineTo(px + CAP, hi);
        ctx.stroke();
      }
    });
    ctx.restore();
    figure.dataset.whiskers = JSON.stringify(drawn);
  },
});

/**
 * Keeps each point's position on the figure (data-hit), so that tests and tools can find and click it,
 * and the plot area (data-area) and the y axis's range (data-y).
 */
const hitMap = (figure: HTMLElement, vm: HistoryViewModel): Plugin<'line'> => ({
  id: 'hitMap',
  afterRender(chart) {
    const hits: { v: number; s: number; x: number; y: number }[] = [];
    chart.data.datasets.forEach((_d, s) => {
      if (!chart.isDatasetVisible(s)) return;
      chart.getDatasetMeta(s).data.forEach((el, i) => {
        const p = el as unknown as { x: number; y: number; skip?: boolean };
        if (!p.skip && Number.isFinite(p.y)) hits.push({ v: vm.versions[i].version, s, x: Math.round(p.x), y: Math.round(p.y) });
      });
    });
    figure.dataset.hit = JSON.stringify(hits);
    const a = chart.chartArea;
    figure.dataset.area = JSON.stringify({ left: a.left, top: a.top, right: a.right, bottom: a.bottom });
    figure.dataset.y = JSON.stringify({ min: chart.scales.y.min, max: chart.scales.y.max });
  },
});

function metricChart(vm: HistoryViewModel, m: HistoryMetricView, t: Theme): HTMLElement {
  const colors = m.series.map((_s, i) => t.palette[i % t.palette.length]);
  const extent = metricExtent(m);
  const withPoint = new Set(m.series.flatMap((s) => s.points.map((p) => p.x)));
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': `${m.name} over ${plural(vm.versions.length, 'version')}: ${m.series.map((s) => `${s.sourceLabel}: ${s.points.map((p) => `v${vm.versions[p.x].version} ${formatMetric(p.value)}`).join(', ')}`).join('; ')}`,
  });
  const figure = h('figure', {
    class: 'history-chart',
    'data-metric': m.name,
    'data-series': String(m.series.length),
    'data-points': String(m.series.reduce((n, s) => n + s.points.length, 0)),
    'data-versions': [...withPoint].sort((a, b) => a - b).map((x) => vm.versions[x].version).join(','),
  },
    h('figcaption', null,
      h('h3', null, m.name),
      h('span', { class: 'where' }, m.lowerIsBetter ? 'lower is better' : 'higher is better'),
    ),
    h('div', { class: 'chart-box' }, canvas),
  );
  if (only && only !== m.name) figure.hidden = true;
  const pointStyle = (x: number) => (vm.versions[x].aliases.length ? 'rectRot' : vm.versions[x].tags.length ? 'triangle' : 'circle');
  const radius = (x: number) => (vm.versions[x].aliases.length ? 7 : vm.versions[x].tags.length ? 6 : vm.versions.length > 120 ? 2 : 3.5);
  const chart = new C.Chart(canvas, {
    type: 'line',
    data: {
      labels: vm.versions.map((v) => `v${v.version}`),
      datasets: m.series.map((s, i) => {
        const data: (number | null)[] = vm.versions.map(() => null);
        for (const p of s.points) data[p.x] = p.value;
        return {
          label: s.sourceLabel,
          data,
          borderColor: colors[i],
          backgroundColor: alpha(colors[i], 0.85),
          borderDash: s.sourceKind === 'notes' ? [6, 4] : s.sourceKind === 'evaluation' ? [] : [],
          borderWidth: 2,
          spanGaps: true, // one source, one dataset: joining across versions without a value is right
          pointStyle: (ctx: { dataIndex: number }) => pointStyle(ctx.dataIndex),
          pointRadius: (ctx: { dataIndex: number }) => radius(ctx.dataIndex),
          pointHoverRadius: (ctx: { dataIndex: number }) => radius(ctx.dataIndex) + 2,
          pointBorderColor: (ctx: { dataIndex: number }) => (vm.versions[ctx.dataIndex]?.aliases.length ? t.alias : vm.versions[ctx.dataIndex]?.tags.length ? t.tag : colors[i]),
          pointBorderWidth: (ctx: { dataIndex: number }) => (vm.versions[ctx.dataIndex]?.aliases.length || vm.versions[ctx.dataIndex]?.tags.length ? 2 : 1),
          tension: 0,
        };
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      layout: { padding: { top: vm.versions.some((v) => v.tags.length || v.aliases.length) ? 16 : 4 } },
      interaction: { mode: 'index', intersect: false },
      onClick: (e: ChartEvent, _els, c) => {
        const hit = c.getElementsAtEventForMode(e as unknown as Event, 'nearest', { intersect: false, axis: 'x' }, true)[0];
        const v = hit && vm.versions[hit.index];
        if (v) post({ type: 'openVersion', commit: v.commit });
      },
      onHover: (e: ChartEvent, els) => {
        const target = e.native?.target as HTMLElement | undefined;
        if (target) target.style.cursor = els.length ? 'pointer' : 'default';
      },
      scales: {
        x: { offset: true, ticks: { color: t.muted, autoSkip: true, maxRotation: 0 }, grid: { color: alpha(t.grid, 0.4) } },
        // the axis covers every interval bound as well as the values (metricExtent)
        y: { ...(extent ? { suggestedMin: extent.min, suggestedMax: extent.max } : {}), grace: '4%', ticks: { color: t.muted, callback: (v) => fmt(Number(v)) }, grid: { color: alpha(t.grid, 0.6) }, title: { display: true, text: m.name, color: t.muted } },
      },
      plugins: {
        legend: { display: true, position: 'bottom', labels: { color: t.fg, usePointStyle: true, pointStyle: 'line', font: { family: t.font } } },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => {
              const v = vm.versions[items[0]?.dataIndex ?? 0];
              return v ? [`v${v.version} · ${v.shortCommit}${v.latest ? ' · latest' : ''}`, ...(markText(v) ? [markText(v)] : [])] : '';
            },
            label: (item: TooltipItem<'line'>) => {
              const s = m.series[item.datasetIndex];
              const p = s.points.find((q) => q.x === item.dataIndex);
              if (!p) return '';
              const ci = p.ci95 ? ` (95% CI ${formatMetric(p.ci95[0])} – ${formatMetric(p.ci95[1])}${p.cvFolds ? `, ${p.cvFolds} resampled subsets` : ''})` : '';
              return `${s.sourceLabel}: ${formatMetric(p.value)}${ci}`;
            },
            footer: (items: TooltipItem<'line'>[]) => {
              const v = vm.versions[items[0]?.dataIndex ?? 0];
              if (!v) return '';
              const subject = v.subject.length > 90 ? `${v.subject.slice(0, 89)}…` : v.subject;
              return [subject, `${v.author} · ${v.dateText}`];
            },
          },
        },
      },
    },
    plugins: [markers(vm, t), whiskers(figure, m, colors), hitMap(figure, vm)],
  });
  charts.push(chart);
  return figure;
}

// ------------------------------------------------------------------------------------------ table

function table(vm: HistoryViewModel): HTMLElement {
  const cols = vm.metrics.flatMap((m) => m.series.map((s) => ({ m, s, byX: new Map(s.points.map((p) => [p.x, p])) })));
  const many = new Set(vm.metrics.filter((m) => m.series.length > 1).map((m) => m.name));
  const head = h('tr', null,
    h('th', null, 'Version'),
    ...cols.map(({ m, s }) => h('th', { class: 'num', title: `${m.name} (${s.sourceLabel})` }, m.name, many.has(m.name) || s.sourceKind !== 'commit' ? h('div', { class: 'src' }, s.sourceLabel) : null)),
    h('th', null, 'Message'),
    h('th', null, 'Author'),
    h('th', null, 'Date'),
  );
  const rows = vm.versions
    .map((v, x) => {
      const open = h('a', { href: '#', class: 'version-link', title: `Show v${v.version} in the Model Versions tree` }, `v${v.version}`);
      open.addEventListener('click', (e) => {
        e.preventDefault();
        post({ type: 'openVersion', commit: v.commit });
      });
      return h('tr', { 'data-commit': v.commit, 'data-version': String(v.version) },
        h('td', { class: 'ver' }, open, ' ', h('span', { class: 'mono where' }, v.shortCommit),
          ...v.aliases.flatMap((a) => [' ', h('span', { class: 'chip chip-alias', title: `alias ${a}` }, a)]),
          ...v.tags.flatMap((tg) => [' ', h('span', { class: 'chip chip-tag', title: `tag ${tg}` }, tg)]),
        ),
        ...cols.map(({ byX }) => {
          const p = byX.get(x);
          if (!p) return h('td', { class: 'num where' }, '–');
          return h('td', { class: 'num', 'data-value': String(p.value) }, formatMetric(p.value), p.ci95 ? h('div', { class: 'ci where' }, `[${formatMetric(p.ci95[0])}, ${formatMetric(p.ci95[1])}]`) : null);
        }),
        h('td', { class: 'msg' }, v.subject),
        h('td', null, v.author),
        h('td', { class: 'date' }, h('time', { datetime: v.date }, v.dateText)),
      );
    })
    .reverse(); // newest first, as in the tree
  return h('section', { class: 'table-section' },
    h('h3', null, 'Values'),
    h('table', { class: 'grid history-table' }, h('thead', null, head), h('tbody', null, ...rows)),
  );
}

function markSelected(): void {
  for (const tr of document.querySelectorAll<HTMLElement>('table.history-table tbody tr')) {
    const on = !!selected && tr.dataset.commit === selected;
    tr.classList.toggle('selected', on);
    if (on) tr.setAttribute('aria-selected', 'true');
    else tr.removeAttribute('aria-selected');
  }
}

void import('chart.js').then((m) => {
  m.Chart.register(m.CategoryScale, m.LinearScale, m.LineController, m.LineElement, m.PointElement, m.Legend, m.Tooltip);
  C = m;
  post({ type: 'ready' });
});
