/**
 * Where the metric History charts write each version's aliases and tags, above the plot (no DOM, no
 * Chart.js: test/unit/historyMarks.test.ts). Labels never overlap and stay inside the canvas. When they
 * do not all fit, the versions with aliases come first, then the newer ones, and a label too long for
 * its place is shortened (aliases only, then its first mark with "+N") before it is left out: the
 * version production is on keeps its label, where drawing left to right used to drop the newest one.
 */

export interface MarkedVersion {
  aliases: readonly string[];
  tags: readonly string[];
}

export interface PlacedMark {
  /** the version's index in the list given */
  index: number;
  label: string;
  /** the label's centre (px from the canvas's left edge) and width */
  cx: number;
  width: number;
}

/** Room kept between two labels (px). */
export const MARK_GAP = 6;
/** Room kept to the canvas's edges (px). */
export const MARK_EDGE = 2;

/** '⟨production⟩ ⟨staging⟩ #purchase_model/v3': a version's aliases, then its tags. */
export function markText(v: MarkedVersion): string {
  return marksOf(v).join(' ');
}

/** A version's marks: ⟨alias⟩ each, then #tag each. */
function marksOf(v: MarkedVersion): string[] {
  return [...v.aliases.map((a) => `⟨${a}⟩`), ...v.tags.map((t) => `#${t}`)];
}

/** The labels to try for a version, longest first: all its marks, its aliases alone, its first mark (+N more). */
export function markVariants(v: MarkedVersion): string[] {
  const all = marksOf(v);
  const out = [all.join(' ')];
  if (v.aliases.length && v.tags.length) out.push(all.slice(0, v.aliases.length).join(' ') + ` +${v.tags.length}`);
  if (all.length > 1) out.push(`${all[0]} +${all.length - 1}`);
  return [...new Set(out)];
}

/**
 * The labels to draw: for each version with a mark (x: its pixel), in order of priority, the longest
 * variant that fits the canvas (`canvasWidth`) without overlapping a label already placed.
 */
export function placeMarks(
  versions: readonly MarkedVersion[],
  x: (index: number) => number,
  measure: (text: string) => number,
  canvasWidth: number,
): PlacedMark[] {
  const order = versions
    .map((v, index) => ({ v, index }))
    .filter(({ v }) => v.aliases.length || v.tags.length)
    .sort((a, b) => Number(b.v.aliases.length > 0) - Number(a.v.aliases.length > 0) || b.index - a.index);
  const placed: PlacedMark[] = [];
  for (const { v, index } of order) {
    for (const label of markVariants(v)) {
      const width = measure(label);
      if (width + 2 * MARK_EDGE > canvasWidth) continue;
      const cx = Math.min(Math.max(x(index), width / 2 + MARK_EDGE), canvasWidth - width / 2 - MARK_EDGE);
      const clear = placed.every((p) => cx + width / 2 + MARK_GAP <= p.cx - p.width / 2 || cx - width / 2 >= p.cx + p.width / 2 + MARK_GAP);
      if (clear) {
        placed.push({ index, label, cx, width });
        break;
      }
    }
  }
  return placed.sort((a, b) => a.index - b.index);
}
