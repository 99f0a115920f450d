/** Lineage: record at commit time, read back, build the graph, render it. */
export * from './types';
export { LINEAGE_TRAILER, MAX_PARAMS_BYTES, MAX_DATASETS, resolveLineage, lineageTrailers, parseLineage, trailerList, checkParams } from './record';
export { readParamsFile } from './params';
export { lineageGraph, buildLineageGraph, filterLineage, type LineageOptions, type LineageSource } from './graph';
export { renderDot, renderMermaid, renderText, dotString, mermaidText, nodeTitle } from './render';
