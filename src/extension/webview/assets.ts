/**
 * The built page assets (dist/webview: a page's bundle and its style sheets), read to be written into
 * the page's HTML. A page whose script is inline does not depend on the webview's resource loading for
 * it: in code-server every webview shares one origin and one service worker, which each new webview
 * replaces; a page created while that happens is not served its `asWebviewUri` resources (its requests
 * go to the network: ERR_NAME_NOT_RESOLVED), and with its script it stayed blank for good. No `vscode`
 * import (unit-tested).
 */
import * as fs from 'fs';
import * as path from 'path';

const cache = new Map<string, { mtimeMs: number; size: number; text: string }>();

/** What would end or change the parsing of an inline <script> or <style> element. */
const UNSAFE: Record<'script' | 'style', RegExp> = {
  script: /<\/script|<script|<!--/i,
  style: /<\/style/i,
};

/**
 * The text of `dir/name`, to be put inside a <script> or <style> element; read again when the file
 * changes (a rebuild). Throws when it is missing (not built) or holds what would break the element.
 */
export function readAsset(dir: string, name: string, as: 'script' | 'style'): string {
  const file = path.join(dir, name);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`The webview asset ${file} does not exist: build the extension (npm run build).`);
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.text;
  const text = fs.readFileSync(file, 'utf8');
  const bad = UNSAFE[as].exec(text);
  if (bad) {
    throw new Error(`The webview asset ${file} contains "${bad[0]}" at offset ${bad.index}: it cannot be written into a <${as}> element; escape it in the source.`);
  }
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, text });
  return text;
}

/** Points a bundle's `//# sourceMappingURL=<name>.map` at `mapUrl` (an inline script has no URL of its own to resolve it against). */
export function withSourceMap(script: string, mapUrl: string): string {
  return script.replace(/\/\/# sourceMappingURL=\S+\s*$/, () => `//# sourceMappingURL=${mapUrl}\n`);
}
