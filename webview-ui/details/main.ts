/**
 * Version Details (a webview view in the Source Control side bar): renders the host's state messages
 * (src/shared/detailsProtocol.ts). Compact for a narrow side bar; theme colours only. All model and
 * commit strings go in as text nodes. Messages older than the newest request are ignored; a message
 * without content keeps what is shown and only toggles the progress bar at the top.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type {
  DetailsAction,
  DetailsContent,
  DetailsHostMessage,
  DetailsWebviewMessage,
  DiffState,
  DiffSummary,
  VersionRecord,
} from '../../src/shared/detailsProtocol';
import { connect, h } from '../shared/vscodeApi';
import { DETAILS_CSS } from './styles';

const sheet = new CSSStyleSheet();
sheet.replaceSync(DETAILS_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const app = document.getElementById('app')!;
const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Loading', hidden: '' }, h('div', { class: 'progress-slider' }));
const record = h('div', { class: 'record' });
const changes = h('div', { class: 'changes' });
app.replaceChildren(bar, record, changes);

let latest = -1;
/** the request whose content is shown, and the JSON of its parts (re-rendered only when changed) */
let shownId = 0;
let recordJson = '';
let diffJson = '';

const post = connect<DetailsHostMessage, DetailsWebviewMessage>((m) => {
  if (m.type !== 'state' || m.requestId < latest) return; // stale
  latest = m.requestId;
  bar.toggleAttribute('hidden', !m.loading);
  document.body.classList.toggle('busy', m.loading);
  if (m.content) render(m.requestId, m.content);
});

function render(id: number, c: DetailsContent): void {
  shownId = id;
  app.dataset.kind = c.kind;
  const { diff, ...rest } = c.kind === 'version' ? c : { ...c, diff: undefined };
  const rj = JSON.stringify(rest);
  const recordChanged = rj !== recordJson;
  if (recordChanged) {
    recordJson = rj;
    record.replaceChildren(...(c.kind === 'version' ? versionRecord(c.version) : c.kind === 'model' ? modelSummary(c) : [hint(c.text)]));
  }
  const dj = JSON.stringify(diff ?? null);
  if (dj !== diffJson || recordChanged) {
    diffJson = dj;
    changes.replaceChildren(...(c.kind === 'version' && diff ? diffSection(c.version, diff) : []));
  }
  // buttons always act on the request shown now
  for (const b of record.querySelectorAll<HTMLElement>('[data-action]')) b.dataset.request = String(id);
}

function hint(text: string): HTMLElement {
  return h('p', { class: 'hint' }, h('span', { class: 'codicon codicon-info' }), ' ', text);
}

function icon(name: string, cls = ''): HTMLElement {
  return h('span', { class: `codicon codicon-${name} ${cls}`.trim(), 'aria-hidden': 'true' });
}

function button(label: string, action: DetailsAction, opts: { icon?: string; secondary?: boolean; disabled?: boolean; title?: string } = {}): HTMLElement {
  const attrs: Record<string, string> = { 'data-action': action, 'data-request': String(shownId) };
  if (opts.icon) attrs.icon = opts.icon;
  if (opts.secondary) attrs.secondary = '';
  if (opts.disabled) attrs.disabled = '';
  if (opts.title) attrs.title = opts.title;
  const b = h('vscode-button', attrs, label);
  b.addEventListener('click', () => {
    if (b.hasAttribute('disabled')) return;
    post({ type: 'action', action, requestId: Number(b.dataset.request) });
  });
  return b;
}

function field(label: string, value: Node | string, cls = ''): HTMLElement[] {
  return [h('dt', null, label), h('dd', cls ? { class: cls } : null, value)];
}

function versionRecord(v: VersionRecord): Node[] {
  const chips = [
    v.latest ? h('span', { class: 'chip latest' }, 'latest') : null,
    ...v.aliases.map((a) => h('span', { class: 'chip alias', title: `alias ${a}` }, icon('rocket'), a)),
    ...v.tags.map((t) => h('span', { class: 'chip tag', title: `tag ${t}` }, icon('tag'), t)),
  ];
  const facts = h('dl', { class: 'facts' },
    ...field('Author', h('span', { title: v.email }, v.author)),
    ...field('Date', h('time', { datetime: v.date }, v.dateText)),
    ...field('Size', v.size),
    ...(v.folder
      ? field('Storage', h('span', { title: v.folder.contentId }, `${v.folder.files} files, ${v.folder.lfs} through Git LFS`))
      : field(v.lfs ? 'LFS oid' : 'Storage', v.lfs && v.oid ? h('span', { class: 'mono ellipsis', title: `sha256:${v.oid}` }, `sha256:${v.oid.slice(0, 12)}…`) : 'plain git blob')),
    ...(v.path ? field('Path then', h('span', { class: 'mono' }, v.path)) : []),
    ...v.trailers.flatMap((t) => field(t.label, h('span', { class: 'mono' }, t.value))),
    ...v.metrics.flatMap((m) => field(m.label, h('span', { class: 'num' }, m.value))),
  );
  const hasPrev = !!v.previous;
  return [
    h('header', { class: 'head' },
      h('h1', { class: 'version' }, `v${v.version}`),
      h('span', { class: 'commit mono', title: v.commit }, icon('git-commit'), v.shortCommit),
      h('span', { class: 'model', title: v.model }, v.modelName),
    ),
    chips.some(Boolean) ? h('div', { class: 'chips' }, ...chips) : null,
    h('p', { class: 'subject' }, v.subject),
    v.body ? h('p', { class: 'body' }, v.body) : null,
    h('div', { class: 'actions' },
      button('Open Full Diff', 'openDiff', {
        icon: 'diff',
        disabled: !hasPrev,
        title: hasPrev ? `Compare v${v.previous!.version} → v${v.version}` : 'v1 has no previous version',
      }),
      button('Restore…', 'restore', { secondary: true, icon: 'discard', title: `Restore the working file to v${v.version}` }),
      button('Tag…', 'tag', { secondary: true, icon: 'tag' }),
      button('Set Alias…', 'alias', { secondary: true, icon: 'rocket' }),
    ),
    facts,
    ...commitMetrics(v),
  ].filter((x): x is HTMLElement => !!x);
}

/** The metrics typed when the version was committed (its Model-Metrics trailer). */
function commitMetrics(v: VersionRecord): HTMLElement[] {
  if (!v.commitMetrics.length) return [];
  return [
    h('h2', { class: 'metrics-title' }, 'Metrics ', h('span', { class: 'muted' }, 'recorded at commit')),
    h('dl', { class: 'facts metrics' }, ...v.commitMetrics.flatMap((m) => field(m.label, h('span', { class: 'num' }, m.value)))),
  ];
}

function modelSummary(c: Extract<DetailsContent, { kind: 'model' }>): Node[] {
  const line = c.versions
    ? `${c.versions} version${c.versions === 1 ? '' : 's'}${c.latest ? ` · latest v${c.latest.version} (${c.latest.shortCommit})` : ''}`
    : 'no versions yet';
  return [
    h('header', { class: 'head' }, h('h1', { class: 'version' }, icon('symbol-structure'), ' ', c.modelName)),
    h('p', { class: 'summary' }, line),
    c.latest ? h('p', { class: 'subject' }, c.latest.subject, h('span', { class: 'muted' }, ` · ${c.latest.dateText}`)) : null,
    c.aliases.length ? h('div', { class: 'chips' }, ...c.aliases.map((a) => h('span', { class: 'chip alias' }, icon('rocket'), `${a.alias} → v${a.version}`))) : null,
    h('p', { class: 'hint' }, c.status),
    c.model !== c.modelName ? h('p', { class: 'muted mono small' }, c.model) : null,
  ].filter((x): x is HTMLElement => !!x);
}

function diffSection(v: VersionRecord, d: DiffState): Node[] {
  if (d.state === 'none') {
    return [h('h2', null, 'Changes'), h('p', { class: 'first' }, icon('star-empty'), ` v${v.version} is the first version: there is no previous version to compare with.`)];
  }
  const from = d.state === 'ready' ? d.diff.from : d.from;
  const title = h('h2', null, `Changes since v${from.version} `, h('span', { class: 'muted mono' }, from.shortCommit));
  if (d.state === 'loading') return [title, h('p', { class: 'muted' }, icon('loading', 'codicon-modifier-spin'), ` Comparing v${from.version} → v${v.version}…`)];
  if (d.state === 'error') return [title, h('p', { class: 'error' }, icon('warning'), ` Cannot compare: ${d.message}`)];
  return [title, ...diffBody(d.diff)];
}

function signed(n: number): string {
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${Math.abs(n).toLocaleString('en-US')}`;
}

function pct(x: number): string {
  const p = x * 100;
  return p >= 10 ? `${p.toFixed(0)}%` : p >= 1 ? `${p.toFixed(1)}%` : p >= 0.01 ? `${p.toFixed(2)}%` : `${p.toExponential(1)}%`;
}

function diffBody(d: DiffSummary): Node[] {
  const out: Node[] = [];
  out.push(h('ul', { class: 'verdicts' },
    ...d.verdicts.map((t) => {
      const breaking = /^breaking\b/i.test(t);
      const same = /^identical\b/i.test(t);
      return h('li', { class: breaking ? 'verdict breaking' : 'verdict' },
        icon(breaking ? 'error' : same ? 'pass' : 'info'), h('span', null, t));
    }),
  ));
  if (d.interfaceChanges.length) {
    out.push(h('h3', null, 'Interface'), h('ul', { class: 'iface' },
      ...d.interfaceChanges.map((c) => h('li', { class: c.breaking ? 'breaking' : '' }, icon(c.breaking ? 'warning' : 'arrow-swap'), h('span', { class: 'mono' }, c.text))),
    ));
  }
  const p = d.parameters;
  const w = d.weights;
  const wparts = [
    w.compared ? `${w.changed} of ${w.total} changed` : 'values not compared',
    w.shapeChanged ? `${w.shapeChanged} reshaped` : '',
    w.dtypeChanged ? `${w.dtypeChanged} retyped` : '',
    w.added ? `${w.added} added` : '',
    w.removed ? `${w.removed} removed` : '',
    w.renamed ? `${w.renamed} renamed` : '',
  ].filter(Boolean);
  const g = d.graph;
  const gparts = [g.changed ? `${g.changed} changed` : '', g.added ? `${g.added} added` : '', g.removed ? `${g.removed} removed` : ''].filter(Boolean);
  out.push(h('dl', { class: 'facts' },
    ...field('Parameters', p.delta ? `${p.a.toLocaleString('en-US')} → ${p.b.toLocaleString('en-US')} (${signed(p.delta)})` : `${p.b.toLocaleString('en-US')} (unchanged)`, 'num'),
    ...field('Weights', wparts.join(' · ')),
    ...field(g.unit === 'layers' ? 'Layers' : 'Nodes', gparts.length ? gparts.join(' · ') : 'unchanged'),
  ));
  if (d.topWeights.length) {
    const max = Math.max(...d.topWeights.map((t) => t.relative));
    out.push(h('h3', null, 'Most changed weights ', h('span', { class: 'muted' }, '(relative ‖Δ‖)')));
    out.push(h('ol', { class: 'top' },
      ...d.topWeights.map((t) => {
        const fill = h('span', { class: 'fill' });
        fill.style.width = `${Math.max(2, (100 * t.relative) / (max || 1)).toFixed(1)}%`;
        return h('li', { title: `${t.name}${t.newName ? ` → ${t.newName}` : ''} [${t.shape.join(', ')}]: ‖Δ‖/‖a‖ = ${t.relative.toPrecision(4)}, ${pct(t.changedFraction)} of the elements changed` },
          h('div', { class: 'row' }, h('span', { class: 'name mono' }, t.name), h('span', { class: 'num' }, pct(t.relative))),
          h('span', { class: 'meter' }, fill),
        );
      }),
    ));
  }
  for (const warn of d.warnings.slice(0, 3)) out.push(h('p', { class: 'warn small' }, icon('warning'), ` ${warn}`));
  return out;
}

post({ type: 'ready' });
