/**
 * Panels by key and the preview panel (src/extension/webview/registry.ts), with fake panels and a
 * fake clock: a preview open reuses the preview panel, a double-click or an explicit open pins it,
 * a pinned panel stays when the next preview opens, closing forgets a panel.
 */
import * as assert from 'assert';
import { DOUBLE_OPEN_MS, Registry, type RegistryHost } from '../../src/extension/webview/registry';

class FakePanel implements RegistryHost {
  title: string;
  shows: string[];
  reveals = 0;
  disposed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(readonly id: number, title: string, key: string) {
    this.title = title;
    this.shows = [key];
  }

  reveal(): void {
    this.reveals++;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.closeListeners) l();
  }

  onDidClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  setTitle(title: string): void {
    this.title = title;
  }
}

function setup() {
  let t = 1000;
  let made = 0;
  const registry = new Registry<FakePanel>(() => t);
  const open = (key: string, preview: boolean, withRetarget = true) =>
    registry.open(
      key,
      { title: `T ${key}`, preview },
      () => new FakePanel(++made, `T ${key}`, key),
      withRetarget ? (p) => p.shows.push(key) : undefined,
    );
  return { registry, open, tick: (ms: number) => (t += ms), made: () => made };
}

describe('panel registry: panels by key and the preview panel', () => {
  it('an explicit open makes one panel per key and reveals it when opened again', () => {
    const { registry, open, made } = setup();
    const a = open('a', false);
    assert.deepStrictEqual([a.created, a.retargeted], [true, false]);
    const again = open('a', false);
    assert.strictEqual(again.host, a.host);
    assert.strictEqual(again.created, false);
    assert.strictEqual(a.host.reveals, 1);
    open('b', false);
    assert.strictEqual(made(), 2);
    assert.deepStrictEqual(registry.all().map((p) => p.id), [1, 2]);
  });

  it('single clicks reuse the one preview panel: the next click shows its content there (no new tab)', () => {
    const { registry, open, tick, made } = setup();
    const v1 = open('v1', true);
    assert.ok(v1.created && registry.isPreview(v1.host));
    tick(2000);
    const v2 = open('v2', true);
    assert.deepStrictEqual([v2.created, v2.retargeted], [false, true]);
    assert.strictEqual(v2.host, v1.host);
    assert.deepStrictEqual(v2.host.shows, ['v1', 'v2']);
    assert.strictEqual(v2.host.title, 'T v2');
    assert.strictEqual(made(), 1);
    assert.strictEqual(registry.get('v1'), undefined, 'v1 is no longer open');
    assert.strictEqual(registry.get('v2'), v1.host);
  });

  it('a double-click (the same content opened again within DOUBLE_OPEN_MS) pins it: the next click opens a new panel', () => {
    const { registry, open, tick, made } = setup();
    const first = open('v1', true);
    tick(DOUBLE_OPEN_MS - 100);
    const second = open('v1', true);
    assert.strictEqual(second.host, first.host);
    assert.ok(!registry.isPreview(first.host), 'pinned');
    tick(2000);
    const next = open('v2', true);
    assert.ok(next.created);
    assert.notStrictEqual(next.host, first.host);
    assert.deepStrictEqual(first.host.shows, ['v1'], 'the pinned panel keeps its content');
    assert.strictEqual(made(), 2);
  });

  it('clicking the previewed content again later keeps it a preview (like the Explorer)', () => {
    const { registry, open, tick } = setup();
    const first = open('v1', true);
    tick(DOUBLE_OPEN_MS + 500);
    open('v1', true);
    assert.ok(registry.isPreview(first.host));
  });

  it('an explicit open of the previewed content pins it', () => {
    const { registry, open, tick } = setup();
    const first = open('v1', true);
    tick(5000);
    open('v1', false);
    assert.ok(!registry.isPreview(first.host));
  });

  it('without retarget, the next preview open gets a new panel and closes the old preview', () => {
    const { registry, open, tick } = setup();
    const first = open('v1', true, false);
    tick(2000);
    const next = open('v2', true, false);
    assert.ok(next.created);
    assert.ok(first.host.disposed, 'the old preview panel is closed');
    assert.deepStrictEqual(registry.all(), [next.host]);
    assert.ok(registry.isPreview(next.host));
  });

  it('explicitly opened panels are never taken over by a preview open', () => {
    const { open, tick, made } = setup();
    const pinned = open('v1', false);
    tick(2000);
    const preview = open('v2', true);
    assert.ok(preview.created);
    assert.deepStrictEqual(pinned.host.shows, ['v1']);
    assert.strictEqual(made(), 2);
  });

  it('closing a panel forgets it, under the key it shows now', () => {
    const { registry, open, tick } = setup();
    const p = open('v1', true);
    tick(2000);
    open('v2', true); // retargeted: now under v2
    p.host.dispose();
    assert.deepStrictEqual(registry.all(), []);
    assert.strictEqual(registry.get('v2'), undefined);
    tick(2000);
    const fresh = open('v3', true);
    assert.ok(fresh.created, 'no preview panel any more: a new one');
  });
});
