/**
 * A/B Test panel: renders an AbTestView (src/shared/abtestProtocol.ts): the decision in one line first,
 * any warnings, the variants, the cumulative lift of each treatment over time with its 95 % band (an
 * SVG chart), the sample-ratio check (warning styling on a mismatch), and the buttons: set the alias
 * to the winner (or keep it), record the result in the version's notes. Every string from the log goes
 * in as a text node (h(), s()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { AbTestHostMessage, AbTestReportJson, AbTestView, AbTestWebviewMessage } from '../../src/shared/abtestProtocol';
import { s } from '../shared/svg';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;

const post = connect<AbTestHostMessage, AbTestWebviewMessage>((m) => {
  switch (m.type) {
    case 'loading':
      app.replaceChildren(titleBar(m.title, m.source), h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' Running the A/B test on the log…'));
      break;
    case 'error':
      app.replaceChildren(titleBar(m.title, ''), h('div', { class: 'error', role: 'alert' }, h('h2', null, 'The A/B test could not run'), h('p', { class: 'message' }, m.message), h('p', null, m.hint)), button('Try Again', 'refresh', () => post({ type: 'refresh' })));
      break;
    case 'report':
      render(m.view);
      break;
    case 'done':
      document.querySelector('.done')?.remove();
      document.querySelector('.actions')?.after(h('div', { class: 'done', role: 'status' }, m.message));
      break;
  }
});

function titleBar(title: string, source: string): HTMLElement {
  return h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-beaker' }), ' ', title), source ? h('div', { class: 'source' }, source) : null);
}

function button(label: string, icon: string, onClick: () => void, secondary = true, id?: string): HTMLElement {
  const b = h('vscode-button', { ...(secondary ? { secondary: '' } : {}), icon, ...(id ? { id } : {}) }, label);
  b.addEventListener('click', onClick);
  return b;
}

const isNum = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

function fmtDiff(x: number | null | undefined, r: AbTestReportJson): string {
  if (!isNum(x)) return '—';
  if (r.metric.kind === 'binary') return `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} pp`;
  return `${x >= 0 ? '+' : '−'}${Number(Math.abs(x).toPrecision(4))}`;
}

function fmtP(p: number | null | undefined): string {
  if (!isNum(p)) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function render(v: AbTestView): void {
  const r = v.report;
  const parts: (Node | null)[] = [titleBar(v.title, `${v.source} · ${r.records.toLocaleString('en-US')} exposures, ${r.from.slice(0, 16).replace('T', ' ')} … ${r.to.slice(0, 16).replace('T', ' ')} UTC · metric ${r.metric.name}`)];
  parts.push(h('div', { class: `decision${v.action.winner ? '' : ' neutral'}`, id: 'decision', role: 'status' }, r.decision));
  for (const w of r.warnings) parts.push(h('p', { class: 'line warning' }, h('span', { class: 'codicon codicon-warning' }), ' ', w));

  // the action that follows
  const actions = h('div', { class: 'actions' });
  const a = v.action;
  if (a.winner && a.winner !== a.current) {
    actions.append(button(`Set ${a.alias} → ${a.winner}`, 'check', () => post({ type: 'setAlias', version: a.winner! }), false, 'set-alias'));
    if (a.current) actions.append(h('span', { class: 'notes' }, `${a.alias} is on ${a.current} now`));
  }
  else if (a.current) actions.append(h('span', { class: 'keep' }, `Keep ${a.alias} on ${a.current}`, a.winner ? ' (it is the winner)' : ' (no version did significantly better)'));
  if (v.recordTo) actions.append(button(`Record in notes of ${v.recordTo}`, 'note', () => post({ type: 'recordNotes' }), true, 'record-notes'));
  actions.append(button('Run Again', 'refresh', () => post({ type: 'refresh' })));
  parts.push(actions);

  // variants
  const kindHead = r.metric.kind === 'binary' ? 'rate' : 'mean';
  parts.push(h('h2', null, 'Variants'));
  parts.push(
    h('table', { class: 'data', id: 'variants' },
      h('thead', null, h('tr', null, ...['version', 'exposures', 'share (declared)', 'with outcome', kindHead].map((x) => h('th', null, x)))),
      h('tbody', null, ...r.variants.map((x) => h('tr', null,
        h('td', null, x.label),
        h('td', null, x.exposures.toLocaleString('en-US')),
        h('td', null, `${((100 * x.exposures) / Math.max(1, r.records)).toFixed(1)} % (${(100 * x.expectedShare).toFixed(1)} %)`),
        h('td', null, x.withOutcome.toLocaleString('en-US')),
        h('td', null, !isNum(x.mean) ? '—' : r.metric.kind === 'binary' ? `${(100 * x.mean).toFixed(2)} %` : String(Number(x.mean.toPrecision(5)))),
      ))),
    ),
  );
  parts.push(
    h('table', { class: 'data', id: 'comparisons' },
      h('thead', null, h('tr', null, ...['comparison', 'difference', '95 % CI', 'p', 'always-valid p', 'more exposures needed'].map((x) => h('th', null, x)))),
      h('tbody', null, ...r.comparisons.map((c) => h('tr', null,
        h('td', null, `${c.treatment} vs ${c.control}`),
        h('td', null, fmtDiff(c.diff, r)),
        h('td', null, `[${fmtDiff(c.diffCI[0], r)}, ${fmtDiff(c.diffCI[1], r)}]`),
        h('td', null, fmtP(c.p)),
        h('td', null, fmtP(c.alwaysValidP)),
        h('td', null, isNum(c.moreExposures) ? c.moreExposures.toLocaleString('en-US') : '—'),
      ))),
    ),
  );

  // the sample-ratio check
  parts.push(h('p', { class: `srm${r.srm.mismatch ? ' warning' : ''}`, id: 'srm' }, r.srm.mismatch ? h('span', { class: 'codicon codicon-warning' }) : null, ` Sample ratio: ${r.srm.text}, p = ${fmtP(r.srm.p)} — ${r.srm.mismatch ? 'MISMATCH: the split is not what was declared; the comparison may be biased' : 'as declared'}`));

  // cumulative lift over time
  r.comparisons.forEach((c, i) => {
    parts.push(h('h2', null, `Cumulative lift of ${c.treatment} over ${c.control}, with its 95 % interval`));
    parts.push(liftChart(r, i));
  });
  app.replaceChildren(...parts.filter((x): x is Node => !!x));
}

/** One treatment's cumulative difference over time, its 95 % band, and the zero line. */
function liftChart(r: AbTestReportJson, i: number): Node {
  const pts = r.timeline.map((t) => ({ t: t.end, ...t.lifts[i] })).filter((p) => isNum(p.diff) && isNum(p.lo) && isNum(p.hi)) as { t: number; diff: number; lo: number; hi: number }[];
  const W = 860;
  const H = 260;
  const m = { l: 70, r: 16, t: 10, b: 34 };
  if (pts.length < 2) return h('p', { class: 'notes' }, 'Too few hours in the log to draw the lift over time.');
  const t0 = pts[0].t;
  const t1 = pts[pts.length - 1].t;
  // the band of the first hours can be very wide: the axis covers the later 90 % of looks fully
  const settled = pts.slice(Math.floor(pts.length * 0.1));
  let lo = Math.min(0, ...settled.map((p) => p.lo));
  let hi = Math.max(0, ...settled.map((p) => p.hi));
  const pad = (hi - lo) * 0.08 || 0.01;
  lo -= pad;
  hi += pad;
  const x = (t: number) => m.l + ((t - t0) / (t1 - t0 || 1)) * (W - m.l - m.r);
  const y = (v: number) => m.t + (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (H - m.t - m.b);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `cumulative lift of ${r.comparisons[i].treatment}` });
  // round ticks, 1, 2, 2.5 or 5 × 10^k apart, four to six of them
  const raw = (hi - lo) / 6;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((x) => x >= raw) ?? 10 * mag;
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    svg.append(s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }), s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, Math.abs(v) < step * 1e-6 ? '0' : fmtDiff(v, r)));
  }
  const band = pts.map((p) => `${x(p.t)},${y(p.hi)}`).concat([...pts].reverse().map((p) => `${x(p.t)},${y(p.lo)}`));
  svg.append(s('polygon', { class: 'band', points: band.join(' ') }));
  svg.append(s('line', { class: 'zero', x1: m.l, x2: W - m.r, y1: y(0), y2: y(0) }));
  svg.append(s('polyline', { class: 'lift', points: pts.map((p) => `${x(p.t)},${y(p.diff)}`).join(' ') }));
  svg.append(s('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }));
  for (let k = 0; k <= 4; k++) {
    const t = t0 + ((t1 - t0) * k) / 4;
    const label = new Date(t).toISOString().slice(5, 16).replace('T', ' ');
    svg.append(s('text', { x: x(t), y: H - m.b + 16, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle' }, label));
  }
  const last = pts[pts.length - 1];
  svg.append(s('title', {}, `last look: ${fmtDiff(last.diff, r)} [${fmtDiff(last.lo, r)}, ${fmtDiff(last.hi, r)}]`));
  return svg;
}

post({ type: 'ready' });
