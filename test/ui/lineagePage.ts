/**
 * Reads the Lineage panel's graph from its page: the accessible lists #lineage-nodes / #lineage-edges
 * (one item per node and edge, with data attributes; x/y are the node's on-screen centre in the canvas).
 */
import type { Frame } from 'playwright-core';

export interface PageGraph {
  nodes: { id: string; kind: string; text: string; x: number; y: number }[];
  edges: { kind: string; source: string; target: string }[];
}

export async function readLineageGraph(frame: Frame): Promise<PageGraph> {
  return frame.evaluate(() => ({
    nodes: [...document.querySelectorAll('#lineage-nodes li')].map((li) => ({
      id: li.getAttribute('data-id')!,
      kind: li.getAttribute('data-kind')!,
      text: li.textContent ?? '',
      x: Number(li.getAttribute('data-x')),
      y: Number(li.getAttribute('data-y')),
    })),
    edges: [...document.querySelectorAll('#lineage-edges li')].map((li) => ({
      kind: li.getAttribute('data-kind')!,
      source: li.getAttribute('data-source')!,
      target: li.getAttribute('data-target')!,
    })),
  }));
}

