import type { Dim } from './types';

export function formatShape(shape: Dim[] | null): string {
  return shape === null ? '' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

/** A one-line description of an input or output: `input float32[?,?]`. */
export function formatValueInfo(v: { name: string; dtype: string; shape: Dim[] | null }): string {
  return `${v.name} ${v.dtype}${formatShape(v.shape)}`;
}
