/**
 * Chart colours from the VS Code theme (its CSS variables), shared by the panels that draw Chart.js
 * charts (compare, history), and a redraw hook for theme changes.
 */

export const cssVar = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

export interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  font: string;
  /** series colours, in the order given */
  palette: string[];
}

export type ChartColour = 'blue' | 'orange' | 'green' | 'purple' | 'red' | 'yellow';

const FALLBACK: Record<ChartColour, string> = {
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  purple: '#b180d7',
  red: '#f14c4c',
  yellow: '#cca700',
};

/** A theme colour by name (`--vscode-charts-<name>`). */
export const chartColour = (name: ChartColour): string => cssVar(`--vscode-charts-${name}`, FALLBACK[name]);

export function chartTheme(order: ChartColour[] = ['blue', 'orange', 'green', 'purple', 'red', 'yellow']): ChartTheme {
  return {
    fg: cssVar('--vscode-foreground', '#cccccc'),
    muted: cssVar('--vscode-descriptionForeground', '#9d9d9d'),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
    palette: order.map(chartColour),
  };
}

/** `color` with opacity `a` (hex and rgb() colours; others as they are). */
export function alpha(color: string, a: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (hex) {
    const d = hex[1].length === 3 ? hex[1].replace(/./g, (c) => c + c) : hex[1];
    return `rgba(${parseInt(d.slice(0, 2), 16)}, ${parseInt(d.slice(2, 4), 16)}, ${parseInt(d.slice(4, 6), 16)}, ${a})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(color);
  return rgb ? `rgba(${rgb[1].trim()}, ${rgb[2].trim()}, ${rgb[3].trim()}, ${a})` : color;
}

/** Calls `redraw` when the theme changes (VS Code sets body's class and the CSS variables). */
export function onThemeChange(redraw: () => void): void {
  new MutationObserver(redraw).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

/** The r, g, b of a hex or rgb()/rgba() colour; undefined for other forms (named colours, …). */
function rgbOf(color: string): [number, number, number] | undefined {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color.trim());
  if (hex) {
    const d = hex[1].length === 3 ? hex[1].replace(/./g, (c) => c + c) : hex[1];
    return [parseInt(d.slice(0, 2), 16), parseInt(d.slice(2, 4), 16), parseInt(d.slice(4, 6), 16)];
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(color.trim());
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : undefined;
}

/**
 * `color` laid over `base` at opacity `a`, as one opaque colour (a tint that lines behind it do not
 * show through); `color` itself when either cannot be read.
 */
export function mix(color: string, base: string, a: number): string {
  const c = rgbOf(color);
  const b = rgbOf(base);
  if (!c || !b) return color;
  const m = c.map((x, i) => Math.round(x * a + b[i] * (1 - a)));
  return `rgb(${m[0]}, ${m[1]}, ${m[2]})`;
}
