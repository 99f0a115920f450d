/**
 * The open panels of one kind, by key (one panel per model, per pair of models, per repository…),
 * and the kind's preview panel — like the editor's preview tabs: a preview open (a single click in
 * a tree) shows its content in the preview panel, which the next preview open reuses for its own;
 * opening the content shown there again right away (the second half of a double-click, within
 * DOUBLE_OPEN_MS) or explicitly (not a preview open: a context menu, a button, the palette) pins it:
 * it stays, and the next preview open gets a panel of its own. No `vscode` import (unit-tested);
 * ./panel.ts adds the creation of VS Code panels.
 */

/** A second preview open of the same content within this time is a double-click: it pins the panel. */
export const DOUBLE_OPEN_MS = 800;

/** What the registry needs of a panel. */
export interface RegistryHost {
  reveal(preserveFocus?: boolean): void;
  /** closes the panel (its onDidClose listeners run) */
  dispose(): void;
  onDidClose(listener: () => void): void;
  setTitle(title: string): void;
}

export interface OpenOptions {
  title: string;
  /** show it in the kind's preview panel (a single click) */
  preview?: boolean;
  /** vscode.ViewColumn (default: the active column) */
  viewColumn?: number;
  preserveFocus?: boolean;
}

export interface Opened<P> {
  host: P;
  /** a new panel (made by `create`) */
  created: boolean;
  /** the preview panel, handed to `retarget` to show the new content */
  retargeted: boolean;
}

export class Registry<P extends RegistryHost> {
  private readonly panels = new Map<string, P>();
  private preview: { host: P; openedAt: number } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): P | undefined {
    return this.panels.get(key);
  }

  all(): P[] {
    return [...this.panels.values()];
  }

  /** Whether `host` is the kind's preview panel (not pinned). */
  isPreview(host: P): boolean {
    return this.preview?.host === host;
  }

  /** Pins the preview panel (it stays when the next preview opens). */
  pin(host: P): void {
    if (this.preview?.host === host) this.preview = undefined;
  }

  /**
   * The panel for `key`: the open one, revealed; else, for a preview open, the preview panel given to
   * `retarget` (when there is one and `retarget` is given); else a new one from `create`.
   */
  open(key: string, opts: OpenOptions, create: () => P, retarget?: (host: P) => void): Opened<P> {
    const now = this.now();
    const existing = this.panels.get(key);
    if (existing) {
      if (this.preview?.host === existing) {
        if (!opts.preview || now - this.preview.openedAt <= DOUBLE_OPEN_MS) this.preview = undefined; // pinned
        else this.preview.openedAt = now;
      }
      existing.reveal(opts.preserveFocus);
      return { host: existing, created: false, retargeted: false };
    }
    if (opts.preview && this.preview && retarget) {
      const { host } = this.preview;
      for (const [k, h] of this.panels) if (h === host) this.panels.delete(k);
      this.panels.set(key, host);
      this.preview = { host, openedAt: now };
      host.setTitle(opts.title);
      retarget(host);
      host.reveal(opts.preserveFocus);
      return { host, created: false, retargeted: true };
    }
    const replaced = opts.preview ? this.preview?.host : undefined;
    const host = create();
    this.panels.set(key, host);
    if (opts.preview) this.preview = { host, openedAt: now };
    host.onDidClose(() => {
      // the key may have changed since (a retargeted preview panel): find it by the host
      for (const [k, h] of this.panels) if (h === host) this.panels.delete(k);
      if (this.preview?.host === host) this.preview = undefined;
    });
    replaced?.dispose(); // a preview panel that cannot be retargeted: the new one takes its place
    return { host, created: true, retargeted: false };
  }
}
