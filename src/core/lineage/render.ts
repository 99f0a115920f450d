/** Renderings of a lineage graph: text for people, Graphviz DOT, Mermaid flowchart. */
import { edgeWords } from '../../shared/lineageText';
import type { LineageEdge, LineageGraph, LineageNode, LineageNodeKind } from './types';

const KIND_STYLE: Record<LineageNodeKind, { shape: string; fill: string }> = {
  version: { shape: 'box', fill: '#4e79a7' },
  dataset: { shape: 'cylinder', fill: '#59a14f' },
  code: { shape: 'hexagon', fill: '#9c755f' },
  evaluation: { shape: 'ellipse', fill: '#f28e2b' },
};

/** A version's label with its aliases and tags: `a.onnx v2 ⟨production⟩ #a/v2`. */
export function nodeTitle(n: LineageNode): string {
  const marks = [...(n.aliases ?? []).map((a) => `⟨${a}⟩`), ...(n.tags ?? []).map((t) => `#${t}`)];
  return marks.length ? `${n.label} ${marks.join(' ')}` : n.label;
}

/**
 * The words on an edge, read "target <words> source" as in the Lineage panel: derived from, trained on,
 * evaluated on (a dataset with role test: never "trained"), validated on, built from code; the arrows
 * without words there are written out here (next version, evaluated).
 */
export function edgeText(e: Pick<LineageEdge, 'kind' | 'label'>): string {
  return edgeWords(e.kind, e.label) || (e.kind === 'parent' ? 'next version' : 'evaluated');
}

/** A DOT double-quoted string: backslash and quote escaped, line breaks as \n. */
export function dotString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n|\r/g, '\\n') + '"';
}

export function renderDot(g: LineageGraph): string {
  const lines = ['digraph lineage {', '  rankdir=LR;', '  node [fontname="Helvetica", fontcolor="white", style="filled"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const n of g.nodes) {
    const st = KIND_STYLE[n.kind];
    lines.push(`  ${dotString(n.id)} [label=${dotString(nodeTitle(n))}, shape=${st.shape}, fillcolor=${dotString(st.fill)}${n.external ? ', style="filled,dashed"' : ''}];`);
  }
  for (const e of g.edges) {
    const label = edgeText(e);
    const style = e.kind === 'parent' ? '' : e.kind === 'derived-from' ? ', style=bold' : ', style=dashed';
    lines.push(`  ${dotString(e.source)} -> ${dotString(e.target)} [label=${dotString(label)}${style}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * Text inside a Mermaid quoted label: characters Mermaid would read as syntax or markup are written
 * as its entity codes (`#quot;`, `#35;`, …); line breaks become spaces.
 */
export function mermaidText(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/["#&<>|`;\\[\]{}()]/g, (c) => (c === '"' ? '#quot;' : `#${c.charCodeAt(0)};`));
}

const MERMAID_SHAPE: Record<LineageNodeKind, [string, string]> = {
  version: ['[', ']'],
  dataset: ['[(', ')]'],
  code: ['{{', '}}'],
  evaluation: ['([', '])'],
};

export function renderMermaid(g: LineageGraph): string {
  const ids = new Map<string, string>();
  g.nodes.forEach((n, i) => ids.set(n.id, `n${i}`));
  const lines = ['flowchart LR'];
  for (const n of g.nodes) {
    const [open, close] = MERMAID_SHAPE[n.kind];
    lines.push(`  ${ids.get(n.id)}${open}"${mermaidText(nodeTitle(n))}"${close}`);
  }
  for (const e of g.edges) {
    const label = edgeText(e);
    const arrow = e.kind === 'derived-from' ? '==>' : e.kind === 'parent' ? '-->' : '-.->';
    lines.push(`  ${ids.get(e.source)} ${arrow}|"${mermaidText(label)}"| ${ids.get(e.target)}`);
  }
  for (const [kind, st] of Object.entries(KIND_STYLE)) lines.push(`  classDef ${kind} fill:${st.fill},color:#fff,stroke:#333`);
  const byKind = new Map<string, string[]>();
  for (const n of g.nodes) (byKind.get(n.kind) ?? byKind.set(n.kind, []).get(n.kind)!).push(ids.get(n.id)!);
  for (const [kind, list] of byKind) lines.push(`  class ${list.join(',')} ${kind}`);
  return lines.join('\n') + '\n';
}

/** For people: each model's versions, newest last, with what each came from. */
export function renderText(g: LineageGraph): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const into = new Map<string, { kind: string; from: LineageNode; label?: string }[]>();
  const out = new Map<string, LineageNode[]>();
  for (const e of g.edges) {
    (into.get(e.target) ?? into.set(e.target, []).get(e.target)!).push({ kind: e.kind, from: byId.get(e.source)!, label: e.label });
    if (e.kind === 'evaluated') (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(byId.get(e.target)!);
  }
  const lines: string[] = [];
  for (const m of g.models) {
    lines.push(`${m.path}  (${m.versions} version${m.versions === 1 ? '' : 's'})`);
    const vs = g.nodes.filter((n) => n.kind === 'version' && n.model === m.path && !n.external).sort((a, b) => a.version! - b.version!);
    for (const v of vs) {
      const marks = [...(v.aliases ?? []).map((a) => `⟨${a}⟩`), ...(v.tags ?? []).map((t) => `#${t}`)];
      lines.push(`  ${[`v${v.version}`, ...marks].join(' ')}  ${v.shortCommit}  ${v.subject ?? ''}`.trimEnd());
      for (const i of into.get(v.id) ?? []) {
        if (i.kind === 'parent') continue;
        const what =
          i.kind === 'derived-from' ? `derived from ${i.from.external ? `${i.from.model}@${i.from.shortCommit} (not in this branch)` : `${i.from.model} v${i.from.version}`}`
          : i.kind === 'trained-on' ? `${i.label ?? 'data'}: ${i.from.path} sha256:${i.from.oid!.slice(0, 12)}`
          : `code: ${i.from.shortCommit}${i.from.subject ? ` ${i.from.subject}` : ''}`;
        lines.push(`      ${what}`);
      }
      if (v.params) lines.push(`      params: ${JSON.stringify(v.params)}`);
      for (const ev of out.get(v.id) ?? []) lines.push(`      ${ev.label}`);
    }
  }
  if (!g.models.length) lines.push('No model versions yet.');
  return lines.join('\n');
}
