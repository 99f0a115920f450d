/**
 * The typed message contract between the extension host and the webviews.
 * Every panel follows the same handshake (src/extension/webview/channel.ts, webview-ui/shared/vscodeApi.ts):
 * the webview posts `{ type: 'ready' }` once its script runs and listens; only then does the host send
 * data, and it sends the page's whole state again to every page that says `ready` (a reloaded page, a
 * page shown again after it was hidden). The host sends small view models, never whole files.
 */

/**
 * What every page may send besides its own messages: `ready` (the handshake); `webviewError` when its
 * script threw (while starting: 'script'; while showing a message: 'render') or has not said `ready`
 * after a while ('slow') — the host logs it, the page shows it; `reload` when the user asks for a
 * fresh page after such an error.
 */
export type WebviewEnvelopeMessage =
  /** sent by the boot script as soon as the page's frame runs any script at all */
  | { type: 'booting' }
  | { type: 'ready' }
  | { type: 'webviewError'; phase: 'script' | 'render' | 'slow'; message: string }
  | { type: 'reload' };

/** What the host may send every page besides its own messages: an error the page shows in a banner. */
export type HostEnvelopeMessage = { type: 'hostError'; message: string };

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
