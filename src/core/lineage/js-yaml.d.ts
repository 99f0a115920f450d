// js-yaml 4 (bundled by esbuild) ships no types; the part we use.
declare module 'js-yaml' {
  export const CORE_SCHEMA: unknown;
  export function load(text: string, opts?: { schema?: unknown; filename?: string }): unknown;
  export function dump(value: unknown, opts?: { noRefs?: boolean; lineWidth?: number; sortKeys?: boolean; schema?: unknown }): string;
}
