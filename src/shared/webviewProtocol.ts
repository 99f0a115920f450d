/**
 * The typed message contract between the extension host and the webviews.
 * Every panel follows the same handshake: the webview posts `{ type: 'ready' }` once its script runs;
 * only then does the host send data. The host sends small view models, never whole files.
 */

/** A row of the tensor table. */
export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  origin: string;
  where: string;
}

export interface IoRow {
  name: string;
  dtype: string;
  shape: string;
}

/** What the Inspect panel shows of one model file. */
export interface InspectViewModel {
  fileName: string;
  /** workspace-relative path, for display */
  displayPath: string;
  format: string;
  size: string;
  facts: { label: string; value: string }[];
  inputs: IoRow[];
  outputs: IoRow[];
  ops: { op: string; count: number }[];
  metadata: { key: string; value: string }[];
  tensors: TensorRow[];
  /** how many tensors the model has in all (tensors may be cut to the largest ones) */
  tensorTotal: number;
  warnings: string[];
}

export type InspectHostMessage =
  | { type: 'summary'; model: InspectViewModel }
  | { type: 'loading'; fileName: string }
  | { type: 'error'; fileName: string; message: string };

export type InspectWebviewMessage = { type: 'ready' } | { type: 'refresh' } | { type: 'copy'; text: string };
