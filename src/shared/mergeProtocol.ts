/**
 * The typed message contract between the extension host and the Model Merge panel
 * (modelVersions.modelMerge, one panel per conflicted model; webview-ui/merge/main.ts).
 *
 * Same handshake as every panel: the page posts `{ type: 'ready' }`, then the host sends the current
 * state (`loading`, `merge`, `error`); after a Take … the host sends `merge` again with `resolved`
 * set. Every string comes from the repository (paths, messages, names) and is shown as text.
 */
import type { DiffViewModel } from './diffProtocol';

export type MergeSideName = 'base' | 'ours' | 'theirs';

/** One column: the base, ours or theirs. */
export interface MergeSideView {
  side: MergeSideName;
  /** what git calls it in its conflict markers: 'HEAD (main)', 'feature', '1a2b3c4 (subject)', 'merge base' */
  gitLabel: string;
  /** the side has the file (false: added on both sides, so no base; or deleted on that side) */
  present: boolean;
  /** 'v3', or '' when the content is no version of the model */
  version: string;
  /** the commit the side comes from ('' when unknown) */
  commit: string;
  shortCommit: string;
  subject: string;
  author: string;
  /** author date, for people */
  date: string;
  /** 'sha256:1a2b3c4d5e6f…' or 'git:…' */
  content: string;
  /** '1.2 MB' */
  size: string;
  /** metrics recorded for the version: commit trailers (Model-Metrics) and notes */
  metrics: { name: string; value: string; source: string }[];
  /** the bytes are not available here (an LFS object not fetched): what to do */
  problem?: string;
}

/** The diff of one side against the base (the diff panel's view model), or why there is none. */
export interface MergeDiffView {
  side: 'ours' | 'theirs';
  diff?: DiffViewModel;
  /** no base, a missing side, bytes not fetched, a file that does not parse */
  unavailable?: string;
}

export interface MergeViewModel {
  title: string;
  /** repository path of the model */
  path: string;
  /** 'merge', 'rebase', 'cherry-pick', 'revert', or '' when git records no operation */
  operation: string;
  /** one sentence: 'Merging exp into HEAD (main): both changed models/m.onnx.' */
  summary: string;
  /** during a rebase: what "ours" and "theirs" mean there */
  sidesNote: string;
  base: MergeSideView;
  ours: MergeSideView;
  theirs: MergeSideView;
  diffs: MergeDiffView[];
  /** set once the path is no longer unmerged: what was staged and recorded */
  resolved?: MergeResolvedView;
}

export interface MergeResolvedView {
  /** 'Staged theirs (v2, 1a2b3c4) of models/m.onnx: sha256 1a2b…, 303,734 bytes.' */
  text: string;
  /** 'Model-Resolved: theirs <commit> <path>' and the file it went to */
  trailer: string;
  /** 'Still unmerged: notes.txt' or 'No unmerged paths left: finish with `git commit`.' */
  next: string;
}

export type MergeHostMessage =
  | { type: 'loading'; title: string }
  | { type: 'merge'; model: MergeViewModel }
  | { type: 'error'; title: string; message: string; hint: string };

export type MergeWebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  /** Take Ours / Take Theirs */
  | { type: 'take'; side: 'ours' | 'theirs' }
  /** Take Another Version…: the host asks which (a quick pick of the model's versions) */
  | { type: 'takeVersion' }
  /** open the full diff of a side against the base in the diff panel */
  | { type: 'openDiff'; side: 'ours' | 'theirs' };
