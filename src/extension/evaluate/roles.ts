/**
 * Which model is the baseline of a comparison: ONE rule for every way of choosing the models in the
 * workbench (versions selected in the Model Versions tree, or picked in Compare Models…'s quick pick):
 * the older version is the baseline, the newer ones are the candidates. Versions of one model are
 * ordered by version number; versions of different models by commit date (then version number);
 * model files that are not versions (the working copy, a file picked with "Other model file…") come
 * after the versions, in the order given. The user exchanges the roles afterwards with Swap in the
 * comparison panel. (The CLI takes the order given: `modelver compare <baseline> <candidate>…`.)
 * No vscode import: unit-tested.
 */

/** What the rule reads of a version (undefined for a plain model file). */
export interface VersionAge {
  /** the repository (root or any stable id) */
  repo: string;
  model: string;
  /** 1-based, oldest = 1 */
  version: number;
  /** committer date, ISO 8601 */
  date: string;
}

/** `items` reordered: the baseline first, then the candidates (see the module header). */
export function baselineFirst<T>(items: readonly T[], ageOf: (item: T) => VersionAge | undefined): T[] {
  const versions: { item: T; at: number; age: VersionAge }[] = [];
  const files: T[] = [];
  items.forEach((item, at) => {
    const age = ageOf(item);
    if (age) versions.push({ item, at, age });
    else files.push(item);
  });
  const oneModel = new Set(versions.map((x) => `${x.age.repo}\u0000${x.age.model}`)).size <= 1;
  const time = (d: string): number => {
    const t = Date.parse(d);
    return Number.isFinite(t) ? t : 0;
  };
  versions.sort((a, b) => (oneModel ? 0 : time(a.age.date) - time(b.age.date)) || a.age.version - b.age.version || a.at - b.at);
  return [...versions.map((x) => x.item), ...files];
}

/** The order with the model at `index` as the baseline, the others after it in their order. */
export function withBaseline<T>(items: readonly T[], index: number): T[] {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) throw new RangeError(`no model at position ${index} of ${items.length}`);
  return [items[index], ...items.filter((_, i) => i !== index)];
}
