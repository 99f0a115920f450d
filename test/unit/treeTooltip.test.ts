/**
 * The Model Versions tree's tooltips (src/extension/models/tooltip.ts): the Markdown value the tree's
 * MarkdownString gets. Read here the way CommonMark reads it: code spans show their characters as
 * they are (so nothing inside may be escaped), outside them a backslash before punctuation is an
 * escape and does not show.
 */
import * as assert from 'assert';
import { appendRecord, type ModelVersion } from '../../src/core/repo';
import { mdCode, modelTooltipMarkdown, versionTooltipMarkdown } from '../../src/extension/models/tooltip';

/** CommonMark inline reading, enough for these tooltips: code spans, backslash escapes, the rest as text. */
function readMarkdown(md: string): { codeSpans: string[]; text: string } {
  const codeSpans: string[] = [];
  let text = '';
  for (let i = 0; i < md.length; ) {
    const c = md[i];
    if (c === '\\' && i + 1 < md.length && /[!-/:-@[-`{-~]/.test(md[i + 1])) {
      text += md[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let n = 0;
      while (md[i + n] === '`') n++;
      // the closing run: exactly n backticks
      let j = i + n;
      let close = -1;
      while (j < md.length) {
        if (md[j] !== '`') {
          j++;
          continue;
        }
        let m = 0;
        while (md[j + m] === '`') m++;
        if (m === n) {
          close = j;
          break;
        }
        j += m;
      }
      if (close < 0) {
        text += '`'.repeat(n);
        i += n;
        continue;
      }
      let content = md.slice(i + n, close).replace(/\n/g, ' ');
      if (content.length > 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim()) content = content.slice(1, -1);
      codeSpans.push(content);
      text += content;
      i = close + n;
      continue;
    }
    text += c;
    i++;
  }
  return { codeSpans, text: text.replace(/\*\*/g, '').replace(/ {2}\n/g, '\n').replace(/&nbsp;/g, ' ') };
}

const OID = 'ab'.repeat(32);

function version(over: Partial<ModelVersion> = {}): ModelVersion {
  const path = 'models/purchase_model.onnx';
  const trailers: [string, string][] = [
    ['Model-Path', path],
    ['Model-Oid', `sha256:${OID}`],
    ['Model-Inputs', 'features:float32[batch,10]'],
    ['Model-Metrics', 'accuracy=0.93, f1=0.9'],
  ];
  return {
    model: path,
    path,
    version: 3,
    commit: '3'.repeat(40),
    shortCommit: '3333333',
    parents: [],
    author: { name: 'A_Person', email: 'a@example.invalid' },
    date: '2025-01-02T03:04:05Z',
    committerDate: '2025-01-02T03:04:05Z',
    message: appendRecord('Retrain on March data\n\nNote: learning rate halved.', trailers),
    subject: 'Retrain on March data',
    oid: OID,
    contentId: `sha256:${OID}`,
    size: 2048,
    lfs: true,
    blob: 'cd'.repeat(20),
    change: 'modified',
    tags: [{ name: 'purchase_model/v3', commit: '3'.repeat(40), annotated: false, message: '' }],
    aliases: ['production'],
    trailers: Object.fromEntries(trailers),
    recorded: trailers,
    ...over,
  };
}

describe('Model Versions tree tooltips (Markdown)', () => {
  it('shows names and shapes in code spans without backslashes, and keeps "Note: …" lines', () => {
    const md = versionTooltipMarkdown(version(), () => 'DATE');
    const { codeSpans, text } = readMarkdown(md);
    assert.ok(codeSpans.includes('models/purchase_model.onnx'), md);
    assert.ok(codeSpans.includes('features:float32[batch,10]'), md);
    assert.ok(codeSpans.includes('purchase_model/v3'), md);
    for (const s of codeSpans) assert.ok(!s.includes('\\'), `a backslash inside the code span \`${s}\` of:\n${md}`);
    assert.match(text, /Retrain on March data\n/);
    assert.match(text, /^Note: learning rate halved\.$/m);
    assert.match(text, /Metrics recorded at commit: accuracy 0\.9300 · f1 0\.9000/);
    assert.match(text, /A_Person · \$\(calendar\) DATE/);
    // no recorded trailer leaks into the message text
    assert.doesNotMatch(text, /Model-Oid|Model-Versions-Trailers/);
  });

  it('model strings stay text: Markdown, links and theme icons in them are escaped, backticks get a longer fence', () => {
    const hostile = 'a`b``c [x](command:workbench.action.quit) $(alert) **bold** <img src=x> http://example.invalid';
    const v = version({ model: hostile, path: hostile, message: `${hostile}\n\n# heading?\n- item\n[y](command:x)`, subject: hostile, aliases: ['$(rocket)'] });
    const md = versionTooltipMarkdown(v, () => 'DATE');
    const { codeSpans, text } = readMarkdown(md);
    assert.ok(codeSpans.includes(hostile), `the model's name as one code span: ${md}`);
    // outside code spans: no link, image, HTML or theme icon syntax from the model's strings survives unescaped
    const outside = md.split(mdCode(hostile)).join('');
    assert.doesNotMatch(outside, /(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\$\(alert\)|(?<!\\)\$\(rocket\)(?! Aliases)|(?<!\\)http:/);
    // and it reads as typed
    assert.match(text, /^# heading\?$/m);
    assert.match(text, /^- item$/m);
    assert.match(text, /^\[y\]\(command:x\)$/m);
    assert.match(text, /Aliases: \$\(rocket\)/);
  });

  it('mdCode: a fence longer than any backtick run inside, padded where the value starts or ends with one', () => {
    assert.strictEqual(mdCode('float32[batch,10]'), '`float32[batch,10]`');
    assert.strictEqual(mdCode('a`b'), '``a`b``');
    assert.strictEqual(mdCode('`x``'), '``` `x`` ```');
    for (const s of ['a`b', '`x``', ' lead', 'trail ', '``', 'plain_name.onnx']) {
      assert.deepStrictEqual(readMarkdown(mdCode(s)).codeSpans, [s], s);
    }
  });

  it('the model tooltip: the path as text, HEAD as a code span', () => {
    const md = modelTooltipMarkdown(
      { path: 'models/purchase_model.onnx', absPath: '/x', committed: true, lfs: true, untracked: false, staged: false, headOid: OID, headSize: 2048, versionCount: 3, exists: true },
      3,
    );
    const { codeSpans, text } = readMarkdown(md);
    assert.deepStrictEqual(codeSpans, [`sha256:${OID.slice(0, 16)}…`]);
    assert.match(text, /^models\/purchase_model\.onnx\n/);
    assert.match(text, /2\.00 KiB/);
  });
});
