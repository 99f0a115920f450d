/**
 * Page assets written into the webview HTML (src/extension/webview/assets.ts): read and cached until
 * the file changes, refused when they would break the element, and the built bundles all qualify.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readAsset, withSourceMap } from '../../src/extension/webview/assets';
import { REPO_ROOT } from '../support/paths';

describe('webview assets written into the page', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-assets-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file, and again once it changed (a rebuild)', () => {
    const f = path.join(dir, 'a.js');
    fs.writeFileSync(f, 'console.log(1);');
    assert.strictEqual(readAsset(dir, 'a.js', 'script'), 'console.log(1);');
    fs.writeFileSync(f, 'console.log(22);');
    fs.utimesSync(f, new Date(), new Date(Date.now() + 5000));
    assert.strictEqual(readAsset(dir, 'a.js', 'script'), 'console.log(22);');
  });

  it('says what to do when the asset is not built', () => {
    assert.throws(() => readAsset(dir, 'missing.js', 'script'), /missing\.js does not exist: build the extension \(npm run build\)/);
  });

  it('refuses text that would end the element or change how it is parsed', () => {
    for (const [name, text, as] of [
      ['s1.js', 'const s = "</script>";', 'script'],
      ['s2.js', 'const s = "<!-- x";', 'script'],
      ['s3.js', 'const s = "<SCRIPT>";', 'script'],
      ['c1.css', 'a::after { content: "</style>"; }', 'style'],
    ] as const) {
      fs.writeFileSync(path.join(dir, name), text);
      assert.throws(() => readAsset(dir, name, as), new RegExp(`${name.replace('.', '\\.')} contains ".+" at offset \\d+: it cannot be written into a <${as}> element`));
    }
  });

  it('points the source map comment at the map’s URL', () => {
    assert.strictEqual(withSourceMap('x();\n//# sourceMappingURL=diff.js.map\n', 'https://h/diff.js.map'), 'x();\n//# sourceMappingURL=https://h/diff.js.map\n');
    assert.strictEqual(withSourceMap('x();', 'https://h/m'), 'x();', 'no comment: unchanged');
  });

  it('the built bundles and style sheets of our pages can all be written into their elements', function () {
    const built = path.join(REPO_ROOT, 'dist', 'webview');
    if (!fs.existsSync(path.join(built, 'diff.js'))) assert.fail(`${built} has no bundles: run npm run build first`);
    for (const f of ['diff.js', 'inspect.js', 'details.js', 'history.js', 'lineage.js', 'compare.js', 'merge.js', 'abtest.js', 'monitor.js']) assert.ok(readAsset(built, f, 'script').length > 1000, f);
    for (const f of ['webview.css', 'diff.css', 'history.css', 'lineage.css', 'compare.css', 'merge.css', 'production.css']) assert.ok(readAsset(built, f, 'style').length > 100, f);
  });
});
