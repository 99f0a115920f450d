/**
 * The one commit-message parser (src/core/repo/trailers.ts parseMessage): subject, the user's body
 * (every line but our recorded block, also lines that look like trailers) and the recorded trailers,
 * and the faces that read it (Version Details' messageBody).
 */
import * as assert from 'assert';
import { appendRecord, parseMessage, recordedTrailers } from '../../src/core/repo/trailers';
import { messageBody } from '../../src/extension/details/viewModel';

const OID = `sha256:${'ab'.repeat(32)}`;
const v = { path: 'models/purchase_model.onnx', contentId: OID };
const record = (extra: [string, string][] = []): [string, string][] => [['Model-Path', v.path], ['Model-Oid', OID], ['Model-Size', '2048'], ...extra];

describe('commit message parser (parseMessage)', () => {
  it('keeps every line the user typed, also "Word: …" lines, and drops only our recorded block', () => {
    const typed = 'Retrain on March data\n\nNote: learning rate halved.\nSee: ticket 12';
    const m = parseMessage(appendRecord(typed, record([['Model-Params', '78049']])), v);
    assert.strictEqual(m.subject, 'Retrain on March data');
    // "Note: …" / "See: …" form the message's last paragraph before ours is appended: still the user's text
    assert.strictEqual(m.body, 'Note: learning rate halved.\nSee: ticket 12');
    assert.deepStrictEqual(m.recorded.map(([k]) => k), ['Model-Path', 'Model-Oid', 'Model-Size', 'Model-Params']);
    assert.strictEqual(m.trailers['Model-Params'], '78049');
    assert.strictEqual(messageBody({ message: appendRecord(typed, record()), ...v }), 'Note: learning rate halved.\nSee: ticket 12');
  });

  it('a Model-… line typed in the message is body text, even with the key of a recorded trailer', () => {
    const typed = `Fix\n\nModel-Oid: ${OID} was wrong before\nModel-Breaking: true`;
    const m = parseMessage(appendRecord(typed, record()), v);
    assert.strictEqual(m.body, `Model-Oid: ${OID} was wrong before\nModel-Breaking: true`);
    assert.strictEqual(m.trailers['Model-Breaking'], undefined);
    assert.strictEqual(messageBody({ message: appendRecord(typed, record()), ...v }), m.body);
  });

  it('a block that does not name this version (copied, or another model of the commit) stays text and records nothing', () => {
    const other = appendRecord('Copied\n\nsome words', [['Model-Path', 'models/other.onnx'], ['Model-Oid', OID]]);
    const m = parseMessage(other, v);
    assert.deepStrictEqual(m.recorded, []);
    assert.strictEqual(m.body, 'some words\n\nModel-Versions-Trailers: 1\nModel-Path: models/other.onnx\nModel-Oid: ' + OID);
  });

  it("other keys in our final block (Signed-off-by, a hook's Change-Id) stay in the body and in trailers", () => {
    const msg = appendRecord('Subject\n\nBody\n\nSigned-off-by: A <a@x>', record()) + 'Change-Id: I12\n';
    const m = parseMessage(msg, v);
    assert.strictEqual(m.body, 'Body\n\nSigned-off-by: A <a@x>\nChange-Id: I12');
    assert.strictEqual(m.trailers['Signed-off-by'], 'A <a@x>');
    assert.strictEqual(m.trailers['Change-Id'], 'I12');
    assert.strictEqual(m.recorded.length, 3);
  });

  it('commits made before the marker: the final block naming the version is the record', () => {
    const msg = `Old\n\nwords\n\nModel-Path: ${v.path}\nModel-Oid: ${OID}\nModel-Change: retrained\n  on more data\nSigned-off-by: B`;
    const m = parseMessage(msg, v);
    assert.deepStrictEqual(m.recorded, [['Model-Path', v.path], ['Model-Oid', OID], ['Model-Change', 'retrained on more data']]);
    assert.strictEqual(m.body, 'words\n\nSigned-off-by: B');
  });

  it('round trip: the body of appendRecord(text) is the text after its subject, for any text', () => {
    const texts = [
      'one line',
      'subject\n\nbody\n\n  indented: yes\n',
      'subject\nsecond line of the first paragraph',
      'a\r\nb\r\n\r\nKey: value\r\n',
      'Subject\n\nModel-Path: typed\nModel-Versions-Trailers: 1',
      'Subject\n\nAcked-by: someone',
    ];
    for (const t of texts) {
      const lines = t.replace(/\r\n/g, '\n').replace(/\s+$/, '').split('\n');
      const m = parseMessage(appendRecord(t, record()), v);
      assert.strictEqual(m.subject, lines[0], JSON.stringify(t));
      assert.strictEqual(m.body, lines.slice(1).join('\n').replace(/^(?:[ \t]*\n)+/, ''), JSON.stringify(t));
      assert.strictEqual(m.recorded.length, 3, JSON.stringify(t));
    }
    assert.deepStrictEqual(parseMessage('only a subject', v), { subject: 'only a subject', body: '', recorded: [], trailers: {} });
  });

  it('recordedTrailers is the same reading', () => {
    const msg = appendRecord('s\n\nNote: x', record([['Model-Metrics', 'accuracy=0.9']]));
    const { recorded, trailers } = parseMessage(msg, v);
    assert.deepStrictEqual(recordedTrailers(msg, v), { recorded, trailers });
  });
});
