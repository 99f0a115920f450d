/**
 * Monitor panel: renders each MonitorView (src/shared/monitorProtocol.ts) as the follower reports it:
 * per version a card (traffic, latency p50/p95, accuracy; degraded below the setting), the drift table
 * (feature, KS D, p, PSI, drift mark) of the latest window and of the whole log, the alerts and notes,
 * and a roll-back button when the alias has an earlier version. Every string from the log goes in as a
 * text node (h()), never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { MonitorHostMessage, MonitorStatsJson, MonitorView, MonitorWebviewMessage } from '../../src/shared/monitorProtocol';
import { connect, h } from '../shared/vscodeApi';

const app = document.getElementById('app')!;

const post = connect<MonitorHostMessage, MonitorWebviewMessage>((m) => {
  switch (m.type) {
    case 'waiting':
      app.replaceChildren(titleBar(m.title, m.source), h('div', { class: 'loading' }, h('vscode-progress-ring', null), ' ', m.message));
      break;
    case 'error':
      app.replaceChildren(titleBar(m.title, ''), h('div', { class: 'error', role: 'alert' }, h('h2', null, 'The log cannot be followed'), h('p', { class: 'message' }, m.message), h('p', null, m.hint)), button('Restart', 'refresh', () => post({ type: 'restart' })));
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
  return h('header', { class: 'title' }, h('h1', null, h('span', { class: 'codicon codicon-pulse' }), ' ', title), source ? h('div', { class: 'source' }, source) : null);
}

function button(label: string, icon: string, onClick: () => void, secondary = true, id?: string): HTMLElement {
  const b = h('vscode-button', { ...(secondary ? { secondary: '' } : {}), icon, ...(id ? { id } : {}) }, label);
  b.addEventListener('click', onClick);
  return b;
}

const num = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '—' : String(Number(x.toFixed(d))));

function card(v: MonitorStatsJson, minAccuracy: number): HTMLElement {
  const acc = v.outcomes?.accuracy;
  const degraded = minAccuracy > 0 && acc !== undefined && acc < minAccuracy;
  const alert = degraded || v.drifted.length > 0;
  return h('div', { class: `card${alert ? ' alert' : ''}`, 'data-version': v.version },
    h('h3', null, v.version, alert ? h('span', { class: 'mark' }, degraded ? '  ⚠ degraded' : '  ⚠ drift') : null),
    h('dl', null,
      h('dt', null, 'predictions'), h('dd', { class: 'count' }, v.exposures.toLocaleString('en-US')),
      h('dt', null, 'latency p50'), h('dd', null, v.latencyMs ? `${num(v.latencyMs.p50, 1)} ms` : '—'),
      h('dt', null, 'latency p95'), h('dd', null, v.latencyMs ? `${num(v.latencyMs.p95, 1)} ms` : '—'),
      h('dt', null, 'mean prediction'), h('dd', null, num(v.prediction?.mean)),
      h('dt', null, 'accuracy'), h('dd', degraded ? { class: 'mark' } : null, v.outcomes ? `${num(acc)} (${v.outcomes.n.toLocaleString('en-US')} outcomes)` : '—'),
    ),
  );
}

function driftTable(rows: { scope: string; v: MonitorStatsJson }[], id: string): HTMLElement {
  return h('table', { class: 'data drift-table', id },
    h('thead', null, h('tr', null, ...['version', 'feature', 'n', 'KS D', 'p', 'PSI', 'drift'].map((x) => h('th', null, x)))),
    h('tbody', null, ...rows.flatMap(({ v }) => v.features.map((f) => h('tr', { class: f.drift ? 'drift' : '', 'data-feature': f.feature },
      h('td', null, v.version),
      h('td', null, f.feature),
      h('td', null, f.n.toLocaleString('en-US')),
      h('td', null, f.ks ? num(f.ks.d) : f.kind === 'text' ? '(categories)' : '—'),
      h('td', null, f.ks ? (f.ks.p < 0.001 ? '< 0.001' : num(f.ks.p)) : '—'),
      h('td', f.psiMinN ? { title: `fewer than ${f.psiMinN} values: too few for PSI to flag drift` } : null, f.psiMinN ? `${num(f.psi)} (few values)` : num(f.psi)),
      h('td', null, f.drift ? h('span', { class: 'mark drift-mark' }, '⚠ DRIFT') : ''),
    )))),
  );
}

function render(v: MonitorView): void {
  const r = v.report;
  const parts: (Node | null)[] = [titleBar(v.title, `${v.source} · following (update ${v.updates} at ${v.receivedAt.slice(11, 19)} UTC)`)];
  parts.push(h('p', { class: 'live', id: 'records' }, `${r.records.toLocaleString('en-US')} predictions, ${r.from.slice(0, 16).replace('T', ' ')} … ${r.to.slice(0, 16).replace('T', ' ')} UTC · drift when PSI ≥ ${r.thresholds.psi} or KS D ≥ ${r.thresholds.ksD} with p < ${r.thresholds.ksP}`));
  const alerts = v.alerts;
  const earlier = r.alerts.length - r.alerts.filter((a) => /whole log/.test(a)).length;
  if (alerts.length) parts.push(h('div', { class: 'alerts', id: 'alerts', role: 'alert' }, h('h2', null, h('span', { class: 'codicon codicon-warning' }), ` ${alerts.length} alert${alerts.length === 1 ? '' : 's'}`), h('ul', null, ...alerts.map((a) => h('li', null, a)))));
  else parts.push(h('p', { class: 'notes', id: 'alerts' }, 'No drift in the latest window or over the whole log.'));
  if (earlier) parts.push(h('p', { class: 'notes', id: 'earlier' }, `${earlier.toLocaleString('en-US')} version-window${earlier === 1 ? '' : 's'} of the log had drift at the time (${r.alerts.filter((a) => !/whole log/.test(a)).slice(-3).join('; ')}${earlier > 3 ? '; …' : ''}).`));
  const actions = h('div', { class: 'actions' });
  if (v.rollback) actions.append(button(v.rollback.label, 'history', () => post({ type: 'rollback' }), !alerts.length, 'rollback'), h('span', { class: 'notes' }, `${v.rollback.alias} is on ${v.rollback.current} now`));
  actions.append(button('Restart', 'refresh', () => post({ type: 'restart' })));
  parts.push(actions);
  parts.push(h('div', { class: 'cards', id: 'cards' }, ...r.versions.map((x) => card(x, v.minAccuracy))));
  const latest = r.windows[r.windows.length - 1];
  if (latest) {
    parts.push(h('h2', null, `Drift in the latest window (from ${latest.start.slice(0, 16).replace('T', ' ')} UTC)`));
    parts.push(driftTable(latest.versions.map((x) => ({ scope: 'window', v: x })), 'drift-window'));
  }
  parts.push(h('h2', null, 'Drift over the whole log'));
  parts.push(driftTable(r.versions.map((x) => ({ scope: 'all', v: x })), 'drift-all'));
  for (const ref of r.references) parts.push(h('p', { class: 'notes' }, `reference of ${ref.version}: ${ref.source} (${ref.rows.toLocaleString('en-US')} rows)`));
  for (const n of r.notes) parts.push(h('p', { class: 'notes' }, n));
  app.replaceChildren(...parts.filter((x): x is Node => !!x));
}

post({ type: 'ready' });
